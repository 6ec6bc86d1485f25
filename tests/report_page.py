"""A report page as a browser's tokenizer sees it: tags, attributes, text and script bodies, plus a nesting check.

Shared by the report tests: escaping is judged by what a parser finds, not by searching the text for entities.
"""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Tags, attributes, text, script and style bodies as a browser's tokenizer would see them, plus a nesting check."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.texts: list[str] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.parents: list[tuple[str, dict[str, str | None], str | None]] = []
        self._attrs: list[dict[str, str | None]] = []
        self._in_script = self._in_style = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        self.parents.append((tag, values, self.stack[-1] if self.stack else None))
        if tag == "img" and self._attrs and self.stack and self.stack[-1] == "a":
            values["_parent_href"] = self._attrs[-1].get("href")
        if tag not in VOID:
            self.stack.append(tag)
            self._attrs.append(values)
        self._in_script, self._in_style = tag == "script", tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        self._attrs.pop()
        self._in_script = self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        elif self._in_style:
            self.styles.append(data)
        else:
            self.texts.append(data)

    def text(self) -> str:
        """All text outside script and style, entities decoded: what a reader sees."""
        return "".join(self.texts)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

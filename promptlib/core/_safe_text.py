"""Text a pull request wrote, made safe for the places promptlib prints it: terminals, CI logs, Markdown.

Template text, suite and case names, variable values and file names all come from someone else's branch.
On a terminal, escape sequences in them could rewrite what a reviewer sees; in a CI log, a line starting
with `::` (GitHub Actions) or `##` (Azure Pipelines) is a workflow command that can fake an error, mask
text or set outputs; in `summary.md`, Markdown or HTML could draw fake headlines or load external images.
Each function here renders such text as data for one of those sinks.
"""

from __future__ import annotations

import re
import shlex

# C0 and C1 controls except tab and newline, DEL, and the bidirectional overrides ("Trojan Source").
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")
#: Line starts that CI runners read as commands: GitHub `::error::`, Azure Pipelines `##vso[` / `##[error]`.
_COMMAND_START = re.compile(r"^(\s*)(::|##vso\[|##\[)", re.IGNORECASE | re.MULTILINE)
COMMAND_GUARD = "›"
#: What can start markup inline in GitHub Markdown: emphasis, code, links/images, HTML, tables, math, headings.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|!~&#$])")


def _escape_control(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(text: object) -> str:
    """`text` on one line with every control character shown as an escape (`\\x1b`), never interpreted."""
    return _CONTROLS.sub(_escape_control, _LINE_BREAKS.sub(lambda m: "\\n", str(text)).replace("\t", " "))


def terminal(text: str, *, log: bool) -> str:
    """Multi-line text for a terminal or (``log``) a CI log: controls escaped, lines kept, and in a log no
    line may start like a workflow command (it gets a visible `›` in front)."""
    cleaned = _CONTROLS.sub(_escape_control, _LINE_BREAKS.sub("\n", text))
    return _COMMAND_START.sub(lambda m: f"{m.group(1)}{COMMAND_GUARD}{m.group(2)}", cleaned) if log else cleaned


def markdown(text: object) -> str:
    """Inline Markdown that renders as the literal text: no markup, no HTML, no links, one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def code_span(text: object) -> str:
    """`text` as an inline code span that its own backticks cannot close early."""
    value = one_line(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    padded = f" {value} " if value.startswith("`") or value.endswith("`") else value
    return f"{fence}{padded}{fence}"


def shell_command(*words: str) -> str:
    """A command line whose words each reach the program as one argument when pasted into a POSIX shell."""
    return " ".join(shlex.quote(one_line(word)) for word in words)

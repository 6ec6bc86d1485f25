"""Prompt analysis: split a prompt into the pieces the synthesiser draws.

The emulator has no model, so it reads a prompt the cheapest way that still behaves like one to a user:
each content word becomes one element of the picture (so changing a word changes one element), and text
in double quotes is the text the user wants printed in the image (so it is drawn, legibly, on a plate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptlib.emulator._fonts import face_for

#: Straight and typographic double quotes; the quoted text is printed in the image.
_QUOTED = re.compile(r'"([^"]*)"|“([^”]*)”')
_WORD = re.compile(r"[^\W_]+")
#: Where a sentence ends: the words between two of these, outside quotes, style the quotes among them.
_SENTENCE_END = re.compile(r"[.!?;\n]")
#: Words that carry no subject; dropped so they do not become elements.
_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "its",
        "of", "on", "onto", "or", "over", "the", "their", "this", "to", "under", "with", "within", "without",
    }
)  # fmt: skip
#: At most this many elements are drawn; later words share a slot (see `Scene.tokens`).
MAX_ELEMENTS = 40
#: At most this many quoted texts get a plate, each cut to MAX_QUOTE_CHARS; a model would not print more.
MAX_QUOTES = 3
MAX_QUOTE_CHARS = 120


@dataclass(frozen=True)
class Scene:
    """What a prompt asks for, in the terms the synthesiser draws.

    `tokens[i]` drives element `i`. For prompts with more than `MAX_ELEMENTS` content words, word `k` joins
    slot `k % MAX_ELEMENTS`, so every word still changes the image and the drawing cost stays bounded.
    `faces[i]` is the typeface (`_fonts.FACES`) the sentence around `quotes[i]` asks for.
    """

    tokens: tuple[str, ...]
    quotes: tuple[str, ...]
    faces: tuple[str, ...] = ()


def parse_prompt(prompt: str) -> Scene:
    """Split `prompt` into element tokens (content words) and quoted texts."""
    quotes: list[str] = []
    faces: list[str] = []
    unquoted = _QUOTED.sub(lambda m: "\0" * len(m.group(0)), prompt)  # same offsets, quoted text blanked
    for match in _QUOTED.finditer(prompt):
        text = " ".join((match.group(1) or match.group(2) or "").split())
        if text and len(quotes) < MAX_QUOTES:
            quotes.append(text if len(text) <= MAX_QUOTE_CHARS else text[: MAX_QUOTE_CHARS - 3].rstrip() + "...")
            faces.append(face_for(_sentence_around(unquoted, match.start(), match.end())))
    scene_text = _QUOTED.sub(" ", prompt).lower()
    words = _WORD.findall(scene_text)
    content = [w for w in words if w not in _STOPWORDS] or words or [prompt.strip().lower() or "blank"]
    slots: list[list[str]] = [[] for _ in range(min(len(content), MAX_ELEMENTS))]
    for index, word in enumerate(content):
        slots[index % MAX_ELEMENTS].append(word)
    return Scene(tokens=tuple(" ".join(slot) for slot in slots), quotes=tuple(quotes), faces=tuple(faces))


def _sentence_around(unquoted: str, start: int, end: int) -> str:
    """The words of the sentence holding `unquoted[start:end]` (a blanked quote), without any quoted text."""
    before = [m.end() for m in _SENTENCE_END.finditer(unquoted, 0, start)]
    after = _SENTENCE_END.search(unquoted, end)
    sentence = unquoted[before[-1] if before else 0 : after.start() if after else len(unquoted)]
    return sentence.replace("\0", " ")

"""Misprinted text on demand: the `garble` fault, so a readable-text check can be seen failing.

Real models misspell the text they are asked to print ("Nortwind", "20% of"). When a request is answered
under `garbling()` (the fault layer does this for a `garble` step), every quoted text is drawn misprinted:
about a third of its letters and digits are dropped, doubled or replaced by a character that no OCR reads
as the original (never O for 0 or l for 1), so the misprint is plain to a reader and to the check alike.
The misprint is a pure function of the text, so a garbled answer is reproducible.
"""

from __future__ import annotations

import contextvars
import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager

_GARBLING = contextvars.ContextVar("promptlib_emulator_garbling", default=False)
#: Replacements drawn for letters and digits: far, in shape, from anything they replace.
_LETTERS = "bdfhkmpqwxz"
_DIGITS = "47"


@contextmanager
def garbling() -> Iterator[None]:
    """Within this block (and worker threads started from it) the emulator misprints quoted text."""
    token = _GARBLING.set(True)
    try:
        yield
    finally:
        _GARBLING.reset(token)


def is_garbling() -> bool:
    return _GARBLING.get()


def garble(text: str) -> str:
    """`text` misprinted: about a third of its letters and digits (at least two) dropped, doubled or changed."""
    rng = random.Random(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest())
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    if not positions:
        return text + "?"
    chosen = set(rng.sample(positions, min(len(positions), max(2, round(len(positions) / 3)))))
    out = []
    for i, char in enumerate(text):
        if i not in chosen:
            out.append(char)
            continue
        action = rng.randrange(3)
        if action == 1:
            out.append(char + char)
        elif action == 2 or len(positions) <= 2:
            out.append(_replacement(char, rng))
    garbled = "".join(out).strip()
    return garbled if garbled.casefold() != text.casefold() else garbled + "x"


def _replacement(char: str, rng: random.Random) -> str:
    pool = _DIGITS if char.isdigit() else _LETTERS
    choice = rng.choice([c for c in pool if c != char.lower()])
    return choice.upper() if char.isupper() else choice

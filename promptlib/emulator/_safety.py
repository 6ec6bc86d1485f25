"""The emulated safety system: refuse prompts that contain a configured term, as a whole word or phrase."""

from __future__ import annotations

import re
from collections.abc import Iterable


class BlockList:
    """Case-insensitive whole-word/phrase matching, so `gun` blocks "a gun" but not "begun" or "gunmetal"."""

    def __init__(self, terms: Iterable[str]) -> None:
        patterns = [r"\s+".join(re.escape(word) for word in term.split()) for term in terms if term.strip()]
        self._pattern = re.compile(rf"(?<!\w)(?:{'|'.join(patterns)})(?!\w)", re.IGNORECASE) if patterns else None

    def blocks(self, prompt: str) -> bool:
        return self._pattern is not None and self._pattern.search(prompt) is not None

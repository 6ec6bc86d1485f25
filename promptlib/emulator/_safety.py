"""The emulated safety system: refuse prompts that contain a configured term, as a whole word or phrase; and
Azure's content-filter annotations, which it attaches to every image it lets through (reference §4)."""

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


_CLEAR = {"filtered": False, "severity": "safe"}
#: Azure's per-image annotations: the v1 `AzureImage` requires both, and `jailbreak` in the prompt's.
CONTENT_FILTER_CLEAR: dict[str, object] = {"hate": _CLEAR, "self_harm": _CLEAR, "sexual": _CLEAR, "violence": _CLEAR}
PROMPT_FILTER_CLEAR: dict[str, object] = {
    **CONTENT_FILTER_CLEAR, "jailbreak": {"detected": False, "filtered": False},
    "profanity": {"detected": False, "filtered": False}, "custom_blocklists": {"filtered": False, "details": []},
}  # fmt: skip
#: A `data[]` item the output filter removed: no image, the category that caught it marked filtered.
FILTERED_IMAGE: dict[str, object] = {
    "content_filter_results": {**CONTENT_FILTER_CLEAR, "violence": {"filtered": True, "severity": "high"}},
    "prompt_filter_results": PROMPT_FILTER_CLEAR,
}

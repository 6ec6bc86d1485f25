"""Token accounting as the service reports it in `usage` (reference/azure-images-api.md §8.1)."""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Output image tokens per image, by quality and size (gpt-image-1 table; 1.5 bills the same counts).
OUTPUT_TOKENS: dict[str, dict[str, int]] = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}


def output_tokens(quality: str, width: int, height: int) -> int:
    """Tokens for one output image; an edit's free-form size is billed as its orientation's table size."""
    if width > height:
        key = "1536x1024"
    elif height > width:
        key = "1024x1536"
    else:
        key = "1024x1024"
    return OUTPUT_TOKENS[quality][key]


def text_tokens(prompt: str) -> int:
    """About four characters per token, the usual English rule of thumb (the emulator has no tokenizer)."""
    return math.ceil(len(prompt) / 4)


def image_tokens(width: int, height: int) -> int:
    """Input-image tokens by OpenAI's vision tiling: fit in 2048², short side to 768, 170 per 512 tile + 85."""
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def usage(
    prompt: str, quality: str, size: tuple[int, int], n: int, inputs: Sequence[tuple[int, int]] = ()
) -> dict[str, object]:
    """The `usage` object of a response producing `n` images of `size`, with `inputs` image sizes (edits)."""
    text = text_tokens(prompt)
    images_in = sum(image_tokens(w, h) for w, h in inputs)
    out = n * output_tokens(quality, *size)
    return {
        "input_tokens": text + images_in,
        "input_tokens_details": {"text_tokens": text, "image_tokens": images_in},
        "output_tokens": out,
        "output_tokens_details": {"image_tokens": out, "text_tokens": 0},
        "total_tokens": text + images_in + out,
    }

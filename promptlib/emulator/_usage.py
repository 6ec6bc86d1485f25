"""Token accounting as the service reports it in `usage`, by the claimed model's token table.

The counts per quality and size are the model table's (`promptlib/models/models.yaml`, reference
§8.1 for the published ones); sizes without a published count scale the 1024x1024 count by area.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from promptlib.models._capabilities import TokenCounts
from promptlib.models._pricing import token_counts, tokens_for


def output_tokens(quality: str, width: int, height: int, counts: TokenCounts | None = None) -> int:
    """Tokens for one output image of `quality` at `width` x `height`."""
    return tokens_for(counts or token_counts(None), quality, width, height)


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
    prompt: str, quality: str, size: tuple[int, int], n: int, inputs: Sequence[tuple[int, int]] = (),
    counts: TokenCounts | None = None, partial_images: int = 0,
) -> dict[str, object]:  # fmt: skip
    """The `usage` of a response producing `n` images of `size`, with `inputs` image sizes (edits); each
    streamed partial image adds the model's `partial_image` tokens."""
    counts = counts or token_counts(None)
    text = text_tokens(prompt)
    images_in = sum(image_tokens(w, h) for w, h in inputs)
    out = n * (output_tokens(quality, *size, counts) + partial_images * counts.partial_image)
    return {
        "input_tokens": text + images_in,
        "input_tokens_details": {"text_tokens": text, "image_tokens": images_in},
        "output_tokens": out,
        "output_tokens_details": {"image_tokens": out, "text_tokens": 0},
        "total_tokens": text + images_in + out,
    }

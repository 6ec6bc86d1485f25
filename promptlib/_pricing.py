"""Token counts and prices, for cost estimates before a run and costs after it.

Source: shared/reference/azure-images-api.md §8. Output tokens per image come from
the gpt-image-1 table (also used by 1.5; mini's counts are unverified, so the same
table is used and flagged in docs). Prices are USD per million tokens; a deployment
can override its model's (``prices:`` in promptlib.yaml) for negotiated or new rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._parameters import ImageParameters


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    text_in: float
    image_in: float
    image_out: float


PRICES: dict[str, Price] = {
    "gpt-image-1": Price(text_in=5.00, image_in=10.00, image_out=40.00),
    "gpt-image-1.5": Price(text_in=5.00, image_in=8.00, image_out=32.00),
    "gpt-image-1-mini": Price(text_in=2.00, image_in=2.50, image_out=8.00),
}

OUTPUT_TOKENS: dict[tuple[str, str], int] = {
    ("low", "1024x1024"): 272,
    ("low", "1024x1536"): 408,
    ("low", "1536x1024"): 400,
    ("medium", "1024x1024"): 1056,
    ("medium", "1024x1536"): 1584,
    ("medium", "1536x1024"): 1568,
    ("high", "1024x1024"): 4160,
    ("high", "1024x1536"): 6240,
    ("high", "1536x1024"): 6208,
}


@dataclass(frozen=True)
class Usage:
    """Token counts as the service reports them (``usage`` in the response)."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_text_tokens: int = 0
    input_image_tokens: int = 0

    @classmethod
    def from_response(cls, usage: object) -> Usage | None:
        if not isinstance(usage, dict):
            return None
        details = usage.get("input_tokens_details") or {}
        if not isinstance(details, dict):
            details = {}

        def count(value: object) -> int:
            return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

        input_tokens = count(usage.get("input_tokens"))
        text = count(details.get("text_tokens"))
        image = count(details.get("image_tokens"))
        if not text and not image:
            text = input_tokens
        output = count(usage.get("output_tokens"))
        return cls(
            input_tokens=input_tokens,
            output_tokens=output,
            total_tokens=count(usage.get("total_tokens")) or input_tokens + output,
            input_text_tokens=text,
            input_image_tokens=image,
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "input_text_tokens": self.input_text_tokens,
            "input_image_tokens": self.input_image_tokens,
        }


def output_tokens_per_image(parameters: ImageParameters) -> int:
    """Tokens one image of these parameters costs; ``auto`` counts as the dearest choice."""
    qualities = [str(parameters.quality)] if parameters.quality not in (None, "auto") else ["high"]
    sizes = [str(parameters.size)] if parameters.size not in (None, "auto") else [s for _, s in OUTPUT_TOKENS]
    return max(OUTPUT_TOKENS[(quality, size)] for quality in qualities for size in sizes)


def estimate_usage(prompt: str, parameters: ImageParameters, input_images: int = 0) -> Usage:
    """What a request should cost in tokens, before sending it."""
    text = math.ceil(len(prompt) / 4)
    # Input images are billed by size and fidelity; a low-quality image of the same size is a fair guess.
    low = ImageParameters(size=parameters.size, quality="low")
    image = input_images * output_tokens_per_image(low)
    output = parameters.n * output_tokens_per_image(parameters)
    return Usage(
        input_tokens=text + image,
        output_tokens=output,
        total_tokens=text + image + output,
        input_text_tokens=text,
        input_image_tokens=image,
    )


def cost_usd(model: str, usage: Usage, price: Price | None = None) -> float:
    """Dollar cost of ``usage`` on ``model`` at ``price`` (default: the model's; 0 for unknown models)."""
    price = price or PRICES.get(model)
    if price is None:
        return 0.0
    return (
        usage.input_text_tokens * price.text_in
        + usage.input_image_tokens * price.image_in
        + usage.output_tokens * price.image_out
    ) / 1_000_000

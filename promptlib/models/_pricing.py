"""Token counts and prices, for cost estimates before a run and costs after it.

Both come from the model table (`models/models.yaml`: ``output_tokens`` and ``prices`` per model, each
with its source), laid over by a project's ``models:``; a deployment's ``prices:`` in promptlib.yaml
overrides its model's for negotiated rates. A model nobody knows is priced with the table's fallback,
the dearest sourced prices, so an estimate for it errs high rather than at zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from promptlib.models._capabilities import TokenCounts
from promptlib.models._parameters import ImageParameters, parse_size
from promptlib.models._table import ModelSpec, shipped_table

#: Token counts are published for 1024x1024 and scale with pixel area for other sizes.
_REFERENCE_PIXELS = 1024 * 1024
_AUTO_QUALITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    text_in: float
    image_in: float
    image_out: float


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


def model_price(spec: ModelSpec | None) -> Price:
    """The model's list prices from the table; the table's fallback for a model without any."""
    prices = spec.entry.prices if spec is not None else None
    prices = prices or shipped_table().fallback.prices
    assert prices is not None, "the shipped table's fallback has prices"
    return Price(text_in=prices.text_in, image_in=prices.image_in, image_out=prices.image_out)


def token_counts(spec: ModelSpec | None) -> TokenCounts:
    """The model's output token counts; the table's fallback for a model without any."""
    counts = (spec.entry.output_tokens if spec is not None else None) or shipped_table().fallback.output_tokens
    assert counts is not None, "the shipped table's fallback has token counts"
    return counts


def tokens_for(counts: TokenCounts, quality: str, width: int, height: int) -> int:
    """Tokens for one image: the published count for its size, else the 1024x1024 count scaled by area."""
    listed = counts.listed.get(quality, {})  # type: ignore[call-overload]
    exact = listed.get(f"{width}x{height}")
    if exact is not None:
        return int(exact)
    base = counts.per_1024x1024.get(quality) or max(counts.per_1024x1024.values())  # type: ignore[call-overload]
    return math.ceil(base * width * height / _REFERENCE_PIXELS)


def output_tokens_per_image(parameters: ImageParameters, counts: TokenCounts | None = None) -> int:
    """Tokens one image of these parameters costs; ``auto`` counts as the dearest of the sizes the table
    lists and of low, medium and high (what `auto` picks from; xhigh and max are only ever asked for)."""
    counts = counts or token_counts(None)
    published = [q for q in _AUTO_QUALITIES if q in counts.per_1024x1024] or list(counts.per_1024x1024)
    qualities = [str(parameters.quality)] if parameters.quality not in (None, "auto") else published
    size = parse_size(parameters.size) if parameters.size is not None else None
    sizes = [size] if size else _listed_sizes(counts)
    return max(tokens_for(counts, quality, w, h) for quality in qualities for w, h in sizes)


def _listed_sizes(counts: TokenCounts) -> list[tuple[int, int]]:
    found = {parse_size(size) for row in counts.listed.values() for size in row}
    return [s for s in found if s is not None] or [(1024, 1024)]


def estimate_usage(
    prompt: str, parameters: ImageParameters, input_images: int = 0, counts: TokenCounts | None = None,
    partial_images: int = 0,
) -> Usage:  # fmt: skip
    """What a request should cost in tokens, before sending it (``counts``: the model's token table)."""
    counts = counts or token_counts(None)
    text = math.ceil(len(prompt) / 4)
    # Input images are billed by size and fidelity; a low-quality image of the same size is a fair guess.
    low = ImageParameters(size=parameters.size, quality="low")
    image = input_images * output_tokens_per_image(low, counts)
    output = parameters.n * (output_tokens_per_image(parameters, counts) + partial_images * counts.partial_image)
    return Usage(
        input_tokens=text + image,
        output_tokens=output,
        total_tokens=text + image + output,
        input_text_tokens=text,
        input_image_tokens=image,
    )


def cost_usd(model: str, usage: Usage, price: Price | None = None) -> float:
    """Dollar cost of ``usage`` on ``model`` at ``price`` (default: the model's prices in the shipped table)."""
    price = price or model_price(shipped_table().get(model))
    return (
        usage.input_text_tokens * price.text_in
        + usage.input_image_tokens * price.image_in
        + usage.output_tokens * price.image_out
    ) / 1_000_000

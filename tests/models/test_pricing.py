"""Token counts and prices: the model table's numbers (reference §8), estimates before a call, costs after."""

from __future__ import annotations

import pytest

from promptlib.models._parameters import ImageParameters
from promptlib.models._pricing import (
    Usage,
    cost_usd,
    estimate_usage,
    model_price,
    output_tokens_per_image,
    token_counts,
    tokens_for,
)
from promptlib.models._table import shipped_table

#: Reference §8.1: output image tokens per image, quality × size.
TABLE = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}


def _image_only(model: str, quality: str, size: str) -> float:
    usage = Usage(output_tokens=output_tokens_per_image(ImageParameters(quality=quality, size=size)))  # type: ignore[arg-type]
    return cost_usd(model, usage)


@pytest.mark.parametrize("model", ["gpt-image-1", "gpt-image-1.5", "gpt-image-1-mini", "gpt-image-2"])
def test_the_token_table_is_the_reference_table(model: str) -> None:
    """The published counts (reference §8.1) are the table's, for every model that bills by them."""
    counts = token_counts(shipped_table().get(model))
    assert counts.listed == TABLE


def test_sizes_without_a_published_count_scale_by_area_rounding_up() -> None:
    """A 2048x1152 banner is 2.25 × 1024² pixels: 2.25 × the 1024x1024 count, never less."""
    counts = token_counts(shipped_table().get("gpt-image-2"))
    assert tokens_for(counts, "high", 2048, 1152) == 9360
    assert tokens_for(counts, "low", 1536, 864) == 345  # ceil(272 × 1.265625)
    assert tokens_for(counts, "medium", 1536, 1024) == 1568  # published sizes keep their published count


def test_every_model_in_the_table_has_prices_and_token_counts() -> None:
    table = shipped_table()
    for name in table.names():
        entry = table.models[name].entry
        assert entry.prices is not None and entry.output_tokens is not None, name
        assert "prices" in entry.sources and "output_tokens" in entry.sources, name


@pytest.mark.parametrize(
    ("model", "quality", "size", "dollars"),
    [
        # Reference §8.2 cross-checks: per-image prices are token counts × the image-out rate.
        ("gpt-image-1.5", "low", "1024x1024", 0.0087),
        ("gpt-image-1.5", "medium", "1024x1024", 0.0338),
        ("gpt-image-1.5", "high", "1024x1024", 0.1331),
        ("gpt-image-1.5", "medium", "1024x1536", 0.0507),
        ("gpt-image-1.5", "high", "1536x1024", 0.1987),
        ("gpt-image-1", "low", "1024x1024", 0.0109),
        ("gpt-image-1", "high", "1024x1024", 0.1664),
        ("gpt-image-1", "high", "1024x1536", 0.2496),
        ("gpt-image-1-mini", "high", "1024x1024", 0.0333),  # 4160 × $8/M (mini's own counts are unverified)
    ],
)
def test_per_image_prices_match_the_reference(model: str, quality: str, size: str, dollars: float) -> None:
    assert _image_only(model, quality, size) == pytest.approx(dollars, abs=5e-5)


def test_cost_prices_each_kind_of_token_at_its_own_rate() -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, input_text_tokens=400_000,
                  input_image_tokens=600_000)  # fmt: skip

    assert cost_usd("gpt-image-1", usage) == pytest.approx(0.4 * 5 + 0.6 * 10 + 40)
    assert cost_usd("gpt-image-1.5", usage) == pytest.approx(0.4 * 5 + 0.6 * 8 + 32)
    assert cost_usd("gpt-image-1-mini", usage) == pytest.approx(0.4 * 2 + 0.6 * 2.5 + 8)


def test_an_unknown_model_is_priced_at_the_dearest_sourced_rates_so_budgets_still_hold() -> None:
    """Pricing an unknown model at zero would let `--max-cost` wave any run through."""
    assert model_price(None) == model_price(shipped_table().get("gpt-image-1"))
    assert cost_usd("gpt-image-9-preview", Usage(output_tokens=5000)) == pytest.approx(5000 * 40 / 1e6)


def test_the_estimate_counts_prompt_text_and_every_image() -> None:
    prompt = "x" * 400  # ~100 text tokens at four characters a token
    one = estimate_usage(prompt, ImageParameters(size="1536x1024", quality="medium"))
    four = estimate_usage(prompt, ImageParameters(size="1536x1024", quality="medium", n=4))

    assert (one.input_text_tokens, one.output_tokens) == (100, 1568)
    assert four.output_tokens == 4 * 1568
    assert four.total_tokens == 100 + 4 * 1568


def test_an_edit_estimate_includes_its_input_images() -> None:
    parameters = ImageParameters(size="1024x1024", quality="high")

    plain = estimate_usage("edit this", parameters)
    edit = estimate_usage("edit this", parameters, input_images=2)

    assert plain.input_image_tokens == 0
    assert edit.input_image_tokens > 0
    assert cost_usd("gpt-image-1.5", edit) > cost_usd("gpt-image-1.5", plain)


@pytest.mark.parametrize(
    "parameters",
    [ImageParameters(), ImageParameters(size="auto", quality="auto"), ImageParameters(size="auto", quality="high")],
    ids=["unset", "auto-auto", "auto-size"],
)
def test_auto_and_unset_are_estimated_at_the_dearest_choice(parameters: ImageParameters) -> None:
    """Budgets are checked against the estimate, so a service-chosen size or quality must not under-estimate."""
    dearest = max(n for row in TABLE.values() for n in row.values())

    assert output_tokens_per_image(parameters) == dearest


def test_auto_quality_with_a_fixed_size_is_that_sizes_high() -> None:
    assert output_tokens_per_image(ImageParameters(size="1536x1024", quality="auto")) == 6208
    assert output_tokens_per_image(ImageParameters(size="auto", quality="low")) == 408


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"input_tokens": 50, "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}, "output_tokens": 50,
             "total_tokens": 100},
            Usage(50, 50, 100, 10, 40),
        ),
        ({"input_tokens": 30, "output_tokens": 272}, Usage(30, 272, 302, 30, 0)),  # no details: all text
        ({"input_tokens": -1, "output_tokens": "272", "total_tokens": True}, Usage(0, 0, 0, 0, 0)),
        ({"input_tokens": 5, "input_tokens_details": [1, 2], "output_tokens": 7}, Usage(5, 7, 12, 5, 0)),
    ],
    ids=["full", "no-details", "garbage-values", "garbage-details"],
)  # fmt: skip
def test_usage_from_the_response(raw: dict[str, object], expected: Usage) -> None:
    assert Usage.from_response(raw) == expected


@pytest.mark.parametrize("raw", [None, [], "usage", 3])
def test_no_usage_is_none(raw: object) -> None:
    assert Usage.from_response(raw) is None

"""What one image model can do, as data: the shape of an entry of the model table.

The same model describes an entry of the shipped table (``promptlib/models/models.yaml``) and of the
``models:`` section of promptlib.yaml, so a user declares tomorrow's snapshot exactly the way the table
declares today's. Every field is optional: a field nobody set means "not constrained beyond the wire
rules" (see `_parameters`), which is also how an unknown model is treated. Values are wire values from
the openai SDK's image params; which of them a model accepts is data, never a type.
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from promptlib.models._parameters import Background, InputFidelity, Moderation, OutputFormat, Quality, SizeText

Provider = Literal["azure", "openai"]
_STRICT = ConfigDict(extra="forbid", frozen=True)
_MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"


class SizeRule(BaseModel):
    """The rule for arbitrary ``WxH`` sizes (gpt-image-2 and later)."""

    model_config = _STRICT
    multiple_of: int = Field(ge=1, description="Width and height must both be multiples of this.")
    max_long_edge: int = Field(ge=1, description="Longest edge in pixels, inclusive.")
    max_aspect_ratio: float = Field(ge=1, description="Long edge over short edge, at most (3 means 3:1).")
    min_pixels: int = Field(ge=1, description="Width × height, at least.")
    max_pixels: int = Field(ge=1, description="Width × height, at most.")


class Sizes(BaseModel):
    """Listed sizes, a rule for arbitrary ones, or both; and whether ``auto`` is accepted."""

    model_config = _STRICT
    listed: list[SizeText] = Field(default_factory=list, description="Exact WxH sizes accepted.")
    rule: SizeRule | None = Field(None, description="Arbitrary WxH sizes accepted when they satisfy this rule.")
    auto: bool = Field(True, description="Whether size: auto is accepted.")

    @model_validator(mode="after")
    def _something(self) -> Sizes:
        if "auto" in self.listed:
            raise ValueError("list auto with `auto: true`, not under listed:")
        if not self.listed and self.rule is None and not self.auto:
            raise ValueError("a model must accept some size: give listed:, rule: or auto: true")
        return self


class TokenCounts(BaseModel):
    """Output image tokens per image: listed per quality and size, with a rule for every other size."""

    model_config = _STRICT
    listed: dict[Quality, dict[SizeText, int]] = Field(
        default_factory=dict, description="quality → WxH → tokens per image, where published."
    )
    per_1024x1024: dict[Quality, int] = Field(
        description="quality → tokens for a 1024x1024 image; other sizes scale by pixel area, rounded up."
    )
    partial_image: int = Field(0, ge=0, description="Extra output tokens per streamed partial image.")


class TokenPrices(BaseModel):
    """USD per 1M tokens, by token kind."""

    model_config = _STRICT
    text_in: float = Field(ge=0)
    image_in: float = Field(ge=0)
    image_out: float = Field(ge=0)


class Streaming(BaseModel):
    model_config = _STRICT
    supported: bool = True
    max_partial_images: int = Field(3, ge=0, le=3, description="partial_images may be 0 up to this.")


class Edits(BaseModel):
    model_config = _STRICT
    supported: bool = True
    max_images: int = Field(16, ge=1, description="Input images per edit request.")
    mask: bool = Field(True, description="Whether a mask may be sent.")


class ModelEntry(BaseModel):
    """One model in the table, or an override of one under ``models:`` in promptlib.yaml.

    Each field given replaces the value it inherits (from ``extends:``, or from the shipped table when
    promptlib.yaml names a model the table has); ``sources`` are merged key by key.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, title="promptlib image model")

    extends: str | None = Field(None, pattern=_MODEL_NAME, description="Start from this model's entry.")
    version: str | None = Field(None, description="The provider's model version (e.g. Azure's 2026-04-21).")
    sizes: Sizes | None = None
    qualities: list[Quality] | None = None
    output_formats: dict[Provider, list[OutputFormat]] | None = Field(
        None, description="Formats per provider (Azure serves no webp)."
    )
    backgrounds: list[Background] | None = None
    input_fidelity: list[InputFidelity] | None = Field(None, description="[] means: do not send input_fidelity.")
    moderation: list[Moderation] | None = None
    max_n: int | None = Field(None, ge=1, le=10, description="Images per request, at most.")
    streaming: Streaming | None = None
    edits: Edits | None = None
    prices: TokenPrices | None = Field(None, description="List prices, USD per 1M tokens.")
    output_tokens: TokenCounts | None = None
    retires: dict[Provider, datetime.date] | None = Field(None, description="Retirement (shutdown) date per provider.")
    successors: list[str] | None = Field(None, description="What the provider says to move to.")
    sources: dict[str, str] = Field(default_factory=dict, description="field → where the fact comes from.")


MODEL_FIELDS: tuple[str, ...] = tuple(name for name in ModelEntry.model_fields if name not in ("extends", "sources"))


class ModelTableFile(BaseModel):
    """The shipped ``models.yaml``: the models promptlib knows, with the source of each fact."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="promptlib model table")

    schema_: Literal["promptlib-models/1"] = Field(alias="schema")
    as_of: datetime.date = Field(description="When the facts were last checked against their sources.")
    source_key: dict[str, str] = Field(description="Short source names used in sources: → what they are.")
    azure_api_versions: list[str] = Field(description="Dated api-versions of the deployments path with GPT Image.")
    fallback: ModelEntry = Field(description="Prices and token counts for models the table does not know.")
    models: dict[str, ModelEntry]

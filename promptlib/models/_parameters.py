"""The image API parameters a template may set, checked against the wire rules.

Validating here, at load time, means a malformed size or a jpeg-with-transparency
combination fails in the PR that introduced it. These are the rules of the API
itself (openai 3.57 ``types/image_generate_params.py``, ``image_edit_params.py``;
shared/reference/azure-images-api.md §2, §3, §11); what one model accepts — its
sizes, qualities, formats — is data in the model table (`_model_rules`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Operation = Literal["generate", "edit"]
Quality = Literal["low", "medium", "high", "xhigh", "max", "auto"]
Background = Literal["transparent", "opaque", "auto"]
OutputFormat = Literal["png", "jpeg", "webp", "gif", "svg"]
InputFidelity = Literal["low", "high"]
Moderation = Literal["low", "auto"]

#: ``auto`` or ``WIDTHxHEIGHT`` (the SDK's ``size`` is any such string; the model decides which it accepts).
SIZE_PATTERN = r"^(auto|[1-9][0-9]{0,4}x[1-9][0-9]{0,4})$"
SizeText = Annotated[str, StringConstraints(pattern=SIZE_PATTERN)]
_SIZE = re.compile(SIZE_PATTERN)
#: Formats whose images can carry alpha (SDK ``background``: "set the output format to png or webp").
ALPHA_FORMATS = frozenset({"png", "webp"})
#: Formats that take ``output_compression`` (SDK ``output_compression``).
COMPRESSIBLE_FORMATS = frozenset({"jpeg", "webp"})
#: Formats that cannot be streamed (SDK ``frame_count`` and ``svg`` docstrings).
UNSTREAMABLE_FORMATS = frozenset({"gif", "svg"})


def parse_size(size: str) -> tuple[int, int] | None:
    """``(width, height)`` of a ``WxH`` size; None for ``auto``."""
    if size == "auto" or not _SIZE.match(size):
        return None
    width, _, height = size.partition("x")
    return int(width), int(height)


class ImageParameters(BaseModel):
    """Parameters sent with the request; ``None`` means "leave it to the service"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: SizeText | None = Field(
        None, description="WIDTHxHEIGHT or auto; which sizes a model accepts is in `promptlib models`.",
        examples=["1024x1024", "1536x1024", "1024x1536", "2048x1152", "auto"],
    )  # fmt: skip
    quality: Quality | None = Field(None, description="Rendering quality; drives token cost. xhigh/max: newer models.")
    background: Background | None = Field(None, description="transparent needs output_format png (or webp).")
    output_format: OutputFormat | None = Field(None, description="Azure serves png and jpeg; see `promptlib models`.")
    output_compression: int | None = Field(None, ge=0, le=100, description="jpeg/webp only.")
    n: int = Field(1, ge=1, le=10, description="Images per request.")
    moderation: Moderation | None = Field(None, description="Generate only.")
    input_fidelity: InputFidelity | None = Field(None, description="Edit only.")
    safety_identifier: str | None = Field(
        None, min_length=1, max_length=256,
        description="A stable, hashed id of the end user, for the provider's abuse monitoring.",
    )  # fmt: skip
    user: str | None = Field(
        None, min_length=1, max_length=256,
        description="Deprecated in favour of safety_identifier; only for api-versions that predate it.",
    )  # fmt: skip

    @model_validator(mode="after")
    def _combinations(self) -> ImageParameters:
        fmt = self.output_format or "png"
        if self.background == "transparent" and fmt not in ALPHA_FORMATS:
            raise ValueError(f"background: transparent needs output_format png or webp ({fmt} has no alpha)")
        if self.output_compression is not None and fmt not in COMPRESSIBLE_FORMATS:
            raise ValueError("output_compression applies only to output_format jpeg or webp")
        if fmt == "svg" and self.n != 1:
            raise ValueError("output_format svg makes one image per request; set n: 1")
        return self

    def check_operation(self, operation: Operation) -> list[tuple[str, str]]:
        """Fields the operation does not accept, as (field, message) pairs."""
        problems = []
        if operation == "edit" and self.moderation is not None:
            problems.append(("moderation", "moderation is accepted on generate only, not on edits"))
        if operation == "generate" and self.input_fidelity is not None:
            problems.append(("input_fidelity", "input_fidelity is accepted on edits only"))
        return problems

    def to_wire(self) -> dict[str, object]:
        """The fields to send, without the ones left unset."""
        return self.model_dump(exclude_none=True)

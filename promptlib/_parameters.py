"""The image API parameters a template may set, checked against the GPT Image rules.

Validating here, at load time, means a bad size or a jpeg-with-transparency
combination fails in the PR that introduced it, not at 2 a.m. in production.
Rules: shared/reference/azure-images-api.md §2–§3 and §10.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Operation = Literal["generate", "edit"]
Size = Literal["1024x1024", "1536x1024", "1024x1536", "auto"]
Quality = Literal["low", "medium", "high", "auto"]
Background = Literal["transparent", "opaque", "auto"]
OutputFormat = Literal["png", "jpeg", "webp"]

SIZES: tuple[str, ...] = ("1024x1024", "1536x1024", "1024x1536", "auto")


class ImageParameters(BaseModel):
    """Parameters sent with the request; ``None`` means "leave it to the service"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: Size | None = Field(None, description="Output size; GPT Image models accept only these.")
    quality: Quality | None = Field(None, description="Rendering quality; drives token cost.")
    background: Background | None = Field(None, description="transparent needs output_format png (or webp).")
    output_format: OutputFormat | None = Field(None, description="webp only on OpenAI deployments.")
    output_compression: int | None = Field(None, ge=0, le=100, description="jpeg/webp only.")
    n: int = Field(1, ge=1, le=10, description="Images per request.")
    moderation: Literal["low", "auto"] | None = Field(None, description="Generate only.")
    input_fidelity: Literal["low", "high"] | None = Field(None, description="Edit only.")

    @model_validator(mode="after")
    def _combinations(self) -> ImageParameters:
        fmt = self.output_format or "png"
        if self.background == "transparent" and fmt == "jpeg":
            raise ValueError("background: transparent needs output_format png (jpeg has no alpha)")
        if self.output_compression is not None and fmt == "png":
            raise ValueError("output_compression applies only to output_format jpeg or webp")
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

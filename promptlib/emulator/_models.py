"""What the emulated deployment's model accepts, from promptlib's model table, refused the way the service does.

An emulator claims one model (`EmulatorConfig.model`, with the project's `models:` entry when run in
process). Its sizes (listed, or the arbitrary-size rule of gpt-image-2), qualities, formats per surface
(no webp on Azure's), backgrounds, input fidelity, n, streaming and edit inputs come from that model's
entry; a model the table does not know gets the wire rules. Either way the emulator draws at most
`MAX_EDGE` pixels a side and `MAX_PIXELS` in all, the largest gpt-image-2 makes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from promptlib.emulator._errors import ApiError, invalid_request
from promptlib.emulator._validation import ImageParams, ImagesRoute, Surface
from promptlib.models._capabilities import Provider
from promptlib.models._parameters import parse_size
from promptlib.models._rules import rule_violation
from promptlib.models._table import ModelSpec

MAX_EDGE = 3840
MAX_PIXELS = 8_294_400
#: What the emulator can encode; gif and svg are accepted on the wire but drawn by no emulated model.
DRAWABLE_FORMATS = ("png", "jpeg", "webp")
#: Formats a surface serves when the model's entry does not say (Azure serves no webp: reference §2).
SURFACE_FORMATS: dict[Surface, tuple[str, ...]] = {
    "deployments": ("png", "jpeg"), "azure-v1": ("png", "jpeg"), "openai": ("png", "jpeg", "webp"),
}  # fmt: skip


def _supported(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + f"{',' if len(quoted) > 2 else ''} and {quoted[-1]}"


def _refuse(name: str, value: str, allowed: Sequence[str]) -> ApiError:
    if not allowed:
        return invalid_request(f"Invalid '{name}': not supported by this model.", name, "unsupported_parameter")
    return invalid_request(f"Invalid value: '{value}'. Supported values are: {_supported(allowed)}.", name)


def check_model(
    params: ImageParams, fields: Mapping[str, object], operation: ImagesRoute, surface: Surface, spec: ModelSpec | None
) -> None:
    """Raise the service's 400 for the first thing `spec`'s model does not accept."""
    provider: Provider = "openai" if surface == "openai" else "azure"
    formats = (spec.formats(provider) if spec is not None else None) or list(SURFACE_FORMATS[surface])
    if params.output_format not in formats:
        raise _refuse("output_format", params.output_format, formats)
    if params.output_format not in DRAWABLE_FORMATS:
        raise invalid_request(
            f"Invalid 'output_format': the promptlib emulator draws only {_supported(DRAWABLE_FORMATS)}.",
            "output_format", "unsupported_value",
        )  # fmt: skip
    _check_size(params.size, spec)
    entry = spec.entry if spec is not None else None
    choices: list[tuple[str, str, Sequence[str] | None]] = [
        ("quality", params.quality, entry.qualities if entry else None),
        ("background", params.background, entry.backgrounds if entry else None),
    ]
    if operation == "generations" and "moderation" in fields:
        choices.append(("moderation", str(fields["moderation"]), entry.moderation if entry else None))
    if operation == "edits" and "input_fidelity" in fields:
        choices.append(("input_fidelity", str(fields["input_fidelity"]), entry.input_fidelity if entry else None))
    for name, value, allowed in choices:
        if fields.get(name) is not None and allowed is not None and value not in allowed:  # absent: the default
            raise _refuse(name, value, allowed)
    if entry is not None and entry.max_n is not None and params.n > entry.max_n:
        raise invalid_request(
            f"Invalid 'n': this model makes at most {entry.max_n} images per request.", "n", "integer_above_max_value"
        )
    if params.stream:
        _check_stream(params, spec)


def _check_size(size: str, spec: ModelSpec | None) -> None:
    sizes = spec.entry.sizes if spec is not None else None
    parsed = parse_size(size)
    if sizes is not None:
        if size == "auto":
            if not sizes.auto:
                raise _refuse("size", size, sizes.listed)
            return
        if size not in sizes.listed:
            why = rule_violation(sizes.rule, *parsed) if sizes.rule is not None and parsed else "not supported"
            if sizes.rule is None:
                raise _refuse("size", size, [*sizes.listed, *(["auto"] if sizes.auto else [])])
            if why is not None:
                raise invalid_request(f"Invalid size '{size}': {why}.", "size")
    if parsed is not None and (max(parsed) > MAX_EDGE or parsed[0] * parsed[1] > MAX_PIXELS):
        raise invalid_request(
            f"Invalid size '{size}': the promptlib emulator draws at most {MAX_EDGE} pixels a side and "
            f"{MAX_PIXELS:,} pixels in all.", "size",
        )  # fmt: skip


def _check_stream(params: ImageParams, spec: ModelSpec | None) -> None:
    streaming = spec.entry.streaming if spec is not None else None
    if streaming is not None and not streaming.supported:
        raise invalid_request("Invalid 'stream': this model does not support streaming.", "stream", "unsupported_value")
    if streaming is not None and params.partial_images > streaming.max_partial_images:
        raise invalid_request(
            f"Invalid 'partial_images': this model sends at most {streaming.max_partial_images}.", "partial_images",
            "integer_above_max_value",
        )  # fmt: skip
    if params.n != 1:
        raise invalid_request(
            "Invalid 'n': the promptlib emulator streams one image per request (stream events carry no image "
            "index).", "n", "unsupported_value",
        )  # fmt: skip


def check_edit_inputs(images: int, mask: bool, spec: ModelSpec | None) -> None:
    """The model's limits on edit inputs (the wire limits are checked while decoding them)."""
    edits = spec.entry.edits if spec is not None else None
    if edits is None:
        return
    if not edits.supported:
        raise invalid_request("Invalid request: this model does not edit images.", None, "unsupported_operation")
    if images > edits.max_images:
        raise invalid_request(
            f"Invalid 'image': too many images. Expected at most {edits.max_images}, but got {images}.", "image"
        )
    if mask and not edits.mask:
        raise invalid_request("Invalid 'mask': this model does not take a mask.", "mask", "unsupported_parameter")

"""Field validation as the service does it: the same checks, codes and messages a client would meet.

Fields arrive typed (JSON generations) or as strings (multipart edits); both go through the same checks.
Messages follow OpenAI's wording ("Invalid 'n': integer above maximum value. ...") because Azure passes
them through for the GPT image models. These are the wire rules; what the deployment's model accepts
(its sizes, qualities, formats) is checked against the model table in `_models`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from promptlib.emulator._errors import ApiError, invalid_request, unknown_parameter
from promptlib.emulator._synthesis import Quality
from promptlib.models._parameters import SIZE_PATTERN

ImagesRoute = Literal["generations", "edits"]
#: deployments: /openai/deployments/{d}/…; azure-v1: /openai/v1/…; openai: /v1/… (OpenAI's public shape).
Surface = Literal["deployments", "azure-v1", "openai"]

MAX_PROMPT = 32_000
QUALITIES = ("low", "medium", "high", "xhigh", "max", "auto")
BACKGROUNDS = ("transparent", "opaque", "auto")
OUTPUT_FORMATS = ("png", "jpeg", "webp", "gif", "svg")
COMMON_FIELDS = frozenset(
    {"prompt", "model", "n", "size", "quality", "output_format", "output_compression", "background", "stream",
     "partial_images", "user", "safety_identifier"}
)  # fmt: skip
_DRAWN_QUALITIES: dict[str, Quality] = {"low": "low", "medium": "medium", "high": "high"}
_SIZE = re.compile(SIZE_PATTERN)
FIELDS: dict[ImagesRoute, frozenset[str]] = {
    "generations": COMMON_FIELDS | {"moderation"},
    "edits": COMMON_FIELDS | {"input_fidelity"},
}


@dataclass(frozen=True)
class ImageParams:
    """A validated request; `size`, `quality` and `background` are as sent ("auto" allowed)."""

    prompt: str
    model: str | None
    n: int
    size: str
    quality: str
    background: str
    output_format: str
    output_compression: int | None
    stream: bool = False
    partial_images: int = 0
    safety_identifier: str | None = None

    @property
    def resolved_quality(self) -> str:
        """What the image is billed as: `auto` as `high`, the documented default of gpt-image-1 and 1.5."""
        return "high" if self.quality == "auto" else self.quality

    @property
    def drawn_quality(self) -> Quality:
        """How finely the synthesiser draws: `xhigh` and `max` look like `high`."""
        return _DRAWN_QUALITIES.get(self.quality, "high")


def parse_params(fields: Mapping[str, object], operation: ImagesRoute, surface: Surface) -> ImageParams:
    """Validate `fields` for `operation` on `surface`; raise `ApiError` (400) on the first problem."""
    for name in fields:
        if name not in FIELDS[operation]:
            raise unknown_parameter(name)
    prompt = _prompt(fields.get("prompt"))
    model = _optional_text(fields, "model")
    if model is None and surface == "azure-v1":
        raise invalid_request("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    safety_identifier = _optional_text(fields, "safety_identifier") or _optional_text(fields, "user")
    params = ImageParams(
        prompt=prompt,
        model=model,
        n=_integer(fields, "n", 1, 10, 1),
        size=_size(fields),
        quality=_choice(fields, "quality", QUALITIES, "auto"),
        background=_choice(fields, "background", BACKGROUNDS, "auto"),
        output_format=_choice(fields, "output_format", OUTPUT_FORMATS, "png"),
        output_compression=_optional_integer(fields, "output_compression", 0, 100),
        stream=_boolean(fields, "stream"),
        partial_images=_integer(fields, "partial_images", 0, 3, 0),
        safety_identifier=safety_identifier or None,
    )
    _check_combinations(params)
    _choice(fields, "moderation", ("low", "auto"), "auto")
    _choice(fields, "input_fidelity", ("high", "low"), "low")
    return params


def _size(fields: Mapping[str, object]) -> str:
    value = fields.get("size")
    if value is None:
        return "auto"
    if not isinstance(value, str):
        raise _wrong_type("size", "a string", value)
    if not _SIZE.match(value):
        raise invalid_request(
            f"Invalid value: '{value}'. Size must be 'auto' or WIDTHxHEIGHT, for example '1536x864'.", "size"
        )
    return value


def _check_combinations(params: ImageParams) -> None:
    if params.output_compression is not None and params.output_format == "png":
        raise invalid_request(
            "Invalid 'output_compression': only supported for the jpeg and webp output formats, not png.",
            "output_compression",
        )
    if params.output_compression is not None and params.output_format in ("gif", "svg"):
        raise invalid_request(
            f"Invalid 'output_compression': not supported with the {params.output_format} output format.",
            "output_compression",
        )
    if params.background == "transparent" and params.output_format not in ("png", "webp"):
        raise invalid_request(
            "Invalid 'background': transparent backgrounds need an output format with alpha (png or webp), "
            f"not {params.output_format}.",
            "background",
        )
    if params.stream and params.output_format in ("gif", "svg"):
        raise invalid_request(f"Invalid 'stream': {params.output_format} output does not support streaming.", "stream")


def _prompt(value: object) -> str:
    if value is None:
        raise invalid_request("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")
    if not isinstance(value, str):
        raise _wrong_type("prompt", "a string", value)
    if not value.strip():
        raise invalid_request(
            "Invalid 'prompt': empty string. Expected a string with minimum length 1, but got an empty string instead.",
            "prompt",
            "empty_string",
        )
    if len(value) > MAX_PROMPT:
        raise invalid_request(
            f"Invalid 'prompt': string too long. Expected a string with maximum length {MAX_PROMPT}, but got a "
            f"string with length {len(value)} instead.",
            "prompt",
            "string_above_max_length",
        )
    return value


def _choice(fields: Mapping[str, object], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = fields.get(name)
    if value is None:  # absent or JSON null: the API default
        value = default
    if not isinstance(value, str):
        raise _wrong_type(name, "a string", value)
    if value not in allowed:
        listed = ", ".join(f"'{a}'" for a in allowed[:-1]) + f"{',' if len(allowed) > 2 else ''} and '{allowed[-1]}'"
        raise invalid_request(f"Invalid value: '{value}'. Supported values are: {listed}.", name)
    return value


def _integer(fields: Mapping[str, object], name: str, low: int, high: int, default: int) -> int:
    value = _optional_integer(fields, name, low, high)
    return default if value is None else value


def _optional_integer(fields: Mapping[str, object], name: str, low: int, high: int) -> int | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _wrong_type(name, "an integer", value)
    if value < low:
        raise invalid_request(
            f"Invalid '{name}': integer below minimum value. Expected a value >= {low}, but got {value} instead.",
            name,
            "integer_below_min_value",
        )
    if value > high:
        raise invalid_request(
            f"Invalid '{name}': integer above maximum value. Expected a value <= {high}, but got {value} instead.",
            name,
            "integer_above_max_value",
        )
    return value


def _boolean(fields: Mapping[str, object], name: str) -> bool:
    value = fields.get(name)
    if value is None:
        return False
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise _wrong_type(name, "a boolean", value)
    return value


def _optional_text(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise _wrong_type(name, "a string", value)
    return value


def _wrong_type(name: str, expected: str, value: object) -> ApiError:
    got = {bool: "a boolean", int: "an integer", float: "a decimal", str: "a string", list: "an array",
           dict: "an object"}.get(type(value), "a value of another type")  # fmt: skip
    return invalid_request(
        f"Invalid type for '{name}': expected {expected}, but got {got} instead.", name, "invalid_type"
    )

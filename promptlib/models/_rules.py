"""Parameters against one model's capabilities: what `check` reports and the client refuses before sending.

The wire rules (`_parameters`) hold for every model; these come from the model table, so a new model or
snapshot changes what is accepted without a code change. Each problem is ``(field, message)`` and the
message names the model and what it does accept.
"""

from __future__ import annotations

from collections.abc import Sequence

from promptlib.models._capabilities import Provider, SizeRule, Sizes
from promptlib.models._parameters import UNSTREAMABLE_FORMATS, ImageParameters, Operation, parse_size
from promptlib.models._table import ModelSpec

FieldProblem = tuple[str, str]


def _listing(values: Sequence[str]) -> str:
    values = list(values)
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + f" or {values[-1]}"


def describe_sizes(sizes: Sizes) -> str:
    """``1024x1024, 1536x1024, 1024x1536 or auto`` / the rule in words."""
    parts = list(sizes.listed)
    if sizes.rule is not None:
        parts.append(describe_rule(sizes.rule))
    if sizes.auto:
        parts.append("auto")
    return _listing(parts) if parts else "no size"


def describe_rule(rule: SizeRule) -> str:
    return (
        f"any WxH with edges multiples of {rule.multiple_of}, long edge at most {rule.max_long_edge}, "
        f"aspect ratio at most {rule.max_aspect_ratio:g}:1 and {rule.min_pixels:,}–{rule.max_pixels:,} pixels"
    )


def rule_violation(rule: SizeRule, width: int, height: int) -> str | None:
    """Why ``width`` x ``height`` breaks ``rule``, or None when it fits."""
    long, short = max(width, height), min(width, height)
    if width % rule.multiple_of or height % rule.multiple_of:
        return f"width and height must be multiples of {rule.multiple_of}"
    if long > rule.max_long_edge:
        return f"the long edge {long} is over {rule.max_long_edge}"
    if long > rule.max_aspect_ratio * short:
        return f"the aspect ratio {long / short:.2f}:1 is over {rule.max_aspect_ratio:g}:1"
    if not rule.min_pixels <= width * height <= rule.max_pixels:
        return f"{width * height:,} pixels is outside {rule.min_pixels:,}–{rule.max_pixels:,}"
    return None


def size_problem(sizes: Sizes, size: str, model: str) -> str | None:
    """The message for a size the model does not take, or None."""
    if size == "auto":
        return None if sizes.auto else f"{model} does not take size: auto; it takes {describe_sizes(sizes)}"
    if size in sizes.listed:
        return None
    parsed = parse_size(size)
    if sizes.rule is not None and parsed is not None:
        why = rule_violation(sizes.rule, *parsed)
        if why is None:
            return None
        return f"{size} is not a size {model} accepts ({why}); it takes {describe_sizes(sizes)}"
    return f"{size} is not a size {model} accepts; it takes {describe_sizes(sizes)}"


def parameter_problems(
    parameters: ImageParameters, operation: Operation, spec: ModelSpec, provider: Provider
) -> list[FieldProblem]:
    """Every parameter ``spec`` refuses for ``operation`` on ``provider``."""
    entry, model = spec.entry, spec.name
    problems: list[FieldProblem] = []
    if parameters.size is not None and entry.sizes is not None:
        message = size_problem(entry.sizes, parameters.size, model)
        if message:
            problems.append(("size", message))
    formats = spec.formats(provider)
    choices: list[tuple[str, object, Sequence[str] | None]] = [
        ("quality", parameters.quality, entry.qualities),
        ("background", parameters.background, entry.backgrounds),
        ("output_format", parameters.output_format, formats),
        ("moderation", parameters.moderation, entry.moderation),
        ("input_fidelity", parameters.input_fidelity, entry.input_fidelity),
    ]
    for name, value, allowed in choices:
        if value is None or allowed is None or value in allowed:
            continue
        where = f" on {provider.capitalize() if provider == 'azure' else 'OpenAI'}" if name == "output_format" else ""
        if not allowed:
            problems.append((name, f"{model} does not take {name}{where}; remove it"))
        else:
            problems.append((name, f"{model} does not take {name}: {value}{where}; it takes {_listing(allowed)}"))
    if entry.max_n is not None and parameters.n > entry.max_n:
        problems.append(("n", f"{model} makes at most {entry.max_n} images per request, not {parameters.n}"))
    if operation == "edit" and entry.edits is not None and not entry.edits.supported:
        problems.append(("operation", f"{model} does not edit images"))
    return problems


def edit_input_problems(spec: ModelSpec, images: int, masks: int) -> list[FieldProblem]:
    """Too many input images, or a mask the model does not take."""
    edits = spec.entry.edits
    if edits is None:
        return []
    problems: list[FieldProblem] = []
    if images > edits.max_images:
        problems.append(("image", f"{spec.name} edits at most {edits.max_images} images per request, not {images}"))
    if masks and not edits.mask:
        problems.append(("mask", f"{spec.name} does not take a mask"))
    return problems


def stream_problems(spec: ModelSpec | None, parameters: ImageParameters, partial_images: int) -> list[FieldProblem]:
    """Whether this request can be streamed with ``partial_images`` previews (wire rules, then the model's)."""
    problems: list[FieldProblem] = []
    fmt = parameters.output_format or "png"
    if fmt in UNSTREAMABLE_FORMATS:
        problems.append(("output_format", f"{fmt} output cannot be streamed"))
    if parameters.n != 1:
        problems.append(("n", "a stream carries one image (its events have no image index); set n: 1"))
    if not 0 <= partial_images <= 3:
        problems.append(("partial_images", f"partial_images must be 0 to 3, not {partial_images}"))
    streaming = spec.entry.streaming if spec is not None else None
    if spec is not None and streaming is not None:
        if not streaming.supported:
            problems.append(("stream", f"{spec.name} does not stream"))
        elif streaming.max_partial_images < partial_images <= 3:
            problems.append(
                ("partial_images", f"{spec.name} sends at most {streaming.max_partial_images} partial images")
            )
    return problems

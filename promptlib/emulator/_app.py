"""The emulator's ASGI app: Azure OpenAI's (and OpenAI's) image endpoints over the synthesiser.

Layers, outermost first: request id + request log, then the enforced RPM limit and fault injection when
`config.faults` asks for them, then any extra middleware given to `create_app`, then the api-key check, then
the routes. Handlers validate like the service — the wire rules, then the claimed model's entry in the
model table (`_models`) — refuse blocked prompts, synthesise in a worker thread so the event loop stays
responsive, and answer with JSON (with Azure's content-filter annotations on Azure's paths) or, for
`stream: true`, with server-sent events (`_streaming`).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from functools import partial

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from promptlib.emulator._config import EmulatorConfig
from promptlib.emulator._errors import ApiError, invalid_request, moderation_blocked, not_found, unknown_parameter
from promptlib.emulator._faults import FaultInjection, FaultPlan
from promptlib.emulator._middleware import BodyLimits, RequestContext, RequireApiKey, record_of
from promptlib.emulator._models import check_edit_inputs, check_model
from promptlib.emulator._produce import Produced, produce_edits, produce_generations, request_key
from promptlib.emulator._ratelimit import RateLimit, RateLimiter
from promptlib.emulator._records import RequestLog, RequestRecord
from promptlib.emulator._safety import CONTENT_FILTER_CLEAR, PROMPT_FILTER_CLEAR, BlockList
from promptlib.emulator._streaming import event_stream_response, stream_events
from promptlib.emulator._uploads import decode_inputs
from promptlib.emulator._usage import usage
from promptlib.emulator._validation import ImageParams, ImagesRoute, Surface, parse_params
from promptlib.emulator._variants import VariantSource
from promptlib.models._pricing import token_counts
from promptlib.models._table import shipped_table

_FILE_FIELDS = ("image", "image[]", "mask")
_SURFACES: tuple[tuple[str, Surface], ...] = (
    ("/openai/deployments/{deployment}", "deployments"),
    ("/openai/v1", "azure-v1"),
    ("/v1", "openai"),
)
_OPERATIONS: tuple[ImagesRoute, ...] = ("generations", "edits")


class EmulatorApp(Starlette):
    """The Starlette app, plus what tests need to see: its config and the log of requests it received."""

    def __init__(self, config: EmulatorConfig, middleware: Sequence[Middleware] = ()) -> None:
        self.config = config
        self.request_log = RequestLog()
        self._variants = VariantSource(config.seed)
        self._blocklist = BlockList(config.block)
        routes = [
            Route(f"{prefix}/images/{operation}", partial(self._handle, operation, surface), methods=["POST"])
            for prefix, surface in _SURFACES
            for operation in _OPERATIONS
        ]
        layers = [Middleware(RequestContext, log=self.request_log), Middleware(BodyLimits), *middleware]
        if config.api_key is not None:
            layers.append(Middleware(RequireApiKey, api_key=config.api_key))
        super().__init__(routes=routes, middleware=layers, exception_handlers={HTTPException: _http_error})

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far, oldest first (copies: later changes do not show through)."""
        return self.request_log.snapshot()

    async def _handle(self, operation: ImagesRoute, surface: Surface, request: Request) -> Response:
        record = record_of(request)
        record.operation = operation
        record.deployment = request.path_params.get("deployment")
        spec = self.config.spec
        try:
            _check_api_version(request.query_params.get("api-version"), surface)
            fields, uploads, mask = await _read_body(request, operation)
            _note_request(record, fields)
            params = parse_params(fields, operation, surface)
            check_model(params, fields, operation, surface, spec)
            if operation == "edits":
                check_edit_inputs(len(uploads), mask is not None, spec)
            if self._blocklist.blocks(params.prompt):
                raise moderation_blocked(record.request_id)
            samples = self._variants.take(request_key(operation, params, [*uploads, mask or b""]), params.n)
            produced, inputs = await anyio.to_thread.run_sync(
                partial(self._produce, operation, params, uploads, mask, samples)
            )
        except ApiError as error:
            return error.response()
        counts = token_counts(spec)
        partials = params.partial_images if params.stream else 0
        used = usage(params.prompt, params.resolved_quality, produced.size, len(produced.images), inputs, counts,
                     partials)  # fmt: skip
        if params.stream:
            return event_stream_response(stream_events(operation, params, produced, used))
        return JSONResponse(_body(params, produced, used, annotated=surface != "openai"))

    def _produce(
        self, operation: ImagesRoute, params: ImageParams, uploads: list[bytes], mask: bytes | None, samples: list[int]
    ) -> tuple[Produced, list[tuple[int, int]]]:
        if operation == "generations":
            return produce_generations(params, samples, self.config.variance), []
        inputs = decode_inputs(uploads, mask)
        produced = produce_edits(params, inputs, samples, self.config.variance)
        return produced, [image.size for image in inputs.images]


def create_app(config: EmulatorConfig | None = None, *, middleware: Sequence[Middleware] = ()) -> EmulatorApp:
    """A new emulator app (its own request log, variant sequence, fault plan and rate-limit windows).

    `middleware` is placed inside the request-id/log layer and outside the api-key check, so a fault layer
    added there sees every request, is logged, and answers before auth as a gateway would. The RPM limit and
    faults of `config.faults` are installed there first (limit outermost: a throttled request is not
    faulted, and every admitted one counts against the limit, failed or not).
    """
    config = config or EmulatorConfig()
    return EmulatorApp(config, [*fault_middleware(config), *middleware])


def fault_middleware(config: EmulatorConfig) -> list[Middleware]:
    """The layers `config.faults` asks for: none when it asks for nothing, so a plain emulator stays plain."""
    faults = config.faults
    layers = []
    if faults.rpm is not None:
        layers.append(Middleware(RateLimit, limiter=RateLimiter(faults.rpm)))
    if faults.injects:
        layers.append(Middleware(FaultInjection, plan=FaultPlan(faults, config.seed)))
    return layers


def _check_api_version(version: str | None, surface: Surface) -> None:
    """Deployment paths need a dated api-version that exists and has GPT image support (the model table's
    `azure_api_versions`: older, future or made-up versions get Azure's 404); v1 paths take v1|preview or none."""
    if surface == "deployments":
        if version not in shipped_table().azure_api_versions:
            raise not_found()
    elif surface == "azure-v1" and version not in (None, "v1", "preview"):
        raise invalid_request(
            f"Invalid 'api-version': '{version}'. The /openai/v1 API takes 'v1', 'preview' or no api-version.",
            "api-version",
        )


async def _read_body(request: Request, operation: ImagesRoute) -> tuple[dict[str, object], list[bytes], bytes | None]:
    """Form fields, image uploads and mask: JSON for generations, multipart/form-data for edits."""
    if operation == "generations":
        try:
            fields = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting is a bad body, not a crash
            fields = None
        if not isinstance(fields, dict):
            raise invalid_request(
                "We could not parse the JSON body of your request. The images API expects a JSON object.", None, None
            )
        return fields, [], None
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise invalid_request(
            "Invalid content type: image edits must be sent as multipart/form-data.", None, "invalid_content_type"
        )
    return await _read_form(request)


async def _read_form(request: Request) -> tuple[dict[str, object], list[bytes], bytes | None]:
    try:
        form = await request.form(max_files=64, max_fields=64)
    except (MultiPartException, HTTPException) as error:
        raise invalid_request(f"Invalid multipart body: {getattr(error, 'detail', error)}", None, None) from error
    fields: dict[str, object] = {}
    images: list[bytes] = []
    mask: bytes | None = None
    try:
        for name, value in form.multi_items():
            if isinstance(value, str) and name in _FILE_FIELDS:
                raise invalid_request(
                    f"Invalid type for '{name}': expected a file, but got a string instead.", name, "invalid_type"
                )
            if isinstance(value, str):
                fields[name] = value
            elif name not in _FILE_FIELDS:
                raise unknown_parameter(name)
            elif name == "mask":
                mask = await value.read()
            else:
                images.append(await value.read())
    finally:
        await form.close()
    return fields, images, mask


def _note_request(record: RequestRecord, fields: dict[str, object]) -> None:
    """Copy what arrived into the log before validation, so refused requests are recorded too."""
    prompt, model, n = fields.get("prompt"), fields.get("model"), fields.get("n", 1)
    record.prompt = prompt if isinstance(prompt, str) else None
    record.model = model if isinstance(model, str) else None
    if record.deployment is None:
        record.deployment = record.model
    if isinstance(n, str) and n.strip().isdigit():
        n = int(n)
    record.n = n if isinstance(n, int) and not isinstance(n, bool) else None


def _body(params: ImageParams, produced: Produced, used: dict[str, object], annotated: bool) -> dict[str, object]:
    """The 200 body; on Azure's paths each image carries Azure's content-filter annotations (all clear)."""
    items: list[dict[str, object]] = [{"b64_json": base64.b64encode(data).decode("ascii")} for data in produced.images]
    if annotated:
        for item in items:
            item.update(prompt_filter_results=PROMPT_FILTER_CLEAR, content_filter_results=CONTENT_FILTER_CLEAR)
    body: dict[str, object] = {
        "created": int(time.time()),
        "data": items,
        "background": produced.background,
        "output_format": params.output_format,
        "quality": params.resolved_quality,
        "size": f"{produced.size[0]}x{produced.size[1]}",
        "usage": used,
    }
    if params.safety_identifier:
        body["safety_identifier"] = params.safety_identifier
    return body


async def _http_error(request: Request, exc: Exception) -> Response:
    """Router errors (unknown path 404, wrong method 405) in Azure's envelope instead of plain text."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return not_found().response()
    message = exc.detail if isinstance(exc, HTTPException) else "Internal error"
    return ApiError(status, {"code": str(status), "message": message}).response()

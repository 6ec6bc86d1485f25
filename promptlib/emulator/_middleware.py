"""ASGI layers around the API: request ids and the request log (outermost), body limits, then the api-key check.

They are plain ASGI middleware so that they also wrap responses the router makes itself (404s) and so a
later fault-injection layer can be slotted between them (see `create_app(..., middleware=...)`).
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptlib.core._safe_text import one_line
from promptlib.emulator._errors import ApiError, unauthorized
from promptlib.emulator._records import RequestLog, RequestRecord

logger = logging.getLogger("promptlib.emulator")
_RECORD_KEY = "promptlib.emulator.record"


def record_of(request: Request) -> RequestRecord:
    """The log record `RequestContext` opened for `request`."""
    return record_in(request.scope)


def record_in(scope: Scope) -> RequestRecord:
    """The log record `RequestContext` opened for the request of `scope` (for ASGI layers)."""
    record = scope.get("state", {}).get(_RECORD_KEY)
    if not isinstance(record, RequestRecord):
        raise RuntimeError("the emulator's RequestContext middleware is not installed")
    return record


class RequestContext:
    """Give every request an id (sent back as `x-request-id` and `apim-request-id`) and a log record."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = self.log.open(RequestRecord(time.time(), scope["method"], scope["path"], str(uuid.uuid4())))
        scope.setdefault("state", {})[_RECORD_KEY] = record

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = record.request_id
                headers["apim-request-id"] = record.request_id
                record.status = message["status"]
                # Method, path (never the query string) and status only: nothing a client sent can leak, and the
                # path (percent-decoded: %0a is a newline) is escaped so it cannot forge a log line.
                logger.info(
                    "%s %s %s %.0fms request_id=%s", one_line(record.method), one_line(record.path), record.status,
                    (time.perf_counter() - started) * 1000, record.request_id,
                )  # fmt: skip
            await send(message)

        await self.app(scope, receive, send_with_id)


class RequireApiKey:
    """Require the configured key as `api-key: <key>` or `Authorization: Bearer <key>`; else Azure's 401."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorised(Headers(scope=scope)):
            await unauthorized().response()(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorised(self, headers: Headers) -> bool:
        presented = [headers.get("api-key", "")]
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            presented.append(token.strip())
        return any(hmac.compare_digest(candidate.encode(), self._key) for candidate in presented if candidate)


#: A generation is JSON with a prompt of at most 32,000 characters (128 KB of UTF-8) and a few fields.
MAX_JSON_BODY = 1024 * 1024
#: An edit: up to 16 images under 50 MB each plus a mask under 4 MB (Azure's documented limits).
MAX_FORM_BODY = 16 * 50 * 1024 * 1024 + 4 * 1024 * 1024
#: A client that sends nothing for this long, or takes longer than BODY_TIMEOUT for the whole body, is cut off.
BODY_IDLE_TIMEOUT = 30.0
BODY_TIMEOUT = 300.0


class _BodyRefused(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(error.error.get("message"))
        self.error = error


def body_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        {
            "code": "request_too_large",
            "message": f"The request body is over the {limit:,}-byte limit for this operation.",
            "param": None,
            "type": "invalid_request_error",
        },
    )


def body_too_slow() -> ApiError:
    return ApiError(
        408,
        {
            "code": "request_timeout",
            "message": "The request body did not arrive in time.",
            "param": None,
            "type": "invalid_request_error",
        },
    )


class BodyLimits:
    """Refuse bodies over Azure's limits (by Content-Length up front, else as they stream) and clients that
    trickle them: nothing is buffered past the limit, and a slow client cannot hold a worker for ever."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = MAX_FORM_BODY if headers.get("content-type", "").startswith("multipart/") else MAX_JSON_BODY
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await body_too_large(limit).response()(scope, receive, send)
            return
        received, deadline, started = 0, time.monotonic() + BODY_TIMEOUT, False

        async def limited() -> Message:
            nonlocal received
            wait = min(BODY_IDLE_TIMEOUT, deadline - time.monotonic())
            with anyio.move_on_after(max(wait, 0)) as scope_:
                message = await receive()
            if scope_.cancelled_caught:
                raise _BodyRefused(body_too_slow())
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyRefused(body_too_large(limit))
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except _BodyRefused as refused:
            if not started:
                await refused.error.response()(scope, receive, send)

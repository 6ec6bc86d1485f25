"""ASGI layers around the API: request ids and the request log (outermost), then the api-key check.

They are plain ASGI middleware so that they also wrap responses the router makes itself (404s) and so a
later fault-injection layer can be slotted between them (see `create_app(..., middleware=...)`).
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptlib.emulator._errors import unauthorized
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
                # Method, path (never the query string) and status only: nothing a client sent can leak.
                logger.info(
                    "%s %s %s %.0fms request_id=%s", record.method, record.path, record.status,
                    (time.perf_counter() - started) * 1000, record.request_id,
                )  # fmt: skip
            await send(message)

        await self.app(scope, receive, send_with_id)


class ApiKeyAuth:
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

"""Reading responses: images and usage out of a 200, the right error out of anything else.

Kept apart from the client so the rules (what is a safety block, what is worth
retrying, how long the service asked us to wait) read as one page.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import io
import json
import time
from typing import Any

import httpx

from ._pricing import Usage
from ._redact import redact
from ._results import GeneratedImage
from .deployments.base import Endpoint
from .exceptions import AuthenticationFailed, ContentBlocked, ExecutionError, RateLimited

SAFETY_CODES = frozenset({"moderation_blocked", "content_policy_violation", "contentFilter", "content_filter"})
SAFETY_TYPE = "image_generation_user_error"
RETRY_STATUSES = frozenset({408, 409, 429})
_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}


class RetryableError(Exception):
    """A failure worth another attempt; ``retry_after`` is the wait the service asked for."""

    def __init__(self, error: ExecutionError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after

    def final(self, attempts: int) -> ExecutionError:
        """The error to raise once retries are exhausted, with the attempt count."""
        err = self.error
        return type(err)(
            err.reason, deployment=err.deployment, status=err.status, request_id=err.request_id, attempts=attempts
        )


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """``retry-after-ms`` first, then ``Retry-After`` as seconds or an HTTP date."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if _looks_like_date(raw) else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _looks_like_date(raw: str) -> bool:
    try:
        return email.utils.parsedate_tz(raw) is not None
    except (TypeError, ValueError):
        return False


def _error_body(response: httpx.Response) -> tuple[str | None, str | None, str]:
    """(code, type, message) from the OpenAI/Azure error envelope, tolerating anything."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None, None, response.reason_phrase or "no details"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None, response.reason_phrase or "no details"
    code = error.get("code")
    kind = error.get("type")
    message = str(error.get("message") or response.reason_phrase or "no details")
    return (str(code) if code is not None else None), (str(kind) if kind is not None else None), message


def is_safety_block(status: int, code: str | None, kind: str | None, message: str) -> bool:
    if status != 400:
        return False
    return code in SAFETY_CODES or kind == SAFETY_TYPE or "safety system" in message.lower()


def error_for_status(
    endpoint: Endpoint, response: httpx.Response, request_id: str | None, max_retry_after: float
) -> Exception:
    """The exception for a non-200 answer: raised as is, or wrapped as RetryableError."""
    status = response.status_code
    code, kind, raw_message = _error_body(response)
    message = redact(raw_message)[:500]
    where: dict[str, Any] = {"deployment": endpoint.name, "status": status, "request_id": request_id}
    if is_safety_block(status, code, kind, message):
        return ContentBlocked(
            f"blocked by the safety system: {message}", code=code, categories=_categories(message), **where
        )
    if status in (401, 403):
        hint = "check the key or credential and the role assignment" if status == 403 else "check the key or token"
        return AuthenticationFailed(f"the deployment refused the credentials: {message}; {hint}", **where)
    if status in RETRY_STATUSES or status >= 500:
        wait = retry_after_seconds(response.headers)
        error_cls = RateLimited if status == 429 else ExecutionError
        error = error_cls(f"{'rate limited' if status == 429 else 'service error'}: {message}", **where)
        if wait is not None and wait > max_retry_after:
            return error_cls(f"{error.reason}; the service asked to wait {wait:.0f} s", **where)
        return RetryableError(error, wait)
    if status == 404:
        return ExecutionError(f"not found: {message}; check the endpoint, deployment name and api_version", **where)
    suffix = f" (code {code})" if code else ""
    return ExecutionError(f"the service rejected the request: {message}{suffix}", **where)


def _categories(message: str) -> tuple[str, ...]:
    """``safety_violations=[violence, sexual]`` in the message, when the service says which."""
    marker = "safety_violations=["
    start = message.find(marker)
    if start < 0:
        return ()
    end = message.find("]", start)
    inner = message[start + len(marker) : end if end > 0 else None]
    return tuple(part.strip() for part in inner.split(",") if part.strip())


def decode_images(
    endpoint: Endpoint, response: httpx.Response, request_id: str | None
) -> tuple[tuple[GeneratedImage, ...], Usage | None]:
    """Images and usage from a 200; a garbled body is retryable (gateways do truncate)."""
    where: dict[str, Any] = {"deployment": endpoint.name, "status": 200, "request_id": request_id}
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise RetryableError(ExecutionError("the response body is not valid JSON", **where), None) from None
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise RetryableError(ExecutionError("the response has no images in data[]", **where), None)
    images = tuple(_decode_one(item, index, where) for index, item in enumerate(items))
    return images, Usage.from_response(body.get("usage"))


def _decode_one(item: Any, index: int, where: dict[str, Any]) -> GeneratedImage:
    from PIL import Image, UnidentifiedImageError

    b64 = item.get("b64_json") if isinstance(item, dict) else None
    if not isinstance(b64, str):
        if isinstance(item, dict) and item.get("url"):
            raise ExecutionError(f"data[{index}] is a URL; GPT image deployments must return b64_json", **where)
        raise RetryableError(ExecutionError(f"data[{index}] has no b64_json", **where), None)
    try:
        data = base64.b64decode(b64, validate=True)
        with Image.open(io.BytesIO(data)) as img:
            fmt = _FORMATS.get(str(img.format))
            img.load()
            width, height = img.size
    except (binascii.Error, ValueError, OSError, UnidentifiedImageError, SyntaxError) as exc:
        message = f"data[{index}] is not a complete image ({type(exc).__name__})"
        raise RetryableError(ExecutionError(message, **where), None) from None
    if fmt is None:
        raise ExecutionError(f"data[{index}] is an unexpected image format", **where)
    return GeneratedImage(data=data, format=fmt, width=width, height=height, index=index)

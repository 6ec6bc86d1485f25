"""Reading responses: images and usage out of a 200, the right error out of anything else.

Kept apart from the client so the rules (what is a safety block, what is worth
retrying, how long the service asked us to wait) read as one page. Shapes, from
shared/reference/azure-images-api.md §4–§5: Azure's dated api-versions may mark a
safety refusal only by ``inner_error.code: ResponsibleAIPolicyViolation``; a 403
"temporarily blocked" is an abuse block on the resource, not a credentials problem;
and a 200 may carry images the output filter removed, which are recorded while the
good ones are kept (retrying would pay again for images already delivered).
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import io
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from promptlib.client._endpoint import Endpoint
from promptlib.client._results import FilteredImage, GeneratedImage
from promptlib.core._redact import redact
from promptlib.exceptions import AuthenticationFailed, ContentBlocked, ExecutionError, RateLimited
from promptlib.models._pricing import Usage

SAFETY_CODES = frozenset({"moderation_blocked", "content_policy_violation", "contentFilter", "content_filter"})
SAFETY_TYPE = "image_generation_user_error"
SAFETY_INNER_CODE = "ResponsibleAIPolicyViolation"
RETRY_STATUSES = frozenset({408, 409, 429})
_FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}


class RetryableError(Exception):
    """A failure worth another attempt; ``retry_after`` is the wait the service asked for.

    ``read_timeout``: the request was sent and no answer came in time, so the service may be generating
    (and billing) it anyway; such a failure is retried at most once (see `_client`).
    """

    def __init__(self, error: ExecutionError, retry_after: float | None, read_timeout: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.read_timeout = read_timeout

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


@dataclass(frozen=True)
class ErrorFields:
    """What an OpenAI/Azure error envelope says, tolerating anything."""

    code: str | None
    kind: str | None
    message: str
    inner_code: str | None = None  # Azure's inner_error.code (innererror on older surfaces)
    filtered: tuple[str, ...] = ()  # categories inner_error.content_filter_results marks filtered


def error_fields(body: object, fallback: str) -> ErrorFields:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ErrorFields(None, None, fallback)
    code, kind = error.get("code"), error.get("type")
    inner = error.get("inner_error") or error.get("innererror")
    inner_code = inner.get("code") if isinstance(inner, dict) else None
    filters = inner.get("content_filter_results") if isinstance(inner, dict) else None
    return ErrorFields(
        str(code) if code is not None else None, str(kind) if kind is not None else None,
        str(error.get("message") or fallback), str(inner_code) if inner_code is not None else None,
        filtered_categories(filters),
    )  # fmt: skip


def filtered_categories(results: object) -> tuple[str, ...]:
    """The categories Azure's ``content_filter_results`` mark ``filtered: true``."""
    if not isinstance(results, dict):
        return ()
    return tuple(sorted(k for k, v in results.items() if isinstance(v, dict) and v.get("filtered") is True))


def _error_body(response: httpx.Response) -> ErrorFields:
    fallback = response.reason_phrase or "no details"
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return ErrorFields(None, None, fallback)
    return error_fields(body, fallback)


def is_safety_block(status: int, fields: ErrorFields) -> bool:
    if status not in (200, 400):
        return False
    return (
        fields.code in SAFETY_CODES or fields.kind == SAFETY_TYPE or fields.inner_code == SAFETY_INNER_CODE
        or "safety system" in fields.message.lower()
    )  # fmt: skip


def is_resource_blocked(status: int, fields: ErrorFields) -> bool:
    """Azure's abuse block on the whole resource (403 "temporarily blocked"; reference §5.2)."""
    return status == 403 and "temporarily blocked" in fields.message.lower()


def error_for_status(
    endpoint: Endpoint, response: httpx.Response, request_id: str | None, max_retry_after: float
) -> Exception:
    """The exception for a non-200 answer: raised as is, or wrapped as RetryableError."""
    status = response.status_code
    fields = _error_body(response)
    code, message = fields.code, redact(fields.message)[:500]
    where: dict[str, Any] = {"deployment": endpoint.name, "status": status, "request_id": request_id}
    if is_safety_block(status, fields):
        return blocked(fields, where)
    if is_resource_blocked(status, fields):
        return ExecutionError(
            f"the resource is temporarily blocked by Azure's abuse monitoring: {message}; this is not a "
            "credentials problem and retrying will not help: see the resource in the Azure portal or ask Azure "
            "support", **where,
        )  # fmt: skip
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


def blocked(fields: ErrorFields, where: dict[str, Any]) -> ContentBlocked:
    message = redact(fields.message)[:500]
    categories = fields.filtered or _categories(message)
    return ContentBlocked(
        f"blocked by the safety system: {message}", code=fields.code or fields.inner_code, categories=categories,
        **where,
    )  # fmt: skip


def _categories(message: str) -> tuple[str, ...]:
    """``safety_violations=[violence, sexual]`` in the message, when the service says which."""
    marker = "safety_violations=["
    start = message.find(marker)
    if start < 0:
        return ()
    end = message.find("]", start)
    inner = message[start + len(marker) : end if end > 0 else None]
    return tuple(part.strip() for part in inner.split(",") if part.strip())


@dataclass(frozen=True)
class Decoded:
    """A 200's images, usage, and the images Azure's output filter removed."""

    images: tuple[GeneratedImage, ...]
    usage: Usage | None
    filtered: tuple[FilteredImage, ...] = ()


def decode_images(endpoint: Endpoint, response: httpx.Response, request_id: str | None) -> Decoded:
    """Images and usage from a 200; a garbled body is retryable (gateways do truncate).

    Items the output filter removed are recorded, not retried: a retry would pay again for the good ones.
    Only when every item was filtered is the answer a safety block.
    """
    where: dict[str, Any] = {"deployment": endpoint.name, "status": 200, "request_id": request_id}
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise RetryableError(ExecutionError("the response body is not valid JSON", **where), None) from None
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise RetryableError(ExecutionError("the response has no images in data[]", **where), None)
    images, filtered = [], []
    for index, item in enumerate(items):
        removed = _filtered(item, index)
        if removed is not None:
            filtered.append(removed)
        elif isinstance(item, dict) and item.get("url") and not isinstance(item.get("b64_json"), str):
            raise ExecutionError(f"data[{index}] is a URL; GPT image deployments must return b64_json", **where)
        else:
            images.append(decode_b64_image(item.get("b64_json") if isinstance(item, dict) else None, index, where))
    if not images:
        categories = tuple(sorted({c for f in filtered for c in f.categories}))
        listed = f" ({', '.join(categories)})" if categories else ""
        message = f"every image was removed by the output filter{listed}"
        raise ContentBlocked(f"blocked by the safety system: {message}", code="content_filter",
                             categories=categories, **where)  # fmt: skip
    return Decoded(tuple(images), Usage.from_response(body.get("usage")), tuple(filtered))


def _filtered(item: Any, index: int) -> FilteredImage | None:
    """The item as a filtered image when it has no image and Azure's annotations (or an error) say why."""
    if not isinstance(item, dict) or isinstance(item.get("b64_json"), str) or item.get("url"):
        return None
    categories = filtered_categories(item.get("content_filter_results"))
    error = error_fields({"error": item.get("error")}, "") if isinstance(item.get("error"), dict) else None
    if categories or (error is not None and is_safety_block(200, error)):
        return FilteredImage(index=index, categories=categories or (error.filtered if error else ()))
    return None


def decode_b64_image(b64: object, index: int, where: dict[str, Any]) -> GeneratedImage:
    """One base64 image (a ``data[]`` item's or a stream event's), checked to decode completely."""
    from PIL import Image, UnidentifiedImageError

    if not isinstance(b64, str):
        raise RetryableError(ExecutionError(f"data[{index}] has no b64_json", **where), None)
    try:
        data = base64.b64decode(b64, validate=True)
        with Image.open(io.BytesIO(data)) as img:
            fmt = _FORMATS.get(str(img.format))
            width, height = img.size
            # A PNG is complete when every chunk through IEND is there with its CRC: checking that is ~15x
            # cheaper than inflating the pixels, which the eval's hashing does anyway (once, not twice)
            if fmt == "png":
                img.verify()
            else:
                img.load()
    except (binascii.Error, ValueError, OSError, UnidentifiedImageError, SyntaxError) as exc:
        message = f"data[{index}] is not a complete image ({type(exc).__name__})"
        raise RetryableError(ExecutionError(message, **where), None) from None
    if fmt is None:
        raise ExecutionError(f"data[{index}] is an unexpected image format", **where)
    return GeneratedImage(data=data, format=fmt, width=width, height=height, index=index)

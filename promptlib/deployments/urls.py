"""Endpoints as people paste them: the resource root, whatever the portal or Learn page appended.

The portal shows `https://RES.openai.azure.com/`, Learn samples `https://RES.openai.azure.com/openai/v1/`,
and users copy either, with or without `/openai` or a trailing slash. Each is reduced to the resource root
(plus any gateway path prefix), so the client builds every path itself and a doubled `/openai/v1/openai/v1`
cannot reach the wire. Anything the root cannot hold (a query, a fragment, a deployment path) is an error
that says where the part belongs instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import httpx

ApiStyle = Literal["deployments", "v1"]


class EndpointShapeError(ValueError):
    """The URL is not a resource root or one of the forms users paste; the message says what to write."""


@dataclass(frozen=True)
class UnderstoodEndpoint:
    """A pasted endpoint reduced to its root, and the URL style its path implied (if any)."""

    root: str
    implied_style: ApiStyle | None = None

    def describe(self, style: ApiStyle) -> str:
        return f"resource {self.root}, api_style {style}"


def understand_endpoint(url: str) -> UnderstoodEndpoint:
    """`https://res.services.ai.azure.com/openai/v1/` → root `https://res.services.ai.azure.com`, style v1."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise EndpointShapeError("is not a valid URL") from None
    _check_scheme(parsed)
    if parsed.query:
        raise EndpointShapeError("must not carry a query string; set api_version: instead of ?api-version=")
    if parsed.fragment:
        raise EndpointShapeError("must not carry a #fragment")
    segments = [segment for segment in parsed.path.split("/") if segment]
    lowered = [segment.lower() for segment in segments]
    if "deployments" in lowered or "images" in lowered:
        raise EndpointShapeError(
            "should be the resource root (https://RESOURCE.openai.azure.com), not a request URL; put the "
            "deployment name in deployment:"
        )
    implied: ApiStyle | None = None
    if lowered[-2:] == ["openai", "v1"]:
        segments, implied = segments[:-2], "v1"
    elif lowered[-1:] == ["openai"]:
        segments = segments[:-1]
    if "openai" in (segment.lower() for segment in segments):
        raise EndpointShapeError("has /openai in it twice; give the resource root")
    prefix = "".join(f"/{segment}" for segment in segments)
    return UnderstoodEndpoint(root=f"{parsed.scheme}://{parsed.netloc.decode('ascii')}{prefix}", implied_style=implied)


def understand_base_url(url: str) -> str:
    """An OpenAI-style base URL (`…/v1`) without the trailing slash, query or fragment it was pasted with."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise EndpointShapeError("is not a valid URL") from None
    _check_scheme(parsed)
    if parsed.query or parsed.fragment:
        raise EndpointShapeError("must not carry a query string or fragment")
    lowered = parsed.path.lower().rstrip("/")
    if lowered.endswith(("/images/generations", "/images/edits")):
        raise EndpointShapeError("should be the API base (…/v1), not a request URL")
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}{parsed.path.rstrip('/')}"


def _check_scheme(parsed: httpx.URL) -> None:
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise EndpointShapeError("must start with https:// and name a host")

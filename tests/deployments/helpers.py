"""Shared by the deployments-layer tests: throwaway projects, PNG inputs, a recording MockTransport, fixtures.

Imported as ``deployments.helpers`` (tests/ is on sys.path for the top-level test modules; the CLI tests add
it). Its fixtures (``real_retries``, ``anyio_backend``, ``send``) live in tests/conftest.py; a module that times
the client's back-off asks for production retries with ``pytestmark = pytest.mark.usefixtures("real_retries")``.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from promptlib import deployments
from promptlib.client._client import ImagesClient, RetryPolicy
from promptlib.client._endpoint import Endpoint
from promptlib.client._requests import ImageRequest
from promptlib.client._results import GenerationResult
from promptlib.config._settings import load_settings
from promptlib.models._parameters import ImageParameters
from promptlib.prompts._rendered import InputImage

ENV_PREFIXES = ("AZURE_", "OPENAI_", "PROMPTLIB_")
FAST = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.05, wait_jitter=0)
API_VERSION = "2025-04-01-preview"

GENERATE_TEMPLATE = """\
version: 1
description: A test tile.
operation: generate
variables:
  subject: {type: string, default: a red kite}
parameters:
  size: 1024x1024
  quality: low
  output_format: png
template: |
  A flat icon of {{ subject }} on a plain background.
"""

WIDE_JPEG_TEMPLATE = """\
version: 2
description: A wide jpeg banner.
operation: generate
variables:
  subject: {type: string, default: a lighthouse}
parameters:
  size: 1536x1024
  quality: medium
  output_format: jpeg
  n: 2
template: |
  A wide banner photo of {{ subject }} at dusk.
"""

EDIT_TEMPLATE = """\
version: 1
description: Repaint the masked area.
operation: edit
variables:
  photo: {type: image, role: image}
  mask: {type: image, role: mask}
parameters:
  size: 1024x1024
  quality: low
  output_format: png
template: |
  Replace the masked area with a calm blue sky.
"""


def clear_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AZURE_*, OPENAI_* or PROMPTLIB_* variable leaks in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)


Send = Callable[[ImagesClient, ImageRequest], Awaitable[GenerationResult]]


def make_project(
    root: Path,
    deployments_yaml: str = "",
    templates: dict[str, str] | None = None,
    default_deployment: str = "local",
) -> Path:
    """promptlib.yaml + prompts/<id>.yaml files under ``root``; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    body = f"prompts: prompts\ndefault_deployment: {default_deployment}\n"
    if deployments_yaml:
        body += "deployments:\n" + _indent(deployments_yaml, 2)
    (root / "promptlib.yaml").write_text(body, encoding="utf-8")
    for template_id, text in (templates or {"tile": GENERATE_TEMPLATE}).items():
        path = root / "prompts" / f"{template_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line + "\n" if line.strip() else "\n" for line in text.strip("\n").splitlines())


def azure_yaml(
    name: str = "dev",
    *,
    endpoint: str = "https://contoso.openai.azure.com",
    deployment: str = "img-dev",
    model: str = "gpt-image-1.5",
    api_style: str | None = None,
    auth: str = "{type: api-key, env: AZURE_OPENAI_API_KEY}",
    extra: str = "",
) -> str:
    lines = [
        f"{name}:",
        "  kind: azure-openai",
        f"  endpoint: {endpoint}",
        f"  deployment: {deployment}",
        f"  model: {model}",
        f"  auth: {auth}",
    ]
    if api_style:
        lines.append(f"  api_style: {api_style}")
    lines += [f"  {line}" for line in extra.strip().splitlines()]
    return "\n".join(lines) + "\n"


# -- images ------------------------------------------------------------------------------------------------


def png(size: tuple[int, int] = (64, 64), color: tuple[int, ...] = (200, 40, 40), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, "PNG")
    return buffer.getvalue()


def b64_png(size: tuple[int, int] = (16, 16)) -> str:
    return base64.b64encode(png(size)).decode("ascii")


def image_of(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def ok_body(count: int = 1, size: tuple[int, int] = (16, 16), **extra: Any) -> dict[str, Any]:
    """A GPT Image 200 body: base64 PNGs plus usage."""
    return {
        "created": 1700000000,
        "data": [{"b64_json": b64_png(size)} for _ in range(count)],
        "usage": {
            "input_tokens": 20,
            "input_tokens_details": {"text_tokens": 12, "image_tokens": 8},
            "output_tokens": 272,
            "total_tokens": 292,
        },
        **extra,
    }


def error_body(code: str | None, message: str = "no", kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "type": kind, "param": None}}


# -- recording transport -------------------------------------------------------------------------------------


@dataclass
class Seen:
    """One request as the transport received it."""

    request: httpx.Request
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
        """(fields, [(part name, filename, bytes)]) of a multipart body."""
        return parse_multipart(self.request.headers["content-type"], self.body)


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class Recorder:
    """A MockTransport handler that records every request and answers from a script.

    ``replies`` are used in order (the last one repeats); each may be a Response, an exception to raise
    (e.g. ``httpx.ConnectError``), or a callable taking the request.
    """

    replies: list[Reply] = field(default_factory=lambda: [httpx.Response(200, json=ok_body())])
    delay: float = 0.0
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _enter(self, request: httpx.Request, body: bytes) -> Reply:
        # A snapshot: httpx auth flows mutate and resend the same request object.
        snapshot = httpx.Request(request.method, request.url, headers=request.headers.copy(), content=body)
        with self._lock:
            self.seen.append(Seen(snapshot, body, time.monotonic()))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            index = min(len(self.seen) - 1, len(self.replies) - 1)
            return self.replies[index]

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    @staticmethod
    def _answer(reply: Reply, request: httpx.Request) -> httpx.Response:
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
        return reply(request)

    def handler(self, request: httpx.Request) -> httpx.Response:
        reply = self._enter(request, request.read())
        try:
            if self.delay:
                time.sleep(self.delay)
            return self._answer(reply, request)
        finally:
            self._leave()

    async def ahandler(self, request: httpx.Request) -> httpx.Response:
        import anyio

        reply = self._enter(request, await request.aread())
        try:
            if self.delay:
                await anyio.sleep(self.delay)
            return self._answer(reply, request)
        finally:
            self._leave()

    def transports(self) -> dict[str, Any]:
        return {
            "transport": httpx.MockTransport(self.handler),
            "async_transport": httpx.MockTransport(self.ahandler),
        }

    @property
    def count(self) -> int:
        return len(self.seen)

    def gaps(self) -> list[float]:
        return [b.at - a.at for a, b in zip(self.seen, self.seen[1:], strict=False)]


def mocked(endpoint: Endpoint, recorder: Recorder) -> Endpoint:
    """The same endpoint, its HTTP going to ``recorder``."""
    return dataclasses.replace(endpoint, **recorder.transports())


def endpoint_from_yaml(root: Path, deployments_yaml: str, name: str) -> Endpoint:
    """Resolve ``name`` from a promptlib.yaml written with these deployments (env must already be set)."""
    make_project(root, deployments_yaml)
    return deployments.endpoint_for(load_settings(root), name)


def client_for(endpoint: Endpoint, recorder: Recorder, retry: RetryPolicy | None = FAST) -> ImagesClient:
    return ImagesClient(mocked(endpoint, recorder), retry=retry)


def request_for(
    endpoint: Endpoint,
    prompt: str = "a red kite",
    *,
    operation: str = "generate",
    images: Iterable[InputImage] = (),
    **parameters: Any,
) -> ImageRequest:
    params = ImageParameters(**({"size": "1024x1024", "quality": "low"} | parameters))
    return ImageRequest(
        operation=operation,  # type: ignore[arg-type]
        prompt=prompt,
        parameters=params,
        deployment=endpoint.name,
        model=endpoint.model,
        images=tuple(images),
    )


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    """A small multipart/form-data reader (stdlib email), enough to see field and file part names."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if filename is None:
            fields[str(name)] = payload.decode()
        else:
            files.append((str(name), filename, payload))
    return fields, files

"""Faults on demand: the hostile deployment promptlib's retries, timeouts and decoding are tested against.

Each request gets one step — `ok` or a fault — from a script first (a fixed sequence, for tests that need an
exact order), then by rate (`fail_rate`, drawn from a seeded RNG so a faulty run can be replayed). Latency is
added to every request before it is answered. What each fault does on the wire:

- `429`: Azure's rate-limit envelope with `retry-after-ms` and `Retry-After` (the configured wait).
- `500` / `503`: Azure's transient-error envelopes.
- `drop`: the connection closes with no response at all (in-process: `httpx.RemoteProtocolError`).
- `badjson`: a 200 whose JSON body is cut in half.
- `truncate`: a 200 with valid JSON whose `b64_json` values are cut short (a truncated image).
- `slow`: the 200's headers are sent at once, the body only after `slow_ms` (past a client's read timeout).
- `filter`: a 200 whose last `data[]` image the output filter removed (Azure's annotation, no image).
- `garble`: a normal 200 whose images print every quoted text misprinted (`_garble`), as a model that
  cannot spell would; nothing on the wire is wrong, only what the image says.

A streamed answer (`stream: true`) is spoiled the same way where that makes sense: `badjson` and `truncate`
cut the event stream short, `slow` stalls it; `filter` leaves it alone (a stream carries one image).
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptlib.emulator._garble import garbling
from promptlib.emulator._middleware import record_in
from promptlib.emulator._safety import FILTERED_IMAGE

#: Fault names, in the order rates are laid out on [0, 1) (so a seed gives the same faults release to release).
FAULTS = ("429", "500", "503", "drop", "badjson", "truncate", "slow", "filter", "garble")
#: What a script may say: a fault, or `ok` for a normal answer.
STEPS = ("ok", *FAULTS)
#: Scope extension a server may set: a callable that closes the client's connection without a response.
DROP_EXTENSION = "promptlib.emulator.drop_connection"


@dataclass(frozen=True)
class FaultConfig:
    """Which faults an emulator injects.

    - `latency_ms`: added to every request; a number (fixed) or `(low, high)` (uniform in that range).
    - `fail_rate`: fault name → probability per request (`{"429": 0.3, "drop": 0.05}`); at most 1 in total.
    - `script`: steps taken by the first requests in arrival order (`("429", "ok", "drop")`); rates after.
    - `retry_after_ms`: the wait an injected 429 asks for (`retry-after-ms`; `Retry-After` in whole seconds).
    - `slow_ms`: how long a `slow` answer stalls between its headers and its body.
    - `rpm`: an enforced requests-per-minute limit (see `_ratelimit`); `None` for no limit.
    """

    latency_ms: float | tuple[float, float] = 0.0
    fail_rate: Mapping[str, float] = field(default_factory=dict)
    script: tuple[str, ...] = ()
    retry_after_ms: int = 1000
    slow_ms: int = 30_000
    rpm: int | None = None

    def __post_init__(self) -> None:
        low, high = self.latency_range
        if not 0 <= low <= high:
            raise ValueError(f"latency must be >= 0 ms, as N or (low, high) with low <= high; got {self.latency_ms!r}")
        unknown = [name for name in self.fail_rate if name not in FAULTS]
        if unknown:
            raise ValueError(f"unknown fault {unknown[0]!r} in fail_rate; known: {', '.join(FAULTS)}")
        if any(not 0 <= rate <= 1 for rate in self.fail_rate.values()):
            raise ValueError("each fail_rate must be between 0 and 1")
        if sum(self.fail_rate.values()) > 1 + 1e-9:
            raise ValueError(f"fail_rate adds up to {sum(self.fail_rate.values()):g}; it must be at most 1")
        bad = [step for step in self.script if step not in STEPS]
        if bad:
            raise ValueError(f"unknown step {bad[0]!r} in script; known: {', '.join(STEPS)}")
        if self.retry_after_ms < 0 or self.slow_ms < 0:
            raise ValueError("retry_after_ms and slow_ms must be >= 0")
        if self.rpm is not None and self.rpm < 1:
            raise ValueError(f"rpm must be >= 1, got {self.rpm}")

    @property
    def latency_range(self) -> tuple[float, float]:
        if isinstance(self.latency_ms, tuple):
            return float(self.latency_ms[0]), float(self.latency_ms[1])
        return float(self.latency_ms), float(self.latency_ms)

    @property
    def injects(self) -> bool:
        """Whether the fault layer has anything to do (latency, a script or a non-zero rate)."""
        return self.latency_range[1] > 0 or bool(self.script) or any(self.fail_rate.values())


def parse_fail_rate(spec: str) -> dict[str, float]:
    """`429=0.3,500=0.1,drop=0.05` → `{"429": 0.3, "500": 0.1, "drop": 0.05}`; ValueError says what is wrong."""
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in FAULTS:
            raise ValueError(f"expected FAULT=RATE with FAULT one of {', '.join(FAULTS)}; got {part!r}")
        try:
            rate = float(value)
        except ValueError:
            raise ValueError(f"rate for {name} must be a number between 0 and 1; got {value.strip()!r}") from None
        if not 0 <= rate <= 1:
            raise ValueError(f"rate for {name} must be between 0 and 1; got {value.strip()}")
        if name in rates:
            raise ValueError(f"{name} is given twice")
        rates[name] = rate
    if not rates:
        raise ValueError("expected FAULT=RATE[,FAULT=RATE...], e.g. 429=0.3,500=0.1")
    if sum(rates.values()) > 1 + 1e-9:
        raise ValueError(f"rates add up to {sum(rates.values()):g}; they must be at most 1")
    return rates


def parse_latency(spec: str) -> float | tuple[float, float]:
    """`50` (fixed) or `20-200` (uniform range), in milliseconds."""
    low, sep, high = spec.partition("-")
    try:
        values = [float(low), float(high)] if sep else [float(spec)]
    except ValueError:
        raise ValueError(f"expected N or LOW-HIGH milliseconds, e.g. 50 or 20-200; got {spec!r}") from None
    if any(not math.isfinite(v) or v < 0 for v in values) or values != sorted(values):
        raise ValueError(f"expected N or LOW-HIGH milliseconds with 0 <= LOW <= HIGH; got {spec!r}")
    return (values[0], values[1]) if sep else values[0]


def parse_script(spec: str | Iterable[str]) -> tuple[str, ...]:
    """`429,ok,drop` (or a list of steps) → a validated script."""
    steps = spec.split(",") if isinstance(spec, str) else list(spec)
    script = tuple(str(step).strip() for step in steps if str(step).strip())
    bad = [step for step in script if step not in STEPS]
    if bad:
        raise ValueError(f"unknown step {bad[0]!r}; steps are {', '.join(STEPS)}")
    return script


class FaultPlan:
    """Decides each request's step and latency: script first, then one seeded draw per request."""

    def __init__(self, config: FaultConfig, seed: int | None) -> None:
        self.config = config
        # Separate streams, so changing the latency range does not reshuffle which requests fail.
        self._faults = random.Random(f"faults:{seed}") if seed is not None else random.Random()
        self._latency = random.Random(f"latency:{seed}") if seed is not None else random.Random()
        self._script = list(config.script)
        self._lock = threading.Lock()

    def next(self) -> tuple[str, float]:
        """The next request's step and its added latency in seconds."""
        low, high = self.config.latency_range
        with self._lock:
            step = self._script.pop(0) if self._script else self._draw()
            delay = (low if low == high else self._latency.uniform(low, high)) / 1000
        return step, delay

    def _draw(self) -> str:
        point = self._faults.random()  # one draw per request, whatever the rates, so runs replay exactly
        for name in FAULTS:
            rate = self.config.fail_rate.get(name, 0.0)
            if point < rate:
                return name
            point -= rate
        return "ok"


class FaultInjection:
    """ASGI layer (inside the request log, outside auth) that answers each request as its planned step says."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        step, delay = self.plan.next()
        record = record_in(scope)
        record.fault = None if step == "ok" else step
        if delay > 0:
            await anyio.sleep(delay)
        config = self.plan.config
        if step == "ok":
            await self.app(scope, receive, send)
        elif step == "garble":
            with garbling():
                await self.app(scope, receive, send)
        elif step == "429":
            wait_ms = config.retry_after_ms
            record.retry_after_ms = wait_ms
            record.retry_not_before = time.time() + wait_ms / 1000
            await throttled(wait_ms)(scope, receive, send)
        elif step in ("500", "503"):
            await server_error(int(step))(scope, receive, send)
        elif step == "drop":
            await drop_connection(scope, receive)
        else:
            await self._spoil(step, scope, receive, send)

    async def _spoil(self, step: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the real handler, then damage or delay its 200 (errors pass through untouched)."""
        start, body = await _capture(self.app, scope, receive)
        if start["status"] != 200:
            await _replay(send, start, body)
            return
        streamed = b"text/event-stream" in dict(start.get("headers", [])).get(b"content-type", b"")
        if step == "badjson" or (step == "truncate" and streamed):
            body = body[: len(body) // 2]
        elif step == "truncate":
            body = _truncate_images(body)
        elif step == "filter":
            body = body if streamed else _filter_last_image(body)
        else:  # slow: headers now, the body only after the stall (or never, if the client gives up first)
            await send(start)
            with anyio.move_on_after(self.plan.config.slow_ms / 1000):
                await _until_disconnect(receive)
                return
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await _replay(send, start, body)


def throttled(wait_ms: int, message: str | None = None) -> JSONResponse:
    """Azure's 429: the envelope, `retry-after-ms` (exact) and `Retry-After` (whole seconds, rounded up)."""
    seconds = max(1, math.ceil(wait_ms / 1000))
    text = message or (
        "Requests to the Images_Generations ImagesRoute under Azure OpenAI API have exceeded call rate limit of "
        f"your current pricing tier. Please retry after {seconds} second{'s' if seconds != 1 else ''}."
    )
    return JSONResponse(
        {"error": {"code": "429", "message": text}},
        status_code=429,
        headers={"retry-after-ms": str(wait_ms), "retry-after": str(seconds)},
    )


def server_error(status: int) -> JSONResponse:
    """The transient 500 / 503 a client should retry."""
    if status == 503:
        error = {"code": "ServiceUnavailable", "message": "The service is temporarily unable to process your "
                 "request. Please try again later."}  # fmt: skip
    else:
        error = {"code": "InternalServerError", "message": "The server had an error while processing your "
                 "request. Sorry about that!"}  # fmt: skip
    return JSONResponse({"error": error}, status_code=status)


async def drop_connection(scope: Scope, receive: Receive) -> None:
    """Close the connection without a response: the server's hook if it has one, else an httpx error.

    Served (`_server`), the socket is aborted and the client sees "server disconnected without sending a
    response". In-process there is no socket, so the error the client would see is raised instead; httpx's
    ASGI transport passes it through to the caller unchanged.
    """
    drop = scope.get("extensions", {}).get(DROP_EXTENSION)
    if drop is None:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    drop()
    with anyio.move_on_after(1):
        await _until_disconnect(receive)  # let the server notice, so it does not answer 500 on our behalf


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    start: Message = {}
    chunks: list[bytes] = []

    async def collect(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, collect)
    return start, b"".join(chunks)


async def _replay(send: Send, start: Message, body: bytes) -> None:
    headers = MutableHeaders(raw=list(start.get("headers", [])))
    headers["content-length"] = str(len(body))
    await send({**start, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _filter_last_image(body: bytes) -> bytes:
    """Replace the last image of a 200 with the output filter's annotation (one image left: all filtered)."""
    document: Any = json.loads(body)
    items = document.get("data")
    if isinstance(items, list) and items:
        items[-1] = FILTERED_IMAGE
    return json.dumps(document, separators=(",", ":")).encode()


def _truncate_images(body: bytes) -> bytes:
    """Cut every `b64_json` to about half (still valid base64, so the decoded image is what is truncated)."""
    document: Any = json.loads(body)
    for item in document.get("data", []):
        b64 = item.get("b64_json")
        if isinstance(b64, str):
            item["b64_json"] = b64[: len(b64) // 8 * 4]
    return json.dumps(document, separators=(",", ":")).encode()

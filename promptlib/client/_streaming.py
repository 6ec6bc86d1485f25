"""Streaming: ``stream: true`` with ``partial_images``, for generations and edits on every URL style.

The service answers with server-sent events (parsed by httpx-sse): ``image_generation.partial_image``
(``image_edit.partial_image``) events carry previews, then ``*.completed`` carries the final image and
the usage (openai 3.57 ``types/image_gen_*_event.py``; reference §9, §11). The caller sees each preview as
a :class:`PartialImage` and then the :class:`GenerationResult` a non-streamed call would have returned —
same request hash, same costing — so caches and budgets treat the two alike.

Until the response headers arrive, a streamed request is retried like any other (same limiter, pacing and
retry budget). Once events flow it is not: previews have been shown and the image is being paid for, so a
broken stream is an ExecutionError saying how far it got.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import EventSource, ServerSentEvent

from promptlib.client._auth import TokenUnavailable
from promptlib.client._limits import CallTally, RetryBudget
from promptlib.client._requests import ImageRequest
from promptlib.client._responses import (
    Decoded,
    RetryableError,
    blocked,
    decode_b64_image,
    error_fields,
    error_for_status,
    is_safety_block,
)
from promptlib.client._results import GeneratedImage, GenerationResult
from promptlib.core._cpu import run_cpu
from promptlib.exceptions import ExecutionError, UsageError
from promptlib.models._pricing import Usage
from promptlib.models._rules import stream_problems

if TYPE_CHECKING:
    from promptlib.client._client import ImagesClient


@dataclass(frozen=True)
class PartialImage:
    """A preview sent while the image is made; ``index`` counts from 0, each one closer to the final image."""

    index: int
    image: GeneratedImage
    deployment: str
    request_hash: str


StreamEvent = PartialImage | GenerationResult


def check_streamable(client: ImagesClient, request: ImageRequest, partial_images: int) -> None:
    """Refuse, before sending, what cannot be streamed (wire rules, then the model's)."""
    endpoint = client.endpoint
    for _, message in stream_problems(endpoint.capabilities, request.parameters, partial_images):
        raise UsageError(f"deployment {endpoint.name!r}: cannot stream: {message}")


class _Reader:
    """Turns the events of one streamed answer into PartialImage events and, at the end, the result."""

    def __init__(self, client: ImagesClient, request: ImageRequest, response: httpx.Response, started: float,
                 attempts: int) -> None:  # fmt: skip
        self.client, self.request, self.started, self.attempts = client, request, started, attempts
        self.request_id = _request_id(response)
        self.where: dict[str, Any] = {"deployment": client.endpoint.name, "status": 200, "request_id": self.request_id}
        self.partials = 0
        self.final: GenerationResult | None = None
        self.done = False

    def feed(self, sse: ServerSentEvent) -> PartialImage | None:
        if sse.data.strip() == "[DONE]":
            self.done = True
            return None
        try:
            data = json.loads(sse.data) if sse.data else None
        except ValueError:
            raise ExecutionError("a stream event is not valid JSON", **self.where) from None
        if not isinstance(data, dict):
            return None  # comments and keep-alives carry no JSON object
        if data.get("error") is not None:
            fields = error_fields(data, "the service reported an error mid-stream")
            if is_safety_block(200, fields):
                raise blocked(fields, self.where)
            raise ExecutionError(f"the service failed mid-stream: {fields.message[:500]}", **self.where)
        kind = str(data.get("type") or sse.event or "")
        if kind.endswith(".partial_image"):
            index = data.get("partial_image_index")
            partial = PartialImage(
                index if isinstance(index, int) else self.partials, self._image(data, self.partials),
                self.client.endpoint.name, self.request.request_hash,
            )  # fmt: skip
            self.partials += 1
            return partial
        if kind.endswith(".completed"):
            decoded = Decoded((self._image(data, 0),), Usage.from_response(data.get("usage")))
            self.final = self.client.finish(self.request, decoded, self.request_id, self.started, self.attempts,
                                            partial_images=self.partials)  # fmt: skip
            self.done = True
        return None

    def _image(self, data: Mapping[str, Any], index: int) -> GeneratedImage:
        try:
            return decode_b64_image(data.get("b64_json"), index, self.where)
        except RetryableError as exc:
            raise exc.final(self.attempts) from None

    def result(self) -> GenerationResult:
        if self.final is None:
            raise ExecutionError(
                f"the stream ended before the final image (after {self.partials} partial images)", **self.where
            )
        return self.final

    def broken(self, exc: Exception) -> ExecutionError:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return ExecutionError(f"the stream broke after {self.partials} partial images ({what}); not retried: the "
                              "image was already being made and billed", **self.where)  # fmt: skip


def stream_request(client: ImagesClient, request: ImageRequest, partial_images: int) -> Iterator[StreamEvent]:
    """The events of one streamed call (sync); the limiter slot is held until the stream ends or is dropped."""
    check_streamable(client, request, partial_images)
    kwargs = client._request_kwargs(request, {"stream": True, "partial_images": partial_images})
    url = client.endpoint.url(request.operation)
    budget, tally = client._admit()
    started = time.perf_counter()
    with ExitStack() as stack:
        response, attempts = _open(client, url, kwargs, stack, budget, tally)
        reader = _Reader(client, request, response, started, attempts)
        if not _is_event_stream(response):  # a gateway that ignored `stream`: an ordinary answer
            response.read()
            yield client._result(request, response, started, attempts)
            return
        try:
            for sse in EventSource(response).iter_sse():
                event = reader.feed(sse)
                if event is not None:
                    yield event
                if reader.done:
                    break
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise reader.broken(exc) from None
        yield reader.result()


async def astream_request(
    client: ImagesClient, request: ImageRequest, partial_images: int
) -> AsyncIterator[StreamEvent]:
    """Async :func:`stream_request`."""
    check_streamable(client, request, partial_images)
    kwargs = client._request_kwargs(request, {"stream": True, "partial_images": partial_images})
    url = client.endpoint.url(request.operation)
    budget, tally = client._admit()
    started = time.perf_counter()
    async with AsyncExitStack() as stack:
        response, attempts = await _aopen(client, url, kwargs, stack, budget, tally)
        reader = _Reader(client, request, response, started, attempts)
        if not _is_event_stream(response):
            await response.aread()
            yield await run_cpu(client._result, request, response, started, attempts)
            return
        try:
            async for sse in EventSource(response).aiter_sse():
                # an event's image is decoded and checked off the loop (a 3840x2160 partial takes up to 0.2 s),
                # so the other requests in flight keep moving while it is
                event = await run_cpu(reader.feed, sse)
                if event is not None:
                    yield event
                if reader.done:
                    break
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise reader.broken(exc) from None
        yield reader.result()


def _open(
    client: ImagesClient, url: str, kwargs: Mapping[str, Any], stack: ExitStack, budget: RetryBudget | None,
    tally: CallTally | None,
) -> tuple[httpx.Response, int]:  # fmt: skip
    """Send until a 200's headers arrive (retrying like any request); the slot and response go on ``stack``."""
    attempt_no = timeouts = 0
    try:
        for attempt in client._retrying():
            with attempt:
                attempt_no = attempt.num
                try:
                    with ExitStack() as held:
                        epoch = held.enter_context(client.limiter.slot())
                        if client.pacer is not None:
                            client.pacer.wait()
                        if tally is not None:
                            tally.attempts += 1
                        response = _send(client, url, kwargs, attempt_no)
                        held.callback(response.close)
                        client._observe(response, epoch, tally)
                        if response.status_code != 200:
                            response.read()
                        _raise_unless_ok(client, response)
                        stack.enter_context(held.pop_all())
                        return response, attempt_no
                except RetryableError as exc:
                    timeouts += exc.read_timeout
                    client._before_retry(exc, attempt_no, budget, tally, timeouts)
                    raise
    except RetryableError as exc:
        raise exc.final(attempt_no) from None
    raise AssertionError("unreachable: stamina either returns or raises")


async def _aopen(
    client: ImagesClient, url: str, kwargs: Mapping[str, Any], stack: AsyncExitStack, budget: RetryBudget | None,
    tally: CallTally | None,
) -> tuple[httpx.Response, int]:  # fmt: skip
    attempt_no = timeouts = 0
    try:
        async for attempt in client._retrying():
            with attempt:
                attempt_no = attempt.num
                try:
                    async with AsyncExitStack() as held:
                        epoch = await held.enter_async_context(client.limiter.aslot())
                        if client.pacer is not None:
                            await client.pacer.await_turn()
                        if tally is not None:
                            tally.attempts += 1
                        response = await _asend(client, url, kwargs, attempt_no)
                        held.push_async_callback(response.aclose)
                        client._observe(response, epoch, tally)
                        if response.status_code != 200:
                            await response.aread()
                        _raise_unless_ok(client, response)
                        await stack.enter_async_context(held.pop_all())
                        return response, attempt_no
                except RetryableError as exc:
                    timeouts += exc.read_timeout
                    client._before_retry(exc, attempt_no, budget, tally, timeouts)
                    raise
    except RetryableError as exc:
        raise exc.final(attempt_no) from None
    raise AssertionError("unreachable: stamina either returns or raises")


def _raise_unless_ok(client: ImagesClient, response: httpx.Response) -> None:
    if response.status_code != 200:
        raise error_for_status(client.endpoint, response, _request_id(response), client.retry.max_retry_after)


def _send(client: ImagesClient, url: str, kwargs: Mapping[str, Any], attempt: int) -> httpx.Response:
    t0 = time.perf_counter()
    http = client._client()
    try:
        response = http.send(http.build_request("POST", url, **kwargs), stream=True)
    except (httpx.TransportError, httpx.DecodingError) as exc:
        client._log(None, t0, attempt, type(exc).__name__)
        raise client._transport_error(exc) from None
    except TokenUnavailable as exc:
        raise client._no_token(exc) from exc
    client._log(response, t0, attempt)
    return response


async def _asend(client: ImagesClient, url: str, kwargs: Mapping[str, Any], attempt: int) -> httpx.Response:
    t0 = time.perf_counter()
    http = client._aclient()
    try:
        response = await http.send(http.build_request("POST", url, **kwargs), stream=True)
    except (httpx.TransportError, httpx.DecodingError) as exc:
        client._log(None, t0, attempt, type(exc).__name__)
        raise client._transport_error(exc) from None
    except TokenUnavailable as exc:
        raise client._no_token(exc) from exc
    client._log(response, t0, attempt)
    return response


def _is_event_stream(response: httpx.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "")


def _request_id(response: httpx.Response) -> str | None:
    request_id: str | None = response.headers.get("x-request-id") or response.headers.get("apim-request-id")
    return request_id

"""ImagesClient: one code path, sync and async, for every deployment kind.

It builds the request (JSON for generations, multipart for edits), sends it under
the deployment's concurrency limit (halved on a 429, regained a step at a time:
AIMD) and requests-per-minute pacing, retries what is worth retrying (408, 409,
429, 5xx, dropped connections, garbled bodies) through stamina — waiting exactly
``retry-after-ms`` / ``Retry-After`` when the service says so — within the run's
retry budget, and turns every failure into an ExecutionError carrying
deployment, status, attempts and request id.

A read timeout is different from the other failures: the request arrived and
the service may be generating — and billing — the image still, so it is retried
once at most (against the run's retry budget, and counted in the run's summary);
the default read timeout is the openai SDK's 600 s, so a slow high-quality image
is waited for rather than paid for twice. Streaming lives in `_streaming`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import stamina

from promptlib.client._auth import TokenUnavailable
from promptlib.client._endpoint import Endpoint
from promptlib.client._limits import CallTally, ConcurrencyLimiter, RetryBudget, call_tally, retry_budget
from promptlib.client._ratelimit import RequestPacer
from promptlib.client._requests import ImageRequest
from promptlib.client._responses import Decoded, RetryableError, decode_images, error_for_status, retry_after_seconds
from promptlib.client._results import GenerationResult
from promptlib.core._cpu import run_cpu
from promptlib.core._redact import redact
from promptlib.exceptions import AuthenticationFailed, ExecutionError
from promptlib.models._pricing import cost_usd, estimate_usage

if TYPE_CHECKING:
    from promptlib.client._streaming import StreamEvent

log = logging.getLogger("promptlib.http")
#: Read timeouts one call may retry: the first may be a slow image, a second means something is wrong.
READ_TIMEOUT_RETRIES = 1


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts and total time, exponential backoff with jitter otherwise."""

    attempts: int = 6
    timeout: float = 1800.0  # all attempts together: room for a read timeout (600 s) and its one retry
    wait_initial: float = 0.5
    wait_max: float = 30.0
    wait_jitter: float = 1.0
    max_retry_after: float = 120.0


class ImagesClient:
    """Calls one deployment; share one per deployment (it pools connections)."""

    def __init__(self, endpoint: Endpoint, retry: RetryPolicy | None = None, *, concurrency: int | None = None) -> None:
        """``concurrency`` overrides the deployment's ``max_concurrency`` for this client (a run's --concurrency).

        The limit and the pacing belong to the client (one per deployment in a Library's pool), so sync and
        async callers of one Library share them and nothing else in the process is affected.
        """
        self.endpoint = endpoint
        self.retry = retry or RetryPolicy()
        self.limiter = ConcurrencyLimiter(concurrency or endpoint.max_concurrency)
        rpm = endpoint.requests_per_minute
        self.pacer: RequestPacer | None = RequestPacer(rpm) if rpm else None
        self._sync: httpx.Client | None = None
        self._sync_lock = threading.Lock()
        self._async: httpx.AsyncClient | None = None
        self._async_loop: object = None

    def __repr__(self) -> str:
        return f"<ImagesClient {self.endpoint.name} ({self.endpoint.kind})>"

    # -- building and interpreting -------------------------------------------------

    def _request_kwargs(self, request: ImageRequest, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        self.endpoint.check_parameters(request.parameters, request.operation)
        fields: dict[str, Any] = {"prompt": request.prompt, **request.parameters.to_wire(), **(extra or {})}
        if self.endpoint.body_model is not None:
            fields["model"] = self.endpoint.body_model
        kwargs: dict[str, Any] = {"params": self.endpoint.params(request.operation)}
        if request.operation == "generate":
            kwargs["json"] = fields
            return kwargs
        kwargs["data"] = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}
        kwargs["files"] = _edit_files(request)
        return kwargs

    def _result(
        self, request: ImageRequest, response: httpx.Response, started: float, attempts: int
    ) -> GenerationResult:
        request_id = _request_id(response)
        if response.status_code != 200:
            raise error_for_status(self.endpoint, response, request_id, self.retry.max_retry_after)
        return self.finish(request, decode_images(self.endpoint, response, request_id), request_id, started, attempts)

    def finish(
        self, request: ImageRequest, decoded: Decoded, request_id: str | None, started: float, attempts: int,
        partial_images: int = 0,
    ) -> GenerationResult:  # fmt: skip
        """The result of a call, streamed or not: costed by the service's usage, else by the estimate."""
        spec = self.endpoint.capabilities
        counts = spec.entry.output_tokens if spec is not None else None
        estimate = estimate_usage(request.prompt, request.parameters, len(request.images), counts, partial_images)
        model = self.endpoint.model
        return GenerationResult(
            request=request,
            images=decoded.images,
            deployment=self.endpoint.name,
            model=model,
            usage=decoded.usage,
            request_id=request_id,
            latency_s=time.perf_counter() - started,
            cost=cost_usd(model, decoded.usage or estimate, self.endpoint.price),
            estimated_cost=cost_usd(model, estimate, self.endpoint.price),
            attempts=attempts,
            filtered=decoded.filtered,
        )

    def _transport_error(self, exc: httpx.TransportError | httpx.DecodingError) -> RetryableError:
        what = type(exc).__name__
        detail = redact(str(exc)) or "no details"
        # A body that fails to decompress is garbled on the way, like truncated JSON: worth another attempt.
        garbled = isinstance(exc, httpx.DecodingError)
        if isinstance(exc, httpx.ReadTimeout):
            message = f"no answer within the read timeout ({self.endpoint.timeout:g} s): {what}: {detail}"
            return RetryableError(ExecutionError(message, deployment=self.endpoint.name), None, read_timeout=True)
        problem = "the response body is garbled" if garbled else "cannot reach the deployment"
        return RetryableError(ExecutionError(f"{problem}: {what}: {detail}", deployment=self.endpoint.name), None)

    def _no_token(self, exc: TokenUnavailable) -> AuthenticationFailed:
        return AuthenticationFailed(
            f"no Entra ID token: {redact(str(exc))}; sign in (az login) or check the managed identity, "
            "tenant and scope",
            deployment=self.endpoint.name,
        )

    def _admit(self) -> tuple[RetryBudget | None, CallTally | None]:
        """The run's retry budget and the caller's tally; refuse to send once the budget is spent."""
        budget = retry_budget.get()
        if budget is not None:
            if budget.exhausted:
                raise ExecutionError(
                    f"not sent: the run stopped after spending its retry budget ({budget.describe()}); "
                    "the deployment keeps failing — see the errors of the requests before this one",
                    deployment=self.endpoint.name,
                    attempts=0,
                )
            budget.started()
        return budget, call_tally.get()

    def _observe(self, response: httpx.Response, epoch: int, tally: CallTally | None) -> None:
        """AIMD and the tally: a 429 lowers the concurrency and pauses the pacing; a 2xx counts to raise it."""
        if response.status_code == 429:
            if tally is not None:
                tally.rate_limited += 1
            self.limiter.rate_limited(epoch)
            wait = retry_after_seconds(response.headers)
            if self.pacer is not None and wait is not None and wait <= self.retry.max_retry_after:
                self.pacer.pause(wait)
        elif response.status_code < 300:
            self.limiter.succeeded()

    def _before_retry(
        self, exc: RetryableError, attempt: int, budget: RetryBudget | None, tally: CallTally | None, timeouts: int
    ) -> None:
        """Take a retry from the run's budget; when it is spent, or a read timeout repeats, fail now and say why.

        ``timeouts`` counts this call's read timeouts so far, this one included.
        """
        if exc.read_timeout and tally is not None:
            tally.read_timeouts += 1
        if exc.read_timeout and timeouts > READ_TIMEOUT_RETRIES and attempt < self.retry.attempts:
            err = exc.final(attempt)
            raise type(err)(
                f"{err.reason}; not retried again: a request that timed out may still be generated and billed, "
                "so promptlib retries a read timeout once (raise `timeout:` in promptlib.yaml for slower images)",
                deployment=err.deployment,
                status=err.status,
                request_id=err.request_id,
                attempts=attempt,
            ) from None
        if budget is None or attempt >= self.retry.attempts or budget.spend():
            return
        err = exc.final(attempt)
        raise type(err)(
            f"{err.reason}; not retried: the run's retry budget is spent ({budget.describe()})",
            deployment=err.deployment,
            status=err.status,
            request_id=err.request_id,
            attempts=attempt,
        ) from None

    def _retrying(self) -> Any:
        policy = self.retry
        return stamina.retry_context(
            on=_backoff_hook,
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        )

    def _log(self, response: httpx.Response | None, started: float, attempt: int, error: str = "") -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        status = response.status_code if response is not None else error
        rid = _request_id(response) if response is not None else None
        elapsed = (time.perf_counter() - started) * 1000
        log.info(
            "%s %s -> %s in %.0f ms (attempt %d%s)",
            self.endpoint.name,
            "POST",
            status,
            elapsed,
            attempt,
            f", request id {rid}" if rid else "",
        )

    # -- sync -----------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        with self._sync_lock:  # threads starting together must share one pool, not each open (and leak) one
            if self._sync is None:
                self._sync = httpx.Client(
                    auth=self.endpoint.auth, transport=self.endpoint.transport, timeout=self.endpoint.timeout
                )
            return self._sync

    def generate(self, request: ImageRequest) -> GenerationResult:
        kwargs = self._request_kwargs(request)
        url = self.endpoint.url(request.operation)
        budget, tally = self._admit()
        started = time.perf_counter()
        attempt_no = timeouts = 0
        try:
            for attempt in self._retrying():
                with attempt:
                    attempt_no = attempt.num
                    try:
                        with self.limiter.slot() as epoch:
                            if self.pacer is not None:
                                self.pacer.wait()
                            if tally is not None:
                                tally.attempts += 1
                            response = self._send(url, kwargs, time.perf_counter(), attempt_no)
                        self._observe(response, epoch, tally)
                        return self._result(request, response, started, attempt_no)
                    except RetryableError as exc:
                        timeouts += exc.read_timeout
                        self._before_retry(exc, attempt_no, budget, tally, timeouts)
                        raise
        except RetryableError as exc:
            raise exc.final(attempt_no) from None
        raise AssertionError("unreachable: stamina either returns or raises")

    def _send(self, url: str, kwargs: Mapping[str, Any], t0: float, attempt: int) -> httpx.Response:
        try:
            response = self._client().post(url, **kwargs)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            self._log(None, t0, attempt, type(exc).__name__)
            raise self._transport_error(exc) from None
        except TokenUnavailable as exc:
            raise self._no_token(exc) from exc
        self._log(response, t0, attempt)
        return response

    def stream(self, request: ImageRequest, partial_images: int = 2) -> Iterator[StreamEvent]:
        """Send ``request`` with ``stream: true``: partial images as they arrive, then the GenerationResult."""
        from promptlib.client._streaming import stream_request

        return stream_request(self, request, partial_images)

    def astream(self, request: ImageRequest, partial_images: int = 2) -> AsyncIterator[StreamEvent]:
        """Async :meth:`stream`."""
        from promptlib.client._streaming import astream_request

        return astream_request(self, request, partial_images)

    def close(self) -> None:
        with self._sync_lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    # -- async ----------------------------------------------------------------------

    def _aclient(self) -> httpx.AsyncClient:
        # Pooled connections belong to the event loop that opened them: a second asyncio.run() must not
        # reuse them (httpcore fails with "Event loop is closed"), so each loop gets its own AsyncClient.
        loop = _running_loop()
        if self._async is None or self._async_loop is not loop:
            self._async = httpx.AsyncClient(
                auth=self.endpoint.auth, transport=self.endpoint.async_transport, timeout=self.endpoint.timeout
            )
            self._async_loop = loop
        return self._async

    async def agenerate(self, request: ImageRequest) -> GenerationResult:
        kwargs = self._request_kwargs(request)
        url = self.endpoint.url(request.operation)
        budget, tally = self._admit()
        started = time.perf_counter()
        attempt_no = timeouts = 0
        try:
            async for attempt in self._retrying():
                with attempt:
                    attempt_no = attempt.num
                    try:
                        async with self.limiter.aslot() as epoch:
                            if self.pacer is not None:
                                await self.pacer.await_turn()
                            if tally is not None:
                                tally.attempts += 1
                            response = await self._asend(url, kwargs, time.perf_counter(), attempt_no)
                        self._observe(response, epoch, tally)
                        # parsing the JSON and decoding each image is CPU work: off the loop, so the
                        # requests in flight keep moving while it runs
                        return await run_cpu(self._result, request, response, started, attempt_no)
                    except RetryableError as exc:
                        timeouts += exc.read_timeout
                        self._before_retry(exc, attempt_no, budget, tally, timeouts)
                        raise
        except RetryableError as exc:
            raise exc.final(attempt_no) from None
        raise AssertionError("unreachable: stamina either returns or raises")

    async def _asend(self, url: str, kwargs: Mapping[str, Any], t0: float, attempt: int) -> httpx.Response:
        try:
            response = await self._aclient().post(url, **kwargs)
        except (httpx.TransportError, httpx.DecodingError) as exc:
            self._log(None, t0, attempt, type(exc).__name__)
            raise self._transport_error(exc) from None
        except TokenUnavailable as exc:
            raise self._no_token(exc) from exc
        self._log(response, t0, attempt)
        return response

    async def aclose(self) -> None:
        client, self._async = self._async, None
        if client is not None and self._async_loop is _running_loop():
            await client.aclose()  # a client of an earlier, finished loop cannot be closed from this one


def _request_id(response: httpx.Response) -> str | None:
    """``x-request-id``, or Azure API Management's ``apim-request-id``."""
    request_id: str | None = response.headers.get("x-request-id") or response.headers.get("apim-request-id")
    return request_id


def _running_loop() -> object:
    """The running asyncio loop; None under other async libraries (trio runs one loop at a time)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _backoff_hook(exc: Exception) -> bool | float:
    """stamina hook: retry RetryableError, waiting exactly what the service asked for."""
    if isinstance(exc, RetryableError):
        return exc.retry_after if exc.retry_after is not None else True
    return False


def _edit_files(request: ImageRequest) -> list[tuple[str, tuple[str, bytes, str]]]:
    images = [img for img in request.images if img.role == "image"]
    masks = [img for img in request.images if img.role == "mask"]
    field = "image" if len(images) == 1 else "image[]"
    files = [(field, (f"{img.name}.{_ext(img.data)}", img.data, _mime(img.data))) for img in images]
    files += [("mask", (f"{m.name}.png", m.data, "image/png")) for m in masks]
    return files


def _ext(data: bytes) -> str:
    return "jpg" if data[:3] == b"\xff\xd8\xff" else "webp" if data[8:12] == b"WEBP" else "png"


def _mime(data: bytes) -> str:
    return {"jpg": "image/jpeg", "webp": "image/webp"}.get(_ext(data), "image/png")


__all__ = ["ImagesClient", "RetryPolicy", "retry_after_seconds"]

"""ImagesClient on the wire: URLs, bodies and headers per deployment kind, retries, and the concurrency limit.

Every test talks to an httpx.MockTransport handler that records what arrived (deployments.helpers.Recorder);
the client itself is the real one.
"""

from __future__ import annotations

import base64
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import anyio
import httpx
import pytest
from deployments.helpers import (
    API_VERSION,
    EDIT_TEMPLATE,
    FAST,
    Recorder,
    Send,
    azure_yaml,
    client_for,
    endpoint_from_yaml,
    error_body,
    make_project,
    ok_body,
    png,
    request_for,
)

from promptlib import Library
from promptlib.client._client import ImagesClient, RetryPolicy
from promptlib.client._requests import ImageRequest
from promptlib.config._settings import load_settings
from promptlib.deployments import Endpoint, endpoint_for
from promptlib.exceptions import ExecutionError, RateLimited, UsageError
from promptlib.prompts._rendered import InputImage

#: Retries and their waits as in production: these tests time the client's own back-off.
pytestmark = pytest.mark.usefixtures("real_retries")

KEY = "test-key-0123456789"
#: What a GPT Image request may carry (reference §2–§3); response_format and style are never among them.
WIRE_FIELDS = {
    "prompt", "model", "n", "size", "quality", "background", "output_format", "output_compression",
    "moderation", "input_fidelity",
}  # fmt: skip


@pytest.fixture
def azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)


def _azure(tmp_path: Path, **kwargs: str) -> Endpoint:
    return endpoint_from_yaml(tmp_path, azure_yaml("dev", **kwargs), "dev")


# -- URL styles, bodies, headers --------------------------------------------------------------------------------


def test_azure_deployments_style_posts_json_to_the_dated_deployment_url(tmp_path: Path, azure_env: None) -> None:
    endpoint = _azure(tmp_path)
    recorder = Recorder()

    result = client_for(endpoint, recorder).generate(request_for(endpoint, "a red kite", quality="high"))

    (seen,) = recorder.seen
    assert seen.request.method == "POST"
    assert str(seen.request.url) == (
        f"https://contoso.openai.azure.com/openai/deployments/img-dev/images/generations?api-version={API_VERSION}"
    )
    assert seen.request.headers["content-type"] == "application/json"
    assert seen.request.headers["api-key"] == KEY
    assert "authorization" not in seen.request.headers
    assert seen.json == {"prompt": "a red kite", "size": "1024x1024", "quality": "high", "n": 1}
    assert "model" not in seen.json
    assert len(result.images) == 1


def test_azure_v1_style_posts_to_the_v1_url_with_the_deployment_as_model(tmp_path: Path, azure_env: None) -> None:
    endpoint = _azure(tmp_path, api_style="v1", endpoint="https://contoso.openai.azure.com/")
    recorder = Recorder()

    client_for(endpoint, recorder).generate(request_for(endpoint))

    (seen,) = recorder.seen
    assert str(seen.request.url) == "https://contoso.openai.azure.com/openai/v1/images/generations"
    assert seen.json["model"] == "img-dev"  # the Azure deployment name, not the model it serves
    assert seen.request.headers["api-key"] == KEY
    assert "authorization" not in seen.request.headers


def test_openai_kind_posts_to_base_url_with_model_and_bearer_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("PROMPTLIB_ALLOWED_HOSTS", "gateway.example.com")  # the CI environment vouches for it
    config = "gw:\n  kind: openai\n  base_url: https://gateway.example.com/v1\n  model: gpt-image-1\n"
    endpoint = endpoint_from_yaml(tmp_path, config, "gw")
    recorder = Recorder()

    client_for(endpoint, recorder).generate(request_for(endpoint, output_format="webp"))

    (seen,) = recorder.seen
    assert str(seen.request.url) == "https://gateway.example.com/v1/images/generations"
    assert seen.json["model"] == "gpt-image-1"
    assert seen.json["output_format"] == "webp"  # OpenAI serves webp; only Azure refuses it
    assert seen.request.headers["authorization"] == f"Bearer {KEY}"
    assert "api-key" not in seen.request.headers


def test_deployment_names_are_one_url_segment(tmp_path: Path, azure_env: None) -> None:
    endpoint = _azure(tmp_path, deployment="'img dev/2'")
    recorder = Recorder()

    client_for(endpoint, recorder).generate(request_for(endpoint))

    assert recorder.seen[0].request.url.raw_path.startswith(b"/openai/deployments/img%20dev%2F2/images/generations")


def test_response_format_and_style_are_never_sent(tmp_path: Path, azure_env: None) -> None:
    endpoint = _azure(tmp_path)
    recorder = Recorder()
    client = client_for(endpoint, recorder)

    client.generate(request_for(endpoint, background="transparent", output_format="png", moderation="low", n=3))
    client.generate(request_for(endpoint, output_format="jpeg", output_compression=70, quality="auto"))

    for seen in recorder.seen:
        assert set(seen.json) <= WIRE_FIELDS
        assert not {"response_format", "style"} & set(seen.json)
    with pytest.raises(ValueError, match="response_format"):
        request_for(endpoint, response_format="b64_json")
    with pytest.raises(ValueError, match="style"):
        request_for(endpoint, style="vivid")


def _edit_project(tmp_path: Path, images: int) -> Library:
    photos = "\n".join(f"  photo{i}: {{type: image, role: image}}" for i in range(images))
    template = EDIT_TEMPLATE.replace("  photo: {type: image, role: image}", photos)
    make_project(tmp_path, azure_yaml("dev"), {"edit": template}, default_deployment="dev")
    return Library.load(tmp_path)


@pytest.mark.parametrize(("count", "part"), [(1, "image"), (2, "image[]")])
def test_edits_go_multipart_with_image_parts_and_a_mask(tmp_path: Path, azure_env: None, count: int, part: str) -> None:
    library = _edit_project(tmp_path, count)
    photos = {f"photo{i}": png((64, 64), (10 * i, 80, 160)) for i in range(count)}
    mask = png((64, 64), (0, 0, 0, 0), mode="RGBA")
    rendered = library.render("edit", mask=mask, **photos)
    client = library.clients.get("dev")
    recorder = Recorder()

    client_for(client.endpoint, recorder).generate(
        ImageRequest.from_rendered(rendered, deployment="dev", model=client.endpoint.model)
    )

    (seen,) = recorder.seen
    assert str(seen.request.url).endswith(f"/openai/deployments/img-dev/images/edits?api-version={API_VERSION}")
    assert seen.request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert seen.request.headers["api-key"] == KEY
    fields, files = seen.form()
    assert fields == {"prompt": rendered.prompt, "size": "1024x1024", "quality": "low", "output_format": "png",
                      "n": "1"}  # fmt: skip
    assert [name for name, _, _ in files] == [part] * count + ["mask"]
    assert [data for _, _, data in files] == [*photos.values(), mask]


@pytest.mark.parametrize(("extra", "query"), [("", ""), ("api_version: preview", "?api-version=preview")])
def test_edits_on_v1_go_to_the_v1_edits_path(tmp_path: Path, azure_env: None, extra: str, query: str) -> None:
    """v1 edits go to /openai/v1/images/edits with the deployment as `model`; api-version only when configured."""
    endpoint = _azure(tmp_path, api_style="v1", extra=extra)
    recorder = Recorder()
    images = (InputImage("photo", "image", png()), InputImage("mask", "mask", png(mode="RGBA", color=(0, 0, 0, 0))))

    client_for(endpoint, recorder).generate(request_for(endpoint, operation="edit", images=images))
    client_for(endpoint, recorder).generate(request_for(endpoint))

    fields, files = recorder.seen[0].form()
    assert str(recorder.seen[0].request.url) == f"https://contoso.openai.azure.com/openai/v1/images/edits{query}"
    assert str(recorder.seen[1].request.url) == f"https://contoso.openai.azure.com/openai/v1/images/generations{query}"
    assert fields["model"] == "img-dev"
    assert [name for name, _, _ in files] == ["image", "mask"]


def test_webp_on_azure_is_refused_before_sending(tmp_path: Path, azure_env: None) -> None:
    endpoint = _azure(tmp_path)
    recorder = Recorder()

    with pytest.raises(UsageError, match=r"'dev': gpt-image-1.5 does not take output_format: webp on Azure; it takes"):
        client_for(endpoint, recorder).generate(request_for(endpoint, output_format="webp"))

    assert recorder.count == 0


def test_input_fidelity_on_gpt_image_1_mini_is_refused_before_sending(tmp_path: Path, azure_env: None) -> None:
    endpoint = _azure(tmp_path, model="gpt-image-1-mini")
    recorder = Recorder()
    images = (InputImage("photo", "image", png()),)

    with pytest.raises(UsageError, match="gpt-image-1-mini does not take input_fidelity: high; it takes low"):
        client_for(endpoint, recorder).generate(
            request_for(endpoint, operation="edit", images=images, input_fidelity="high")
        )

    assert recorder.count == 0


def test_input_fidelity_is_sent_to_models_that_take_it(tmp_path: Path, azure_env: None) -> None:
    endpoint = _azure(tmp_path, model="gpt-image-1")
    recorder = Recorder()
    images = (InputImage("photo", "image", png()),)

    client_for(endpoint, recorder).generate(
        request_for(endpoint, operation="edit", images=images, input_fidelity="high")
    )

    assert recorder.seen[0].form()[0]["input_fidelity"] == "high"


# -- retries: the same rules on the sync and the async path ----------------------------------------------------


def _scripted(tmp_path: Path, *replies: object, retry: RetryPolicy = FAST) -> tuple[ImagesClient, Recorder]:
    endpoint = _azure(tmp_path)
    recorder = Recorder(replies=list(replies))  # type: ignore[arg-type]
    return client_for(endpoint, recorder, retry), recorder


def _ok(**headers: str) -> httpx.Response:
    return httpx.Response(200, json=ok_body(), headers=headers)


@pytest.mark.anyio
async def test_429_waits_exactly_retry_after_ms(tmp_path: Path, azure_env: None, send: Send) -> None:
    client, recorder = _scripted(
        tmp_path, httpx.Response(429, json=error_body("429", "Rate limit"), headers={"retry-after-ms": "300"}), _ok()
    )

    result = await send(client, request_for(client.endpoint))

    assert recorder.count == 2
    assert result.attempts == 2
    (gap,) = recorder.gaps()
    assert 0.3 <= gap < 1.5  # the policy's own backoff (10 ms) would have been far shorter


@pytest.mark.anyio
async def test_429_waits_retry_after_seconds(tmp_path: Path, azure_env: None, send: Send) -> None:
    client, recorder = _scripted(tmp_path, httpx.Response(429, headers={"Retry-After": "1"}), _ok())

    await send(client, request_for(client.endpoint))

    (gap,) = recorder.gaps()
    assert 1.0 <= gap < 2.5


@pytest.mark.anyio
async def test_retry_after_ms_wins_over_retry_after(tmp_path: Path, azure_env: None, send: Send) -> None:
    client, recorder = _scripted(
        tmp_path, httpx.Response(429, headers={"retry-after-ms": "200", "Retry-After": "30"}), _ok()
    )

    await send(client, request_for(client.endpoint))

    (gap,) = recorder.gaps()
    assert 0.2 <= gap < 1.5


@pytest.mark.anyio
@pytest.mark.parametrize("status", [500, 502, 503, 408, 409])
async def test_transient_statuses_are_retried(tmp_path: Path, azure_env: None, send: Send, status: int) -> None:
    client, recorder = _scripted(tmp_path, httpx.Response(status, json=error_body(str(status))), _ok())

    result = await send(client, request_for(client.endpoint))

    assert recorder.count == 2
    assert len(result.images) == 1


@pytest.mark.anyio
async def test_a_refused_connection_is_retried(tmp_path: Path, azure_env: None, send: Send) -> None:
    client, recorder = _scripted(tmp_path, httpx.ConnectError("connection refused"), _ok())

    result = await send(client, request_for(client.endpoint))

    assert recorder.count == 2
    assert result.attempts == 2


@pytest.mark.anyio
async def test_a_429_storm_ends_in_rate_limited_after_the_policy_attempts(
    tmp_path: Path, azure_env: None, send: Send
) -> None:
    client, recorder = _scripted(
        tmp_path, httpx.Response(429, json=error_body("429", "Too many requests"), headers={"x-request-id": "rq-9"})
    )

    with pytest.raises(RateLimited) as caught:
        await send(client, request_for(client.endpoint))

    assert recorder.count == 3
    assert caught.value.attempts == FAST.attempts == 3
    assert caught.value.status == 429
    assert str(caught.value) == (
        "rate limited: Too many requests (deployment 'dev', HTTP 429, 3 attempts, request id rq-9)"
    )


@pytest.mark.anyio
async def test_a_5xx_storm_ends_in_an_execution_error_not_rate_limited(
    tmp_path: Path, azure_env: None, send: Send
) -> None:
    client, recorder = _scripted(tmp_path, httpx.Response(503, text="upstream gone"))

    with pytest.raises(ExecutionError) as caught:
        await send(client, request_for(client.endpoint))

    assert not isinstance(caught.value, RateLimited)
    assert (recorder.count, caught.value.attempts, caught.value.status) == (3, 3, 503)


@pytest.mark.anyio
async def test_a_retry_after_beyond_the_cap_is_not_waited_for(tmp_path: Path, azure_env: None, send: Send) -> None:
    client, recorder = _scripted(tmp_path, httpx.Response(429, headers={"retry-after": "3600"}), _ok())

    started = time.monotonic()
    with pytest.raises(RateLimited, match="asked to wait 3600 s"):
        await send(client, request_for(client.endpoint))

    assert recorder.count == 1
    assert time.monotonic() - started < 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "garbled",
    [
        httpx.Response(200, content=b'{"created": 1, "data": [{"b64_json": "iVBOR'),  # cut mid-body
        httpx.Response(200, json={"created": 1, "data": [{"b64_json": base64.b64encode(png()).decode()[:40]}]}),
        httpx.Response(200, json={"created": 1, "data": [{"b64_json": "not base64 at all!"}]}),
        httpx.Response(200, json={"created": 1, "data": []}),
        lambda request: httpx.Response(  # a gzip body mangled by a gateway: fails to decompress
            200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(b"\x1f\x8b" + b"mangled" * 9)
        ),
    ],
    ids=["malformed-json", "truncated-base64", "invalid-base64", "no-images", "bad-gzip"],
)
async def test_a_garbled_200_is_retried_then_succeeds(
    tmp_path: Path, azure_env: None, send: Send, garbled: object
) -> None:
    client, recorder = _scripted(tmp_path, garbled, _ok())

    result = await send(client, request_for(client.endpoint))

    assert recorder.count == 2
    assert result.images[0].size == (16, 16)


@pytest.mark.anyio
async def test_a_garbled_200_storm_says_what_was_wrong(tmp_path: Path, azure_env: None, send: Send) -> None:
    client, recorder = _scripted(tmp_path, httpx.Response(200, content=b"<html>gateway</html>"))

    with pytest.raises(ExecutionError, match=r"not valid JSON \(deployment 'dev', HTTP 200, 3 attempts\)"):
        await send(client, request_for(client.endpoint))

    assert recorder.count == 3


def test_a_dead_endpoint_fails_with_one_clear_line_after_retries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    endpoint = endpoint_from_yaml(tmp_path, azure_yaml("dead", endpoint="http://127.0.0.1:1"), "dead")
    client = ImagesClient(endpoint, retry=FAST)

    with pytest.raises(ExecutionError) as caught:
        client.generate(request_for(endpoint))

    message = str(caught.value)
    assert message.startswith("cannot reach the deployment: ConnectError")
    assert message.endswith("(deployment 'dead', 3 attempts)")
    assert "\n" not in message
    assert caught.value.attempts == 3


def test_retry_after_as_an_http_date_is_honoured(tmp_path: Path, azure_env: None) -> None:
    when = format_datetime(datetime.now(UTC), usegmt=True)
    client, recorder = _scripted(tmp_path, httpx.Response(503, headers={"Retry-After": when}), _ok())

    client.generate(request_for(client.endpoint))

    assert recorder.count == 2


# -- concurrency -----------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_threads_and_tasks_share_the_deployments_concurrency_limit(tmp_path: Path, azure_env: None) -> None:
    endpoint = _azure(tmp_path, extra="max_concurrency: 2")
    recorder = Recorder(delay=0.1)
    threaded = looped = client_for(endpoint, recorder)  # a Library has one client per deployment: sync and async
    results: list[object] = []

    async def in_thread() -> None:
        results.append(await anyio.to_thread.run_sync(threaded.generate, request_for(endpoint)))

    async def on_loop() -> None:
        results.append(await looped.agenerate(request_for(endpoint)))

    started = time.monotonic()
    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(in_thread)
            group.start_soon(on_loop)

    assert len(results) == 6
    assert recorder.count == 6
    assert recorder.max_in_flight == 2
    assert time.monotonic() - started >= 0.3  # six calls, two at a time, 0.1 s each


def test_each_deployment_has_its_own_limit(tmp_path: Path, azure_env: None) -> None:
    one = azure_yaml("one", deployment="a", extra="max_concurrency: 1")
    three = azure_yaml("three", deployment="b", extra="max_concurrency: 3")
    make_project(tmp_path, one + three)
    settings = load_settings(tmp_path)
    recorders = {name: Recorder(delay=0.1) for name in ("one", "three")}
    clients = {name: client_for(endpoint_for(settings, name), rec) for name, rec in recorders.items()}

    with ThreadPoolExecutor(6) as pool:
        calls = [pool.submit(c.generate, request_for(c.endpoint)) for c in clients.values() for _ in range(3)]
        for call in calls:
            call.result()

    assert recorders["one"].max_in_flight == 1
    assert recorders["three"].max_in_flight == 3


def test_requests_log_no_secret(tmp_path: Path, azure_env: None, caplog: pytest.LogCaptureFixture) -> None:
    client, _ = _scripted(tmp_path, httpx.Response(429, headers={"x-request-id": "rq-1"}), _ok())

    with caplog.at_level("DEBUG"):
        client.generate(request_for(client.endpoint))

    text = caplog.text + json.dumps([r.__dict__ for r in caplog.records], default=str)
    assert KEY not in text
    assert "dev POST -> 429" in caplog.text


def test_verbose_request_lines_carry_the_apim_request_id(
    tmp_path: Path, azure_env: None, caplog: pytest.LogCaptureFixture
) -> None:
    client, _ = _scripted(tmp_path, _ok(**{"apim-request-id": "apim-77"}))

    with caplog.at_level("INFO", logger="promptlib.http"):
        client.generate(request_for(client.endpoint))

    assert "dev POST -> 200" in caplog.text
    assert "request id apim-77" in caplog.text

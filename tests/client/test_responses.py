"""Reading what a deployment answered: images and usage from a 200, the right error from anything else.

Scripted answers come from an httpx.MockTransport (deployments.helpers.Recorder) behind the real client.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from deployments.helpers import (
    FAST,
    Recorder,
    Send,
    azure_yaml,
    client_for,
    endpoint_from_yaml,
    error_body,
    ok_body,
    png,
    request_for,
)
from PIL import Image

from promptlib.client._client import ImagesClient
from promptlib.client._responses import retry_after_seconds
from promptlib.exceptions import AuthenticationFailed, ContentBlocked, ExecutionError, RateLimited
from promptlib.models._pricing import Usage

#: Retries and their waits as in production: these tests time the client's own back-off.
pytestmark = pytest.mark.usefixtures("real_retries")

KEY = "resp-key-0123456789"
MODERATION_MESSAGE = (
    "Your request was rejected by the safety system. If you believe this is an error, contact us at Azure support "
    "ticket and include the request ID 6a1c0d2e-0000-4000-8000-000000000000. safety_violations=[violence, sexual]."
)


MakeClient = Callable[..., tuple[ImagesClient, Recorder]]


@pytest.fixture
def make_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakeClient:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    endpoint = endpoint_from_yaml(tmp_path, azure_yaml("dev"), "dev")

    def make(*replies: httpx.Response | Exception) -> tuple[ImagesClient, Recorder]:
        recorder = Recorder(replies=list(replies))
        return client_for(endpoint, recorder, FAST), recorder

    return make


def _jpeg(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


# -- 200s ------------------------------------------------------------------------------------------------------


def test_images_are_the_decoded_b64_json_bytes(make_client: MakeClient) -> None:
    pngs = [png((48, 32), (255, 0, 0)), png((48, 32), (0, 0, 255), mode="RGBA")]
    body = {"created": 1, "data": [{"b64_json": base64.b64encode(p).decode()} for p in pngs]}
    client, _ = make_client(httpx.Response(200, json=body))

    result = client.generate(request_for(client.endpoint, n=2))

    assert [image.data for image in result.images] == pngs
    assert [(image.format, image.size, image.index) for image in result.images] == [
        ("png", (48, 32), 0),
        ("png", (48, 32), 1),
    ]
    assert result.images[1].mode == "RGBA"


def test_jpeg_images_are_recognised_as_jpeg(make_client: MakeClient, tmp_path: Path) -> None:
    data = _jpeg((40, 30))
    client, _ = make_client(httpx.Response(200, json={"created": 1, "data": [{"b64_json": base64.b64encode(data)
                                                                               .decode()}]}))  # fmt: skip

    image = client.generate(request_for(client.endpoint, output_format="jpeg")).images[0]

    assert (image.format, image.extension, image.size) == ("jpeg", "jpg", (40, 30))
    saved = image.save(tmp_path)
    assert saved.suffix == ".jpg"
    assert saved.read_bytes() == data


def test_usage_is_parsed_with_its_details(make_client: MakeClient) -> None:
    client, _ = make_client(httpx.Response(200, json=ok_body()))

    result = client.generate(request_for(client.endpoint))

    assert result.usage == Usage(
        input_tokens=20, output_tokens=272, total_tokens=292, input_text_tokens=12, input_image_tokens=8
    )


def test_a_response_without_usage_still_has_an_estimated_cost(make_client: MakeClient) -> None:
    body = ok_body()
    del body["usage"]
    client, _ = make_client(httpx.Response(200, json=body))

    result = client.generate(request_for(client.endpoint, quality="high"))

    assert result.usage is None
    assert result.cost == result.estimated_cost > 0.13  # 4160 output tokens at $32/M, plus the prompt


def test_extra_azure_fields_and_missing_echo_fields_are_tolerated(make_client: MakeClient) -> None:
    filters = {name: {"filtered": False, "severity": "safe"} for name in ("hate", "self_harm", "sexual", "violence")}
    body = {
        "created": 1,
        "data": [
            {
                "b64_json": base64.b64encode(png()).decode(),
                "revised_prompt": None,
                "content_filter_results": filters,
                "prompt_filter_results": {**filters, "jailbreak": {"detected": False, "filtered": False}},
            }
        ],
        "content_filter_results": filters,
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": filters}],
        "usage": {"input_tokens": 9, "output_tokens": 272, "total_tokens": 281, "future_field": {"x": 1}},
    }
    client, recorder = make_client(httpx.Response(200, json=body))

    result = client.generate(request_for(client.endpoint))

    assert recorder.count == 1
    assert result.images[0].size == (64, 64)
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.input_text_tokens, result.usage.output_tokens) == (9, 9, 272)


def test_a_url_instead_of_b64_is_an_error_not_a_retry(make_client: MakeClient) -> None:
    client, recorder = make_client(
        httpx.Response(200, json={"created": 1, "data": [{"url": "https://x.blob.core.windows.net/a.png"}]})
    )

    with pytest.raises(ExecutionError, match=r"data\[0\] is a URL; GPT image deployments must return b64_json"):
        client.generate(request_for(client.endpoint))

    assert recorder.count == 1


@pytest.mark.parametrize("header", ["x-request-id", "apim-request-id"])
def test_the_request_id_comes_from_either_header(make_client: MakeClient, header: str) -> None:
    client, _ = make_client(httpx.Response(200, json=ok_body(), headers={header: "req-42"}))

    result = client.generate(request_for(client.endpoint))

    assert result.request_id == "req-42"
    assert result.to_dict()["request_id"] == "req-42"


def test_x_request_id_is_preferred_when_both_are_present(make_client: MakeClient) -> None:
    client, _ = make_client(
        httpx.Response(200, json=ok_body(), headers={"apim-request-id": "apim-1", "x-request-id": "x-1"})
    )

    assert client.generate(request_for(client.endpoint)).request_id == "x-1"


# -- errors: what they say ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["x-request-id", "apim-request-id"])
def test_errors_name_deployment_status_and_request_id(make_client: MakeClient, header: str) -> None:
    client, _ = make_client(
        httpx.Response(400, json=error_body("invalid_value", "Invalid size."), headers={header: "req-7"})
    )

    with pytest.raises(ExecutionError) as caught:
        client.generate(request_for(client.endpoint))

    error = caught.value
    assert (error.deployment, error.status, error.request_id) == ("dev", 400, "req-7")
    assert str(error) == (
        "the service rejected the request: Invalid size. (code invalid_value) (deployment 'dev', HTTP 400, "
        "request id req-7)"
    )


def test_a_404_points_at_the_endpoint_deployment_and_version(make_client: MakeClient) -> None:
    not_found = {"error": {"code": "404", "message": "Resource not found"}}
    client, recorder = make_client(httpx.Response(404, json=not_found))

    with pytest.raises(ExecutionError, match="not found: Resource not found; check the endpoint, deployment name and "
                                             r"api_version \(deployment 'dev', HTTP 404\)"):  # fmt: skip
        client.generate(request_for(client.endpoint))

    assert recorder.count == 1


def test_a_non_json_error_body_gives_the_reason_phrase(make_client: MakeClient) -> None:
    client, _ = make_client(httpx.Response(403, html="<html>nope</html>"))

    with pytest.raises(AuthenticationFailed, match=r"refused the credentials: Forbidden; check the key or credential"):
        client.generate(request_for(client.endpoint))


def test_a_service_that_echoes_the_key_does_not_leak_it(make_client: MakeClient) -> None:
    client, _ = make_client(httpx.Response(401, json=error_body("401", f"Access denied for key {KEY}.")))

    with pytest.raises(AuthenticationFailed) as caught:
        client.generate(request_for(client.endpoint))

    assert KEY not in str(caught.value)
    assert "Access denied for key ***." in str(caught.value)


def test_a_huge_error_message_is_cut(make_client: MakeClient) -> None:
    client, _ = make_client(httpx.Response(400, json=error_body("bad", "x" * 5000)))

    with pytest.raises(ExecutionError) as caught:
        client.generate(request_for(client.endpoint))

    assert len(str(caught.value)) < 700


# -- safety blocks and other final answers: exactly one request --------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error",
    [
        {"code": "moderation_blocked", "type": "image_generation_user_error", "message": MODERATION_MESSAGE},
        {"code": "content_policy_violation", "type": "invalid_request_error", "message": "Prompt not allowed.",
         "inner_error": {"code": "ResponsibleAIPolicyViolation", "content_filter_results": {}}},
        {"code": "contentFilter", "message": "Your task failed as a result of our safety system."},
        {"code": "content_filter", "message": "The response was filtered.", "param": "prompt"},
        {"code": None, "type": "image_generation_user_error", "message": "Rejected."},
        {"code": "unknown_new_code", "type": "invalid_request_error",
         "message": "Your request was rejected as a result of our safety system."},
    ],
    ids=["moderation_blocked", "content_policy_violation", "contentFilter", "content_filter", "type-only",
         "message-only"],
)  # fmt: skip
async def test_safety_blocks_are_content_blocked_and_never_retried(
    make_client: MakeClient, send: Send, error: dict[str, object]
) -> None:
    client, recorder = make_client(httpx.Response(400, json={"error": error}, headers={"apim-request-id": "blk-1"}))

    with pytest.raises(ContentBlocked) as caught:
        await send(client, request_for(client.endpoint))

    assert recorder.count == 1
    blocked = caught.value
    assert (blocked.deployment, blocked.status, blocked.request_id, blocked.attempts) == ("dev", 400, "blk-1", 1)
    assert blocked.code == error.get("code")
    assert str(blocked).startswith("blocked by the safety system: ")
    assert str(blocked).endswith("(deployment 'dev', HTTP 400, request id blk-1)")


def test_a_moderation_block_names_its_categories(make_client: MakeClient) -> None:
    client, _ = make_client(
        httpx.Response(400, json=error_body("moderation_blocked", MODERATION_MESSAGE, "image_generation_user_error"))
    )

    with pytest.raises(ContentBlocked) as caught:
        client.generate(request_for(client.endpoint))

    assert caught.value.categories == ("violence", "sexual")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "error_type"),
    [(400, ExecutionError), (401, AuthenticationFailed), (403, AuthenticationFailed), (404, ExecutionError)],
)
async def test_client_errors_are_final_after_one_request(
    make_client: MakeClient, send: Send, status: int, error_type: type[ExecutionError]
) -> None:
    client, recorder = make_client(httpx.Response(status, json=error_body(str(status), "nope")), httpx.Response(200))

    with pytest.raises(error_type) as caught:
        await send(client, request_for(client.endpoint))

    assert recorder.count == 1
    assert caught.value.status == status
    assert not isinstance(caught.value, ContentBlocked | RateLimited)


def test_authentication_failures_exit_2_and_other_failures_exit_1(make_client: MakeClient) -> None:
    client, _ = make_client(httpx.Response(401, json=error_body("401", "Access denied")))
    with pytest.raises(AuthenticationFailed) as auth:
        client.generate(request_for(client.endpoint))
    client, _ = make_client(httpx.Response(400, json=error_body("moderation_blocked", "blocked")))
    with pytest.raises(ContentBlocked) as blocked:
        client.generate(request_for(client.endpoint))

    assert auth.value.exit_code == 2
    assert blocked.value.exit_code == 1


# -- retry-after parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "300"}, 0.3),
        ({"retry-after-ms": "1500.5"}, 1.5005),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "100", "retry-after": "9"}, 0.1),
        ({"retry-after-ms": "soon", "retry-after": "4"}, 4.0),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_seconds(httpx.Headers(headers)) == pytest.approx(seconds)


def test_retry_after_as_a_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)

    assert 25 < retry_after_seconds(httpx.Headers({"retry-after": later})) <= 30  # type: ignore[operator]
    assert retry_after_seconds(httpx.Headers({"retry-after": earlier})) == 0.0


# -- shapes of issue 10 item 5 (reference §4-§5) ---------------------------------------------------------------


def test_a_400_marked_only_by_inner_error_is_a_safety_block(make_client: MakeClient) -> None:
    """Azure's dated api-versions may say nothing but inner_error.code ResponsibleAIPolicyViolation."""
    error = {"code": "BadRequest", "message": "The request was rejected.", "type": "invalid_request_error",
             "inner_error": {"code": "ResponsibleAIPolicyViolation",
                             "content_filter_results": {"violence": {"filtered": True, "severity": "medium"},
                                                        "hate": {"filtered": False, "severity": "safe"}}}}  # fmt: skip
    client, recorder = make_client(httpx.Response(400, json={"error": error}))

    with pytest.raises(ContentBlocked) as caught:
        client.generate(request_for(client.endpoint))

    assert recorder.count == 1 and caught.value.categories == ("violence",)


def test_a_temporarily_blocked_resource_is_not_reported_as_bad_credentials(make_client: MakeClient) -> None:
    message = ("Your resource has been temporarily blocked because we detected behavior that may violate our "
               "content policy.")  # fmt: skip
    client, recorder = make_client(httpx.Response(403, json={"error": {"code": "Forbidden", "message": message}}))

    with pytest.raises(ExecutionError) as caught:
        client.generate(request_for(client.endpoint))

    assert recorder.count == 1 and not isinstance(caught.value, AuthenticationFailed)
    assert "temporarily blocked by Azure's abuse monitoring" in str(caught.value)
    assert "not a credentials problem" in str(caught.value) and caught.value.exit_code == 1


def test_a_200_missing_some_filtered_images_keeps_the_good_ones(tmp_path: Path) -> None:
    """The emulator's `filter` fault: Azure's annotation replaces the last image; nothing is sent again."""
    from deployments.helpers import GENERATE_TEMPLATE, make_project

    from promptlib import Library
    from promptlib.deployments.emulator import emulator_app

    config = "filtering:\n  kind: emulator\n  faults: {script: [filter]}\n"
    template = GENERATE_TEMPLATE.replace("  quality: low\n", "  quality: low\n  n: 3\n")
    library = Library.load(make_project(tmp_path, config, {"tile": template}, default_deployment="filtering"))

    result = library.generate("tile")

    assert [image.index for image in result.images] == [0, 1]
    assert [(f.index, f.categories) for f in result.filtered] == [(2, ("violence",))]
    assert result.to_dict()["filtered"] == [{"index": 2, "categories": ["violence"]}]
    app = emulator_app("filtering", library.settings.deployment("filtering"))  # type: ignore[arg-type]
    assert len(app.requests) == 1


def test_a_200_whose_every_image_was_filtered_is_a_safety_block(make_client: MakeClient) -> None:
    filtered = {"content_filter_results": {"sexual": {"filtered": True, "severity": "high"}}}
    client, recorder = make_client(httpx.Response(200, json={"created": 1, "data": [filtered]}))

    with pytest.raises(ContentBlocked) as caught:
        client.generate(request_for(client.endpoint))

    assert recorder.count == 1 and caught.value.categories == ("sexual",)
    assert "every image was removed by the output filter (sexual)" in str(caught.value)

"""The emulator serves any model in the table: it validates and draws that model's sizes (arbitrary ones for
gpt-image-2), bills by its token counts, refuses what the service refuses for it, streams as Azure does, and
annotates Azure's answers with the content-filter results."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from emulator_helpers import EDITS, GENERATIONS, decode, png_bytes
from PIL import Image

from promptlib.emulator import EmulatorConfig, create_app

pytestmark = pytest.mark.anyio


async def _post(served: str, path: str = GENERATIONS, **body: Any) -> httpx.Response:
    """POST ``body`` to an emulator claiming to serve the model ``served``."""
    app = create_app(EmulatorConfig(model=served))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        return await client.post(path, json={"prompt": "A lighthouse at dusk", "quality": "low", **body})


def _events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """(event name, data) of each server-sent event, in order."""
    events = []
    for block in response.text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


@pytest.mark.parametrize(("model", "size"), [("gpt-image-2", "2048x1152"), ("gpt-image-2.5-flare", "1536x864"),
                                             ("gpt-image-2-2026-04-21", "3840x2160")])  # fmt: skip
async def test_arbitrary_sizes_are_drawn_at_that_size_and_billed_by_area(model: str, size: str) -> None:
    response = await _post(model, size=size)
    assert response.status_code == 200, response.text
    width, height = map(int, size.split("x"))
    assert decode(response.json()["data"][0]["b64_json"]).size == (width, height)
    assert response.json()["usage"]["output_tokens"] == math.ceil(272 * width * height / 1024**2)


@pytest.mark.parametrize(
    ("model", "body", "param", "words"),
    [
        ("gpt-image-1.5", {"size": "2048x1152"}, "size", "Supported values are: '1024x1024', '1536x1024'"),
        ("gpt-image-2", {"size": "2000x1000"}, "size", "multiples of 16"),
        ("gpt-image-2", {"size": "3072x960"}, "size", "aspect ratio"),
        ("gpt-image-2", {"quality": "xhigh"}, "quality", "Supported values are"),
        ("gpt-image-2.5-sunburst", {"background": "auto"}, "background", "'transparent' and 'opaque'"),
        ("gpt-image-2", {"output_format": "webp"}, "output_format", "'png' and 'jpeg'"),  # Azure: no webp
        ("gpt-image-9", {"size": "8000x8000"}, "size", "the promptlib emulator draws at most"),  # unknown model
    ],
)
async def test_what_the_model_does_not_take_is_a_400_naming_the_field(
    model: str, body: dict[str, Any], param: str, words: str
) -> None:
    response = await _post(model, **body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and words in error["message"]


async def test_what_only_some_models_take() -> None:
    assert (await _post("gpt-image-2.5-sunburst", quality="max", background="opaque")).status_code == 200
    assert (
        await _post("gpt-image-2", output_format="webp", model="gpt-image-2", path="/v1/images/generations")
    ).status_code == 200  # fmt: skip  (OpenAI's own surface serves webp)
    assert (await _post("gpt-image-9", size="2000x1000")).status_code == 200  # unknown: the wire rules only


async def test_azure_answers_carry_content_filter_annotations_and_openai_ones_do_not() -> None:
    azure = (await _post("gpt-image-2", n=2)).json()
    for item in azure["data"]:
        assert item["content_filter_results"]["violence"] == {"filtered": False, "severity": "safe"}
        assert item["prompt_filter_results"]["jailbreak"] == {"detected": False, "filtered": False}
    openai = (await _post("gpt-image-2", model="gpt-image-2", path="/v1/images/generations")).json()
    assert set(openai["data"][0]) == {"b64_json"}


async def test_the_safety_identifier_is_echoed_and_user_stands_in_for_it() -> None:
    assert (await _post("gpt-image-2", safety_identifier="u-91a2")).json()["safety_identifier"] == "u-91a2"
    assert (await _post("gpt-image-2", user="legacy-7")).json()["safety_identifier"] == "legacy-7"


async def test_a_generation_streams_partial_images_then_the_completed_event() -> None:
    response = await _post("gpt-image-2", size="1536x864", stream=True, partial_images=2)

    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = _events(response)
    assert [name for name, _ in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    assert [data["type"] for _, data in events] == [name for name, _ in events]
    first, _, completed = (data for _, data in events)
    assert set(first) == {"type", "b64_json", "created_at", "size", "quality", "background", "output_format",
                          "partial_image_index"}  # fmt: skip
    assert (first["partial_image_index"], first["quality"], first["background"]) == (0, "low", "auto")
    assert (completed["size"], completed["background"]) == ("1536x864", "opaque")
    assert completed["usage"]["output_tokens"] == math.ceil(272 * 1536 * 864 / 1024**2) + 2 * 100
    assert decode(completed["b64_json"]).size == (1536, 864)


async def test_an_edit_streams_as_image_edit_events() -> None:
    app = create_app(EmulatorConfig())
    image = png_bytes(Image.new("RGB", (1024, 1024), (20, 90, 160)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        response = await client.post(EDITS, data={"prompt": "A kite", "stream": "true", "partial_images": "1"},
                                     files=[("image", ("p.png", image, "image/png"))])  # fmt: skip
    assert [name for name, _ in _events(response)] == ["image_edit.partial_image", "image_edit.completed"]


@pytest.mark.parametrize(
    ("model", "body", "param"),
    [
        ("gpt-image-2", {"stream": True, "n": 2}, "n"),
        ("gpt-image-2", {"stream": True, "partial_images": 4}, "partial_images"),
    ],
)
async def test_streams_the_service_cannot_send_are_refused(model: str, body: dict[str, Any], param: str) -> None:
    response = await _post(model, **body)
    assert response.status_code == 400 and response.json()["error"]["param"] == param

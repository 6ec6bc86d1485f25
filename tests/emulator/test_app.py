"""The app over httpx's ASGI transport: Azure's URLs, response shape, usage, samples and the request log."""

from __future__ import annotations

import itertools
import math
import uuid

import httpx
import pytest
from emulator_helpers import EDITS, GENERATIONS, decode, phash_distance, png_bytes
from PIL import Image

from promptlib.emulator import EmulatorApp, EmulatorConfig, create_app
from promptlib.models._table import shipped_table

pytestmark = pytest.mark.anyio


def _client(app: EmulatorApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")


async def _images(client: httpx.AsyncClient, **body: object) -> list[Image.Image]:
    response = await client.post(GENERATIONS, json={"prompt": "A violin on a velvet chair", **body})
    assert response.status_code == 200, response.text
    return [decode(item["b64_json"]) for item in response.json()["data"]]


async def test_generation_response_has_azure_shape_and_request_ids(client: httpx.AsyncClient) -> None:
    response = await client.post(GENERATIONS, json={"prompt": "A kite over a hill", "n": 2, "size": "1536x1024"})
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["created"], int)
    assert [decode(item["b64_json"]).size for item in body["data"]] == [(1536, 1024)] * 2
    assert (body["background"], body["output_format"], body["quality"], body["size"]) == (
        "opaque", "png", "high", "1536x1024",
    )  # fmt: skip
    request_id = response.headers["x-request-id"]
    assert uuid.UUID(request_id) and response.headers["apim-request-id"] == request_id


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/openai/deployments/my-dep/images/generations?api-version=2025-04-01-preview", None),
        ("/openai/v1/images/generations", "my-dep"),
        ("/openai/v1/images/generations?api-version=preview", "my-dep"),
        ("/v1/images/generations", "gpt-image-1.5"),
    ],
)
async def test_every_surface_generates(
    app: EmulatorApp, client: httpx.AsyncClient, path: str, model: str | None
) -> None:
    body = {"prompt": "A kite", "quality": "low", **({"model": model} if model else {})}
    response = await client.post(path, json=body)
    assert response.status_code == 200, response.text
    assert app.requests[-1].deployment == ("my-dep" if model in (None, "my-dep") else model)


@pytest.mark.parametrize(
    "path",
    [
        "/openai/deployments/d/images/generations",
        "/openai/deployments/d/images/edits?api-version=2024-02-01",
        "/openai/deployments/d/images/generations?api-version=latest",
        "/openai/deployments/d/images/generations?api-version=2026-01-01",  # looks dated, but no such version
        "/openai/deployments/d/images/generations?api-version=2027-06-01-preview",  # a future version
        "/openai/deployments/d/images/variations?api-version=2025-04-01-preview",
        "/openai/images/generations?api-version=2025-04-01-preview",
    ],
)
async def test_wrong_path_or_api_version_is_azures_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path, json={"prompt": "x"})
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "404", "message": "Resource not found"}}
    assert uuid.UUID(response.headers["x-request-id"])


@pytest.mark.parametrize(
    ("quality", "size"),
    list(itertools.product(["low", "medium", "high", "auto"], ["1024x1024", "1024x1536", "1536x1024", "auto"])),
)
async def test_usage_follows_the_token_table(client: httpx.AsyncClient, quality: str, size: str) -> None:
    prompt = "A kite over a hill, drawn in ink"
    response = await client.post(GENERATIONS, json={"prompt": prompt, "quality": quality, "size": size, "n": 2})
    usage = response.json()["usage"]
    table = shipped_table().get("gpt-image-2")
    assert table is not None and table.entry.output_tokens is not None
    per_image = table.entry.output_tokens.listed["high" if quality == "auto" else quality][  # type: ignore[index]
        "1024x1024" if size == "auto" else size
    ]
    text = math.ceil(len(prompt) / 4)
    assert usage == {
        "input_tokens": text,
        "input_tokens_details": {"text_tokens": text, "image_tokens": 0},
        "output_tokens": 2 * per_image,
        "output_tokens_details": {"image_tokens": 2 * per_image, "text_tokens": 0},
        "total_tokens": text + 2 * per_image,
    }


async def test_variance_zero_returns_identical_samples(client: httpx.AsyncClient) -> None:
    images = await _images(client, n=3)
    assert images[0].tobytes() == images[1].tobytes() == images[2].tobytes()


async def test_variance_gives_nearby_distinct_samples() -> None:
    async with _client(create_app(EmulatorConfig(variance=0.15, seed=7))) as client:
        images = await _images(client, n=4)
    assert len({image.tobytes() for image in images}) == 4
    assert max(phash_distance(a, b) for a, b in itertools.combinations(images, 2)) <= 14


async def test_seed_reproduces_the_sequence_of_samples() -> None:
    runs = []
    for _ in range(2):
        async with _client(create_app(EmulatorConfig(variance=0.15, seed=42))) as client:
            first = await _images(client, n=2)
            second = await _images(client, n=1)
        runs.append([image.tobytes() for image in first + second])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 3, "later requests continue the sequence rather than repeating it"


async def test_without_seed_each_instance_draws_fresh_samples() -> None:
    draws = []
    for _ in range(2):
        async with _client(create_app(EmulatorConfig(variance=0.15))) as client:
            draws.append((await _images(client))[0].tobytes())
    assert draws[0] != draws[1]


async def test_transparent_png_and_jpeg_outputs(client: httpx.AsyncClient) -> None:
    transparent = (await _images(client, background="transparent"))[0]
    assert transparent.format == "PNG" and transparent.mode == "RGBA"
    assert transparent.getchannel("A").getextrema() == (0, 255)
    jpeg = (await _images(client, output_format="jpeg", output_compression=60))[0]
    assert jpeg.format == "JPEG" and jpeg.mode == "RGB"


async def test_webp_only_on_v1_paths(client: httpx.AsyncClient) -> None:
    ok = await client.post("/v1/images/generations", json={"prompt": "A kite", "output_format": "webp"})
    assert ok.status_code == 200 and decode(ok.json()["data"][0]["b64_json"]).format == "WEBP"
    refused = await client.post(GENERATIONS, json={"prompt": "A kite", "output_format": "webp"})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "output_format"


async def test_edit_with_mask_over_multipart(client: httpx.AsyncClient) -> None:
    photo = Image.new("RGB", (1024, 1024), (40, 90, 160))
    mask = Image.new("RGBA", (1024, 1024), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 512, 512))
    files = [("image", ("photo.png", png_bytes(photo), "image/png")), ("mask", ("m.png", png_bytes(mask), "image/png"))]
    response = await client.post(EDITS, data={"prompt": "A red balloon", "n": "2"}, files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    for item in body["data"]:
        edited = decode(item["b64_json"])
        assert edited.crop((512, 0, 1024, 1024)).getcolors() == [(512 * 1024, (40, 90, 160))]
        assert edited.crop((0, 0, 512, 512)).getcolors() != [(512 * 512, (40, 90, 160))]
    assert body["usage"]["input_tokens_details"] == {"text_tokens": 4, "image_tokens": 765}


async def test_edit_accepts_repeated_image_parts_and_keeps_input_size(client: httpx.AsyncClient) -> None:
    first = Image.new("RGB", (640, 480), (200, 200, 200))
    files = [("image[]", ("a.png", png_bytes(first), "image/png")),
             ("image[]", ("b.png", png_bytes(Image.new("RGB", (64, 64), "red")), "image/png"))]  # fmt: skip
    response = await client.post(EDITS, data={"prompt": "Put the red square on the table"}, files=files)
    assert response.status_code == 200, response.text
    body = response.json()
    assert decode(body["data"][0]["b64_json"]).size == (640, 480)
    assert body["size"] == "640x480"
    assert body["usage"]["input_tokens_details"]["image_tokens"] > 255


async def test_edit_of_transparent_input_stays_transparent(client: httpx.AsyncClient) -> None:
    logo = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    logo.paste((10, 10, 10, 255), (100, 100, 400, 400))
    files = [("image", ("logo.png", png_bytes(logo), "image/png"))]
    response = await client.post(EDITS, data={"prompt": "Add a small star"}, files=files)
    assert response.json()["background"] == "transparent"
    assert decode(response.json()["data"][0]["b64_json"]).mode == "RGBA"


async def test_request_log_records_what_arrived(app: EmulatorApp, client: httpx.AsyncClient) -> None:
    await client.post(GENERATIONS, json={"prompt": "A kite", "n": 2, "quality": "low"})
    await client.post(GENERATIONS, json={"prompt": "A kite", "n": 11})
    await client.post("/openai/v1/images/generations", json={"prompt": "A boat", "model": "dep-b", "quality": "low"})
    log = app.requests
    assert [(r.path, r.deployment, r.prompt, r.n, r.status) for r in log] == [
        ("/openai/deployments/images/images/generations", "images", "A kite", 2, 200),
        ("/openai/deployments/images/images/generations", "images", "A kite", 11, 400),
        ("/openai/v1/images/generations", "dep-b", "A boat", 1, 200),
    ]
    assert log[0].received_at <= log[1].received_at <= log[2].received_at
    assert all(r.operation == "generations" and r.method == "POST" for r in log)

"""Bad requests get the service's 400s: same codes, params and envelope, so client handling is exercised."""

from __future__ import annotations

import io

import httpx
import pytest
from emulator_helpers import EDITS, GENERATIONS, png_bytes
from PIL import Image

from promptlib.emulator import EmulatorConfig, create_app

pytestmark = pytest.mark.anyio

PNG_1024 = png_bytes(Image.new("RGB", (1024, 1024), "white"))
MULTIPART = "multipart/form-data; boundary=emulator-test"


def _multipart(fields: dict[str, str]) -> bytes:
    parts = [f'--emulator-test\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return ("".join(parts) + "--emulator-test--\r\n").encode()


def _mask(size: tuple[int, int], mode: str = "RGBA", fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 0).save(buffer, fmt)
    return buffer.getvalue()


def _assert_error(response: httpx.Response, code: str | None, param: str | None) -> dict[str, object]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "param", "type"}
    assert (error["code"], error["param"], error["type"]) == (code, param, "invalid_request_error")
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"prompt": "x", "size": "512x512"}, "invalid_value", "size"),
        ({"prompt": "x", "size": "1000x1000"}, "invalid_value", "size"),  # not multiples of 16 (gpt-image-2)
        ({"prompt": "x", "size": "big"}, "invalid_value", "size"),
        ({"prompt": "x", "n": 0}, "integer_below_min_value", "n"),
        ({"prompt": "x", "n": 11}, "integer_above_max_value", "n"),
        ({"prompt": "x", "n": "two"}, "invalid_type", "n"),
        ({"prompt": "x", "n": True}, "invalid_type", "n"),
        ({}, "missing_required_parameter", "prompt"),
        ({"prompt": ""}, "empty_string", "prompt"),
        ({"prompt": "   "}, "empty_string", "prompt"),
        ({"prompt": 42}, "invalid_type", "prompt"),
        ({"prompt": "x" * 32_001}, "string_above_max_length", "prompt"),
        ({"prompt": "x", "response_format": "b64_json"}, "unknown_parameter", "response_format"),
        ({"prompt": "x", "style": "vivid"}, "unknown_parameter", "style"),
        ({"prompt": "x", "colour": "red"}, "unknown_parameter", "colour"),
        ({"prompt": "x", "quality": "hd"}, "invalid_value", "quality"),
        ({"prompt": "x", "background": "clear"}, "invalid_value", "background"),
        ({"prompt": "x", "output_format": "gif"}, "invalid_value", "output_format"),
        ({"prompt": "x", "output_compression": 50}, "invalid_value", "output_compression"),
        ({"prompt": "x", "output_format": "jpeg", "output_compression": 101}, "integer_above_max_value",
         "output_compression"),
        ({"prompt": "x", "output_format": "jpeg", "background": "transparent"}, "invalid_value", "background"),
        ({"prompt": "x", "moderation": "none"}, "invalid_value", "moderation"),
        ({"prompt": "x", "partial_images": 4}, "integer_above_max_value", "partial_images"),
        ({"prompt": "x", "stream": True, "n": 2}, "unsupported_value", "n"),
        ({"prompt": "x", "stream": "yes"}, "invalid_type", "stream"),
        ({"prompt": "x", "user": 5}, "invalid_type", "user"),
    ],
)  # fmt: skip
async def test_generation_field_errors(
    client: httpx.AsyncClient, body: dict[str, object], code: str, param: str
) -> None:
    _assert_error(await client.post(GENERATIONS, json=body), code, param)


async def test_error_messages_name_the_limit(client: httpx.AsyncClient) -> None:
    error = _assert_error(await client.post(GENERATIONS, json={"prompt": "x", "n": 11}), "integer_above_max_value", "n")
    assert "10" in str(error["message"]) and "11" in str(error["message"])
    error = _assert_error(await client.post(GENERATIONS, json={"prompt": "x", "size": "1x1"}), "invalid_value", "size")
    assert "multiples of 16" in str(error["message"])  # gpt-image-2's rule, the emulator's default model
    app = create_app(EmulatorConfig(model="gpt-image-1.5"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as listed:
        response = await listed.post(GENERATIONS, json={"prompt": "x", "size": "1x1"})
    assert "'1024x1536'" in str(_assert_error(response, "invalid_value", "size")["message"])


async def test_null_fields_mean_the_default(client: httpx.AsyncClient) -> None:
    body = {"prompt": "A kite", "size": None, "quality": None, "n": None, "background": None, "stream": None}
    response = await client.post(GENERATIONS, json=body)
    assert response.status_code == 200
    assert (response.json()["size"], response.json()["quality"], len(response.json()["data"])) == (
        "1024x1024",
        "high",
        1,
    )


async def test_longest_allowed_prompt_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(GENERATIONS, json={"prompt": "word " * 6400, "quality": "low"})
    assert response.status_code == 200


async def test_body_that_is_not_a_json_object(client: httpx.AsyncClient) -> None:
    for content in (b"{not json", b"[1, 2]"):
        response = await client.post(GENERATIONS, content=content, headers={"content-type": "application/json"})
        _assert_error(response, None, None)


async def test_v1_path_requires_model_and_a_known_api_version(client: httpx.AsyncClient) -> None:
    _assert_error(await client.post("/openai/v1/images/generations", json={"prompt": "x"}),
                  "missing_required_parameter", "model")  # fmt: skip
    response = await client.post("/openai/v1/images/generations?api-version=2025-04-01-preview",
                                 json={"prompt": "x", "model": "d"})  # fmt: skip
    _assert_error(response, "invalid_value", "api-version")


def _files(image: bytes = PNG_1024, mask: bytes | None = None) -> list[tuple[str, tuple[str, bytes, str]]]:
    files = [("image", ("image.png", image, "image/png"))]
    if mask is not None:
        files.append(("mask", ("mask.png", mask, "image/png")))
    return files


@pytest.mark.parametrize(
    ("data", "files", "code", "param"),
    [
        ({"prompt": "x", "moderation": "low"}, _files(), "unknown_parameter", "moderation"),
        ({"prompt": "x", "response_format": "url"}, _files(), "unknown_parameter", "response_format"),
        ({"prompt": "x", "n": "11"}, _files(), "integer_above_max_value", "n"),
        ({"prompt": "x", "size": "256x256"}, _files(), "invalid_value", "size"),
        ({"prompt": "x", "input_fidelity": "max"}, _files(), "invalid_value", "input_fidelity"),
        ({"prompt": "x"}, [], "missing_required_parameter", "image"),
        ({"prompt": "x", "image": "photo.png"}, [], "invalid_type", "image"),
        ({"prompt": "x"}, _files(b"not an image"), "invalid_image_file", "image"),
        ({"prompt": "x"}, _files(_mask((8, 8), "RGB", "GIF")), "invalid_image_file", "image"),
        ({"prompt": "x"}, _files(mask=_mask((1024, 1024), "RGBA", "WEBP")), "invalid_mask_image", "mask"),
        ({"prompt": "x"}, _files(mask=_mask((1024, 1024), "RGB")), "invalid_mask_image", "mask"),
        ({"prompt": "x"}, _files(mask=_mask((512, 512))), "invalid_mask_image", "mask"),
        ({"prompt": "x"}, _files(mask=b"garbage"), "invalid_mask_image", "mask"),
        ({"prompt": "x"}, [*_files(), ("extra", ("e.png", PNG_1024, "image/png"))], "unknown_parameter", "extra"),
        ({}, _files(), "missing_required_parameter", "prompt"),
    ],
)
async def test_edit_errors(
    client: httpx.AsyncClient, data: dict[str, str], files: list[tuple[str, tuple[str, bytes, str]]], code: str,
    param: str,
) -> None:  # fmt: skip
    if files:
        response = await client.post(EDITS, data=data, files=files)
    else:  # httpx sends a form without files urlencoded; build the multipart body by hand
        response = await client.post(EDITS, content=_multipart(data), headers={"content-type": MULTIPART})
    error = _assert_error(response, code, param)
    if param == "mask":
        assert "mask" in str(error["message"])


async def test_too_many_edit_images(client: httpx.AsyncClient) -> None:
    small = png_bytes(Image.new("RGB", (16, 16), "white"))
    files = [("image[]", (f"{i}.png", small, "image/png")) for i in range(17)]
    _assert_error(await client.post(EDITS, data={"prompt": "x"}, files=files), "invalid_value", "image")


async def test_wrong_mask_size_message_gives_both_sizes(client: httpx.AsyncClient) -> None:
    response = await client.post(EDITS, data={"prompt": "x"}, files=_files(mask=_mask((512, 512))))
    message = str(_assert_error(response, "invalid_mask_image", "mask")["message"])
    assert "512x512" in message and "1024x1024" in message


async def test_edits_must_be_multipart(client: httpx.AsyncClient) -> None:
    _assert_error(await client.post(EDITS, json={"prompt": "x"}), "invalid_content_type", None)


@pytest.mark.parametrize(
    ("model", "fidelity", "code"),
    [
        ("gpt-image-1-mini", "high", "invalid_value"),  # mini takes only low (openai 3.57 image_edit_params.py)
        ("gpt-image-1-mini", "low", None),
        ("gpt-image-1.5", "high", None),
        ("gpt-image-2", "low", "unsupported_parameter"),  # "For gpt-image-2, omit this parameter"
    ],
)
async def test_input_fidelity_follows_the_model(model: str, fidelity: str, code: str | None) -> None:
    app = create_app(EmulatorConfig(model=model))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        response = await client.post(EDITS, data={"prompt": "x", "input_fidelity": fidelity, "quality": "low"},
                                     files=_files())  # fmt: skip
    if code is None:
        assert response.status_code == 200, response.text
    else:
        _assert_error(response, code, "input_fidelity")

"""The official openai SDK, pointed at a served emulator, works end to end and maps errors to its types."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any, cast

import openai
import pytest
from emulator_helpers import png_bytes
from PIL import Image, ImageChops

from promptlib.emulator import EmulatorConfig, running_emulator

KEY = "sdk-test-key"
DEPLOYMENT = "gpt-image-15-dev"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running_emulator(EmulatorConfig(api_key=KEY, block=("bazooka",))) as base:
        yield base


@pytest.fixture(params=["azure", "v1"])
def client(request: pytest.FixtureRequest, base_url: str) -> openai.OpenAI:
    """Both ways of reaching Azure from the SDK: AzureOpenAI (deployment path) and OpenAI on /openai/v1/."""
    if request.param == "azure":
        return openai.AzureOpenAI(azure_endpoint=base_url, api_key=KEY, api_version="2025-04-01-preview", max_retries=0)
    return openai.OpenAI(base_url=base_url + "/openai/v1/", api_key=KEY, max_retries=0)


def _image(b64: str | None) -> Image.Image:
    assert b64 is not None
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def test_generate_two_landscape_images(client: openai.OpenAI) -> None:
    result = client.images.generate(model=DEPLOYMENT, prompt="A kite over a hill", n=2, size="1536x1024",
                                    quality="low")  # fmt: skip
    assert result.data is not None and len(result.data) == 2
    assert all(_image(item.b64_json).size == (1536, 1024) for item in result.data)
    assert result.usage is not None and result.usage.output_tokens == 2 * 400
    assert result.size == "1536x1024" and result.quality == "low"


def test_generate_transparent_png_and_jpeg(client: openai.OpenAI) -> None:
    transparent = client.images.generate(model=DEPLOYMENT, prompt="Flat logo of a paper airplane",
                                         background="transparent", output_format="png", quality="low")  # fmt: skip
    assert transparent.data is not None
    logo = _image(transparent.data[0].b64_json)
    assert logo.mode == "RGBA" and logo.getchannel("A").getextrema() == (0, 255)
    jpeg = client.images.generate(model=DEPLOYMENT, prompt="A kite", output_format="jpeg", output_compression=70,
                                  quality="low")  # fmt: skip
    assert jpeg.data is not None and _image(jpeg.data[0].b64_json).format == "JPEG"


def test_edit_with_mask_keeps_outside_pixels(client: openai.OpenAI) -> None:
    photo = Image.new("RGB", (1024, 1024), (30, 120, 90))
    photo.paste((240, 240, 240), (600, 600, 900, 900))
    mask = Image.new("RGBA", (1024, 1024), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, 512, 512))
    result = client.images.edit(model=DEPLOYMENT, prompt="A hot-air balloon", quality="low",
                                image=("photo.png", png_bytes(photo), "image/png"),
                                mask=("mask.png", png_bytes(mask), "image/png"))  # fmt: skip
    assert result.data is not None
    edited = _image(result.data[0].b64_json).convert("RGB")
    keep = mask.getchannel("A")
    assert ImageChops.multiply(ImageChops.difference(edited, photo).convert("L"), keep).getbbox() is None
    assert ImageChops.difference(edited, photo).getbbox() is not None


def test_wrong_key_is_authentication_error(base_url: str) -> None:
    client = openai.AzureOpenAI(azure_endpoint=base_url, api_key="not-the-key-7c1e", api_version="2025-04-01-preview",
                                max_retries=0)  # fmt: skip
    with pytest.raises(openai.AuthenticationError) as caught:
        client.images.generate(model=DEPLOYMENT, prompt="A kite")
    assert caught.value.status_code == 401 and "not-the-key-7c1e" not in str(caught.value)


def test_blocked_term_is_bad_request_with_moderation_code(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(model=DEPLOYMENT, prompt="A Bazooka on a beach")
    assert caught.value.code == "moderation_blocked"
    assert caught.value.type == "image_generation_user_error"
    assert caught.value.request_id is not None and caught.value.request_id in caught.value.message


@pytest.mark.parametrize(
    ("arguments", "param"),
    [
        ({"n": 11}, "n"),
        ({"size": cast(Any, "512x512")}, "size"),
        ({"prompt": "x" * 32_001}, "prompt"),
        ({"response_format": "b64_json"}, "response_format"),
    ],
)
def test_invalid_generation_is_bad_request(client: openai.OpenAI, arguments: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(**{"model": DEPLOYMENT, "prompt": "A kite", **arguments})
    assert caught.value.param == param


def test_mask_of_wrong_size_is_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(model=DEPLOYMENT, prompt="A balloon",
                           image=("photo.png", png_bytes(Image.new("RGB", (1024, 1024))), "image/png"),
                           mask=("mask.png", png_bytes(Image.new("RGBA", (512, 512))), "image/png"))  # fmt: skip
    assert caught.value.param == "mask" and "mask" in caught.value.message


# -- streaming (openai 3.57: images.generate/edit(..., stream=True) -> Stream[ImageGenStreamEvent]) -----------


def test_generate_streams_partial_images_then_the_completed_event(client: openai.OpenAI) -> None:
    stream = client.images.generate(model=DEPLOYMENT, prompt="A kite over a hill", stream=True, partial_images=2,
                                    size="1536x1024", quality="low")  # fmt: skip
    events = list(stream)

    assert [e.type for e in events] == ["image_generation.partial_image"] * 2 + ["image_generation.completed"]
    partials, completed = events[:-1], events[-1]
    assert [p.partial_image_index for p in partials] == [0, 1]  # type: ignore[union-attr]
    assert isinstance(completed, openai.types.ImageGenCompletedEvent)
    assert completed.usage.output_tokens == 400 + 2 * 100 and completed.size == "1536x1024"
    final = _image(completed.b64_json)
    assert final.size == (1536, 1024)
    blur = [ImageChops.difference(_image(p.b64_json).convert("RGB"), final.convert("RGB")).getbbox() for p in partials]
    assert all(box is not None for box in blur)  # previews, not the final image sent early


def test_edit_streams_image_edit_events(client: openai.OpenAI) -> None:
    photo = Image.new("RGB", (1024, 1024), (30, 120, 90))
    stream = client.images.edit(model=DEPLOYMENT, prompt="A hot-air balloon", quality="low", stream=True,
                                partial_images=1, image=("photo.png", png_bytes(photo), "image/png"))  # fmt: skip
    events = list(stream)

    assert [e.type for e in events] == ["image_edit.partial_image", "image_edit.completed"]
    completed = events[-1]
    assert isinstance(completed, openai.types.ImageEditCompletedEvent)
    assert completed.usage.input_tokens_details.image_tokens > 0 and _image(completed.b64_json).size == (1024, 1024)


def test_a_stream_of_several_images_is_a_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        list(client.images.generate(model=DEPLOYMENT, prompt="A kite", stream=True, n=2))
    assert caught.value.param == "n"

"""Streaming through promptlib's own client: `Library.stream`/`astream` on the in-process emulator and on a served
one (deployments and v1 URL styles, generate and edit), the final result as a plain call returns it, and what
is refused before sending or fails on the way."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from deployments.helpers import (
    EDIT_TEMPLATE,
    GENERATE_TEMPLATE,
    azure_yaml,
    make_project,
    png,
)
from httpx_sse import ServerSentEvent
from PIL import Image, ImageChops, ImageStat

from promptlib import ContentBlocked, ExecutionError, GenerationResult, Library, PartialImage, UsageError
from promptlib.client import _streaming
from promptlib.client._responses import decode_b64_image
from promptlib.client._results import GeneratedImage
from promptlib.client._streaming import _Reader
from promptlib.emulator import EmulatorApp, EmulatorConfig, FaultConfig, create_app, running_emulator
from promptlib.evals._cache import ResultCache

#: Retries and their waits as in production: these tests time the client's own back-off.
pytestmark = pytest.mark.usefixtures("real_retries")

KEY = "stream-key-5f1e"
BANNER = GENERATE_TEMPLATE.replace("size: 1024x1024", "size: 2048x1152")
MASK = png((64, 64), (0, 0, 0, 0), "RGBA")


def _picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _distance(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean)


def _split(events: list[object]) -> tuple[list[PartialImage], GenerationResult]:
    *partials, final = events
    assert all(isinstance(p, PartialImage) for p in partials) and isinstance(final, GenerationResult)
    return partials, final  # type: ignore[return-value]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    root = make_project(tmp_path, "", {"banner": BANNER, "edit": EDIT_TEMPLATE})
    (root / "in").mkdir()
    (root / "in" / "photo.png").write_bytes(png())
    (root / "in" / "mask.png").write_bytes(MASK)
    return Library.load(root)


def test_partial_images_arrive_first_and_converge_on_the_final_image(library: Library) -> None:
    partials, final = _split(list(library.stream("banner", partial_images=3)))

    assert [p.index for p in partials] == [0, 1, 2]
    target = _picture(final.images[0].data)
    assert target.size == (2048, 1152)
    distances = [_distance(_picture(p.image.data), target) for p in partials]
    assert distances == sorted(distances, reverse=True) and distances[-1] < distances[0] / 2
    assert all(p.request_hash == final.request_hash for p in partials)


def test_the_final_event_is_what_a_plain_call_returns_and_the_cache_sees_it_so(
    library: Library, tmp_path: Path
) -> None:
    """Same request hash, usage on the completed event (with the partial images' tokens), costed the same way."""
    _, final = _split(list(library.stream("banner", partial_images=2)))
    plain = library.generate("banner")

    assert final.request_hash == plain.request_hash
    assert final.images[0].data == plain.images[0].data  # variance 0: the same picture
    assert final.usage is not None and plain.usage is not None
    assert final.usage.output_tokens == plain.usage.output_tokens + 2 * 100
    assert final.cost > plain.cost > 0
    cache = ResultCache(tmp_path / "cache")
    cache.put(final)
    hit = cache.get(request_for(library, "banner", {}, None)[1])
    assert hit is not None and hit.images[0].sha256 == plain.images[0].sha256


def test_astream_yields_the_same_events(library: Library) -> None:
    async def main() -> list[object]:
        async with library:
            return [event async for event in library.astream("banner", partial_images=1)]

    partials, final = _split(anyio.run(main))
    assert [p.index for p in partials] == [0] and final.images[0].size == (2048, 1152)


def test_astream_decodes_each_image_off_the_event_loop(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded_on: list[int] = []

    def watched(*args: Any) -> GeneratedImage:
        decoded_on.append(threading.get_ident())
        return decode_b64_image(*args)

    monkeypatch.setattr(_streaming, "decode_b64_image", watched)

    async def main() -> tuple[list[object], int]:
        async with library:
            return [event async for event in library.astream("banner", partial_images=2)], threading.get_ident()

    events, loop_thread = anyio.run(main)
    assert len(events) == 3 and len(decoded_on) == 3  # two partial images and the final one
    assert loop_thread not in decoded_on


def test_an_edit_streams_too(library: Library) -> None:
    partials, final = _split(list(library.stream("edit", partial_images=2, photo="in/photo.png", mask="in/mask.png")))
    assert len(partials) == 2 and final.request.operation == "edit"
    assert final.images[0].size == (1024, 1024)


def test_zero_partial_images_is_just_the_final_event(library: Library) -> None:
    events = list(library.stream("banner", partial_images=0))
    assert len(events) == 1 and isinstance(events[0], GenerationResult)


@pytest.mark.parametrize(
    ("change", "partial_images", "words"),
    [
        (("  quality: low\n", "  quality: low\n  n: 2\n"), 2, "a stream carries one image"),
        (("output_format: png", "output_format: gif"), 2, "gif output cannot be streamed"),
        (None, 4, "partial_images must be 0 to 3, not 4"),
    ],
)
def test_what_cannot_be_streamed_is_refused_before_sending(
    tmp_path: Path, change: tuple[str, str] | None, partial_images: int, words: str
) -> None:
    text = BANNER.replace(*change) if change else BANNER
    library = Library.load(make_project(tmp_path, "", {"banner": text}))
    with pytest.raises(UsageError, match=words):
        list(library.stream("banner", partial_images=partial_images))


# -- a served emulator, both URL styles -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, EmulatorApp]]:
    app = create_app(EmulatorConfig(api_key=KEY))
    with running_emulator(app) as url:
        yield url, app


@pytest.fixture(params=["deployments", "v1"])
def remote(request: pytest.FixtureRequest, served: tuple[str, EmulatorApp], tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Library:  # fmt: skip
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    style = None if request.param == "deployments" else "v1"
    yaml = azure_yaml("remote", endpoint=served[0], deployment="images-2", model="gpt-image-2", api_style=style)
    root = make_project(tmp_path, yaml, {"banner": BANNER, "edit": EDIT_TEMPLATE}, default_deployment="remote")
    (root / "photo.png").write_bytes(png())
    (root / "mask.png").write_bytes(MASK)
    served[1].request_log.clear()
    return Library.load(root)


def test_a_served_deployment_streams_generations_and_edits(remote: Library, served: tuple[str, EmulatorApp]) -> None:
    with remote:
        partials, final = _split(list(remote.stream("banner", partial_images=2)))
        edit_partials, edit = _split(list(remote.stream("edit", partial_images=1, photo="photo.png", mask="mask.png")))

    assert (len(partials), final.images[0].size, final.deployment) == (2, (2048, 1152), "remote")
    assert final.request_id is not None and final.request_id == served[1].requests[0].request_id
    assert (len(edit_partials), edit.request.operation) == (1, "edit")
    assert [r.operation for r in served[1].requests] == ["generations", "edits"]


def test_a_throttled_stream_is_retried_before_any_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    app = create_app(EmulatorConfig(api_key=KEY, faults=FaultConfig(script=("429", "ok"), retry_after_ms=20)))
    with running_emulator(app) as url:
        yaml = azure_yaml("remote", endpoint=url, deployment="d", model="gpt-image-2")
        library = Library.load(make_project(tmp_path, yaml, {"banner": BANNER}, default_deployment="remote"))
        with library:
            _, final = _split(list(library.stream("banner", partial_images=1)))
    assert final.attempts == 2 and [r.status for r in app.requests] == [429, 200]


def test_a_stream_cut_short_says_how_far_it_got(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    app = create_app(EmulatorConfig(api_key=KEY, faults=FaultConfig(script=("truncate",))))
    with running_emulator(app) as url:
        yaml = azure_yaml("remote", endpoint=url, deployment="d", model="gpt-image-2")
        library = Library.load(make_project(tmp_path, yaml, {"banner": BANNER}, default_deployment="remote"))
        with library, pytest.raises(ExecutionError, match=r"stream ended before the final image \(after \d partial"):
            list(library.stream("banner", partial_images=3))
    assert len(app.requests) == 1  # the image was being paid for: not sent again


def test_an_error_event_mid_stream_is_the_error_it_names(library: Library) -> None:
    client, request = request_for(library, "banner", {}, None)
    reader = _Reader(client, request, _response(), 0.0, 1)
    blocked = '{"type": "error", "error": {"code": "moderation_blocked", "message": "Your request was rejected."}}'
    with pytest.raises(ContentBlocked):
        reader.feed(ServerSentEvent(event="error", data=blocked))
    with pytest.raises(ExecutionError, match="failed mid-stream: overloaded"):
        reader.feed(ServerSentEvent(event="error", data='{"error": {"message": "overloaded"}}'))
    assert reader.feed(ServerSentEvent(data="[DONE]")) is None and reader.done


def _response() -> object:
    import httpx

    return httpx.Response(200, headers={"x-request-id": "r-1", "content-type": "text/event-stream"})


def request_for(library: Library, template_id: str, variables: dict, deployment: str | None) -> tuple:
    """The client and request `Library.generate` would use."""
    return library.clients.request_for(library.render(template_id, **variables), deployment)

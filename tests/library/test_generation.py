"""Library.generate / agenerate: from a template id to images on disk, on the built-in emulator and over HTTP."""

from __future__ import annotations

import gc
import io
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import pytest
from deployments.helpers import (
    EDIT_TEMPLATE,
    GENERATE_TEMPLATE,
    WIDE_JPEG_TEMPLATE,
    azure_yaml,
    image_of,
    make_project,
)
from PIL import Image, ImageChops, ImageDraw
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from promptlib import Library
from promptlib.client._results import GenerationResult
from promptlib.config._deployment_entries import EmulatorDeployment
from promptlib.deployments.emulator import emulator_app
from promptlib.emulator import EmulatorConfig, create_app, running_emulator
from promptlib.exceptions import ContentBlocked, UnknownDeployment
from promptlib.models._pricing import cost_usd, model_price
from promptlib.models._table import shipped_table

#: Retries and their waits as in production: these tests time the client's own back-off.
pytestmark = pytest.mark.usefixtures("real_retries")

KEY = "gen-key-0123456789"


@pytest.fixture
def library(tmp_path: Path) -> Library:
    return Library.load(make_project(tmp_path, "", {"tile": GENERATE_TEMPLATE, "wide": WIDE_JPEG_TEMPLATE}))


def _check_tile(result: GenerationResult, tmp_path: Path) -> None:
    (image,) = result.images
    assert (image.format, image.size) == ("png", (1024, 1024))
    assert image_of(image.data).size == (1024, 1024)
    saved = image.save(tmp_path / "kite.png")
    assert saved.read_bytes() == image.data
    assert result.deployment == "local"
    assert result.model == "gpt-image-2"  # the emulator's default model
    assert result.request_id
    assert result.latency_s > 0
    assert result.request.prompt == "A flat icon of a kite on a plain background."
    usage = result.usage
    assert usage is not None
    assert usage.output_tokens == 272  # low quality, 1024x1024 (reference §8.1)
    price = model_price(shipped_table().get("gpt-image-2"))
    expected = (usage.input_text_tokens * price.text_in + usage.input_image_tokens * price.image_in
                + 272 * price.image_out) / 1e6  # fmt: skip
    assert result.cost == pytest.approx(expected)
    assert 0.0108 < result.cost < 0.0112


def test_generate_on_the_default_emulator(library: Library, tmp_path: Path) -> None:
    result = library.generate("tile", subject="a kite")

    _check_tile(result, tmp_path)


@pytest.mark.anyio
async def test_agenerate_on_the_default_emulator(library: Library, tmp_path: Path) -> None:
    async with library:
        result = await library.agenerate("tile", subject="a kite")

    _check_tile(result, tmp_path)


def test_size_format_and_n_come_from_the_template(library: Library, tmp_path: Path) -> None:
    result = library.generate("wide")

    assert [(i.format, i.size, i.index) for i in result.images] == [
        ("jpeg", (1536, 1024), 0),
        ("jpeg", (1536, 1024), 1),
    ]
    assert result.usage is not None and result.usage.output_tokens == 2 * 1568
    assert result.cost == pytest.approx(cost_usd("gpt-image-2", result.usage))
    saved = result.images[1].save(tmp_path)
    assert saved.parent == tmp_path and saved.suffix == ".jpg"
    assert image_of(saved.read_bytes()).format == "JPEG"


def test_a_safety_block_on_the_emulator_is_content_blocked_after_one_request(tmp_path: Path) -> None:
    config = "safe:\n  kind: emulator\n  block: [kite]\n  seed: 7\n"
    library = Library.load(make_project(tmp_path, config, default_deployment="safe"))
    app = emulator_app("safe", EmulatorDeployment(kind="emulator", block=["kite"], seed=7))
    before = len(app.requests)

    with pytest.raises(ContentBlocked) as caught:
        library.generate("tile")

    assert len(app.requests) - before == 1
    assert caught.value.code == "moderation_blocked"
    assert caught.value.deployment == "safe"
    assert caught.value.request_id


# -- edits -----------------------------------------------------------------------------------------------------


def _photo_and_mask() -> tuple[Image.Image, bytes, bytes]:
    photo = Image.new("RGB", (1024, 1024), (30, 140, 60))
    ImageDraw.Draw(photo).ellipse((300, 500, 700, 900), fill=(200, 30, 30))
    mask = Image.new("RGBA", (1024, 1024), (0, 0, 0, 255))
    ImageDraw.Draw(mask).rectangle((0, 0, 1023, 399), fill=(0, 0, 0, 0))  # repaint the top 400 rows
    encoded = []
    for image in (photo, mask):
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        encoded.append(buffer.getvalue())
    return photo, encoded[0], encoded[1]


@pytest.mark.parametrize("given_as", ["paths", "bytes"])
def test_an_edit_keeps_the_pixels_outside_the_mask(tmp_path: Path, given_as: str) -> None:
    project = make_project(tmp_path, "", {"edits/sky": EDIT_TEMPLATE})
    photo, photo_png, mask_png = _photo_and_mask()
    (project / "inputs").mkdir()
    (project / "inputs" / "photo.png").write_bytes(photo_png)
    (project / "inputs" / "mask.png").write_bytes(mask_png)
    values: dict[str, object] = (
        {"photo": "inputs/photo.png", "mask": "inputs/mask.png"}
        if given_as == "paths"
        else {"photo": photo_png, "mask": mask_png}
    )

    result = Library.load(project).generate("edits/sky", **values)

    (image,) = result.images
    out = image_of(image.data).convert("RGB")
    assert out.size == (1024, 1024)
    difference = ImageChops.difference(out, photo)
    assert difference.crop((0, 400, 1024, 1024)).getbbox() is None  # kept exactly
    assert difference.crop((0, 0, 1024, 400)).getbbox() is not None  # repainted
    assert result.request.operation == "edit"
    assert result.usage is not None and result.usage.input_image_tokens > 0


def test_edit_inputs_given_as_paths_or_bytes_are_the_same_request(tmp_path: Path) -> None:
    project = make_project(tmp_path, "", {"edit": EDIT_TEMPLATE})
    _, photo_png, mask_png = _photo_and_mask()
    (project / "photo.png").write_bytes(photo_png)
    (project / "mask.png").write_bytes(mask_png)
    library = Library.load(project)

    by_path = library.generate("edit", photo="photo.png", mask="mask.png")
    by_bytes = library.generate("edit", photo=photo_png, mask=mask_png)

    assert by_path.request_hash == by_bytes.request_hash
    assert by_path.images[0].data == by_bytes.images[0].data  # the emulator is deterministic with variance 0


# -- which deployment --------------------------------------------------------------------------------------------

PINNED = GENERATE_TEMPLATE.replace("operation: generate\n", "operation: generate\ndeployment: from-template\n")


@pytest.fixture
def four_deployments(tmp_path: Path) -> Library:
    config = "".join(f"{name}:\n  kind: emulator\n" for name in ("argument", "env", "from-template", "default"))
    project = make_project(tmp_path, config, {"pinned": PINNED, "plain": GENERATE_TEMPLATE}, "default")
    return Library.load(project)


def test_the_argument_wins_over_everything(four_deployments: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTLIB_DEPLOYMENT", "env")

    assert four_deployments.generate("pinned", deployment="argument").deployment == "argument"


def test_promptlib_deployment_wins_over_the_template(
    four_deployments: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPTLIB_DEPLOYMENT", "env")

    result = four_deployments.generate("pinned")

    assert (result.deployment, result.request.deployment) == ("env", "env")


def test_the_template_wins_over_the_default(four_deployments: Library) -> None:
    assert four_deployments.generate("pinned").deployment == "from-template"
    assert four_deployments.generate("plain").deployment == "default"


def test_the_deployment_is_part_of_the_request_identity(four_deployments: Library) -> None:
    one = four_deployments.generate("plain", deployment="argument")
    two = four_deployments.generate("plain", deployment="env")

    assert one.request_hash != two.request_hash
    assert one.images[0].data == two.images[0].data  # same emulator synthesis; only the identity differs


def test_an_unknown_deployment_lists_the_known_ones(four_deployments: Library) -> None:
    with pytest.raises(UnknownDeployment) as caught:
        four_deployments.generate("plain", deployment="prod")

    assert "no deployment named 'prod'; promptlib.yaml defines: argument, default, env, from-template, local" in str(
        caught.value
    )


# -- over real HTTP ----------------------------------------------------------------------------------------------


class InFlight:
    """ASGI middleware: holds each request for ``delay`` seconds and records the most in flight at once."""

    def __init__(self, app: ASGIApp, delay: float, peak: list[int]) -> None:
        self.app, self.delay, self.peak = app, delay, peak
        self.now = 0
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.lock:
            self.now += 1
            self.peak[0] = max(self.peak[0], self.now)
        try:
            await anyio.sleep(self.delay)
            await self.app(scope, receive, send)
        finally:
            with self.lock:
                self.now -= 1


@pytest.mark.anyio
async def test_threads_and_tasks_on_one_library_respect_max_concurrency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    peak = [0]
    app = create_app(EmulatorConfig(api_key=KEY), middleware=[Middleware(InFlight, delay=0.1, peak=peak)])
    with running_emulator(app) as url:
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
        library = Library.load(make_project(tmp_path, azure_yaml("dev", endpoint=url, extra="max_concurrency: 2")))
        results: list[GenerationResult] = []

        async def in_thread(subject: str) -> None:
            results.append(await anyio.to_thread.run_sync(lambda: library.generate("tile", deployment="dev",
                                                                                    subject=subject)))  # fmt: skip

        async def on_loop(subject: str) -> None:
            results.append(await library.agenerate("tile", deployment="dev", subject=subject))

        async with anyio.create_task_group() as group:
            for i in range(3):
                group.start_soon(in_thread, f"thread kite {i}")
                group.start_soon(on_loop, f"task kite {i}")
        await library.aclose()
        library.close()

    assert len(results) == 6
    assert peak[0] == 2
    assert len({r.request_id for r in results}) == 6


def test_agenerate_works_from_one_event_loop_after_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A script may call asyncio.run() more than once; pooled connections of a finished loop must not be reused."""
    with running_emulator(EmulatorConfig(api_key=KEY)) as url:
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
        library = Library.load(make_project(tmp_path, azure_yaml("dev", endpoint=url)))

        async def one() -> GenerationResult:
            return await library.agenerate("tile", deployment="dev")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)  # idle connections of finished loops, left unclosed
            first = anyio.run(one)
            second = anyio.run(one)
            anyio.run(library.aclose)  # from yet another loop: nothing to close here, and no error
            gc.collect()

    assert first.images[0].data == second.images[0].data
    assert first.request_id != second.request_id


def test_threads_starting_together_share_one_connection_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight threads calling generate at the same instant on a fresh Library: close() must close everything."""
    with warnings.catch_warnings():  # what earlier tests in this process left behind is theirs, not this Library's
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    with running_emulator(EmulatorConfig(api_key=KEY)) as url:
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
        library = Library.load(make_project(tmp_path, azure_yaml("dev", endpoint=url, extra="max_concurrency: 8")))
        barrier = threading.Barrier(8)

        def call(_: int) -> GenerationResult:
            barrier.wait()
            return library.generate("tile", deployment="dev")

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with ThreadPoolExecutor(8) as pool:
                results = list(pool.map(call, range(8)))
            library.close()
            gc.collect()

    assert len(results) == 8
    port = urlsplit(url).port
    ours = [
        str(w.message) for w in caught if issubclass(w.category, ResourceWarning) and f", {port})" in str(w.message)
    ]
    assert ours == [], "connections to the emulator left open"

"""The result cache: an unchanged request costs nothing, and a damaged entry is regenerated, never returned.

Unit tests store real emulator results; the eval tests run `promptlib eval` on a copy of the example
project whose goldens and cache were prepared once (see tests/e2e/helpers.py).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e.helpers import approved_brand, by_key, clone, latest_results, promptlib, reset_emulators

from promptlib._library import Library
from promptlib.client._results import GenerationResult
from promptlib.evals._cache import META, ResultCache


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, GenerationResult]]:
    template = approved_brand(tmp_path_factory.getbasetemp() / "prepared")
    library = Library.load(template)
    with library:
        result = library.generate("icons/feature-icon", subject="a closed padlock")
    yield library, result


@pytest.fixture
def cache(tmp_path: Path) -> ResultCache:
    return ResultCache(tmp_path / "cache")


def entry(cache: ResultCache, result: GenerationResult) -> Path:
    return cache.root / result.request_hash[:2] / result.request_hash


def test_a_hit_returns_the_same_images_and_accounting(
    cache: ResultCache, generated: tuple[Library, GenerationResult]
) -> None:
    _, result = generated
    assert cache.get(result.request) is None
    cache.put(result)
    hit = cache.get(result.request)
    assert hit is not None
    assert [(i.data, i.format, i.width, i.height, i.index) for i in hit.images] == [
        (i.data, i.format, i.width, i.height, i.index) for i in result.images
    ]
    assert (hit.cached, hit.cost, hit.attempts) == (True, 0.0, 0)  # a hit costs nothing
    assert (hit.deployment, hit.model, hit.request_id, hit.usage) == (
        result.deployment,
        result.model,
        result.request_id,
        result.usage,
    )
    assert hit.estimated_cost == result.estimated_cost


def test_entries_are_image_files_plus_a_small_sidecar(
    cache: ResultCache, generated: tuple[Library, GenerationResult]
) -> None:
    _, result = generated
    cache.put(result)
    directory = entry(cache, result)
    assert sorted(p.name for p in directory.iterdir()) == ["0.png", META]
    assert (directory / "0.png").read_bytes() == result.images[0].data
    meta_text = (directory / META).read_text()
    assert len(meta_text) < 2000  # no base64 in JSON
    meta = json.loads(meta_text)
    assert meta["request_hash"] == result.request_hash
    assert meta["images"][0]["sha256"] == result.images[0].sha256


def test_an_entry_without_its_sidecar_is_unfinished_and_ignored(
    cache: ResultCache, generated: tuple[Library, GenerationResult]
) -> None:
    _, result = generated
    cache.put(result)
    (entry(cache, result) / META).unlink()
    assert cache.get(result.request) is None


def _truncate_image(directory: Path) -> None:
    image = directory / "0.png"
    image.write_bytes(image.read_bytes()[:1000])


def _missing_image(directory: Path) -> None:
    (directory / "0.png").unlink()


def _meta(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def apply(directory: Path) -> None:
        meta = json.loads((directory / META).read_text())
        change(meta)
        (directory / META).write_text(json.dumps(meta))

    return apply


def _raw_meta(text: str) -> Callable[[Path], None]:
    return lambda directory: (directory / META).write_text(text)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated image": _truncate_image,
    "missing image": _missing_image,
    "sidecar not JSON": _raw_meta('{"schema": 1, "images": ['),
    "sidecar empty": _raw_meta(""),
    "sidecar a list": _raw_meta("[1, 2]"),
    "sidecar null": _raw_meta("null"),
    "other schema": _meta(lambda m: m.update(schema=99)),
    "another request's sidecar": _meta(lambda m: m.update(request_hash="0" * 64)),
    "no images listed": _meta(lambda m: m.update(images=[])),
    "image entry without sha256": _meta(lambda m: m["images"][0].pop("sha256")),
    "wrong sha256": _meta(lambda m: m["images"][0].update(sha256="f" * 64)),
    "image path outside the entry": _meta(lambda m: m["images"][0].update(file="../../x.png")),
    "usage with unknown fields": _meta(lambda m: m.update(usage={"bogus_tokens": 3})),
    "usage not a mapping": _meta(lambda m: m.update(usage=[1])),
    "no deployment": _meta(lambda m: m.pop("deployment")),
    "latency not a number": _meta(lambda m: m.update(latency_s="fast")),
    "width not a number": _meta(lambda m: m["images"][0].update(width="wide")),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_entry_is_discarded_never_returned(
    damage: str, cache: ResultCache, generated: tuple[Library, GenerationResult]
) -> None:
    _, result = generated
    cache.put(result)
    directory = entry(cache, result)
    DAMAGE[damage](directory)
    assert cache.get(result.request) is None
    assert not directory.exists()
    cache.put(result)  # and the next put stores a good entry again
    hit = cache.get(result.request)
    assert hit is not None and hit.images[0].data == result.images[0].data


# --- through `promptlib eval` -------------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone(approved_brand(tmp_path_factory.getbasetemp() / "prepared"), tmp_path / "repo")


def cache_entry(repo: Path, request_hash: str) -> Path:
    return repo / ".promptlib" / "cache" / request_hash[:2] / request_hash


def snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.exists():
        return {}
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def test_a_second_eval_is_all_cache_hits_with_the_same_images(repo: Path) -> None:
    first = promptlib(repo, "eval", "brand/icon-padlock", "brand/logo-crane-symbol")
    before = by_key(latest_results(repo))
    second = promptlib(repo, "eval", "brand/icon-padlock", "brand/logo-crane-symbol")
    after = by_key(latest_results(repo))
    assert first.exit_code == second.exit_code == 0
    assert "0 requests, 2 cache hits" in second.output
    for key in before:
        assert (after[key]["requests"], after[key]["cache_hits"], after[key]["cost"]) == (0, 1, 0.0)
        assert [s["sha256"] for s in after[key]["samples"]] == [s["sha256"] for s in before[key]["samples"]]
        assert all(s["cached"] for s in after[key]["samples"])


@pytest.mark.parametrize("damage", ["truncated image", "sidecar not JSON", "sidecar a list"])
def test_eval_regenerates_a_damaged_entry(repo: Path, damage: str) -> None:
    promptlib(repo, "eval", "brand/icon-padlock")
    request_hash = by_key(latest_results(repo))["brand/icon-padlock"]["request_hash"]
    directory = cache_entry(repo, request_hash)
    DAMAGE[damage](directory)
    reset_emulators()  # the seed's first variants: what was approved
    result = promptlib(repo, "eval", "brand/icon-padlock")
    case = by_key(latest_results(repo))["brand/icon-padlock"]
    assert result.exit_code == 0, result.output
    assert (case["requests"], case["cache_hits"], case["status"]) == (1, 0, "passed")
    assert [s["verdict"] for s in case["samples"]] == ["identical"] * 3
    assert json.loads((directory / META).read_text())["request_hash"] == request_hash  # rewritten whole
    again = promptlib(repo, "eval", "brand/icon-padlock")
    assert "0 requests, 1 cache hits" in again.output


def test_refresh_bypasses_reads_but_stores_what_it_draws(repo: Path) -> None:
    promptlib(repo, "eval", "brand/icon-padlock")
    request_hash = by_key(latest_results(repo))["brand/icon-padlock"]["request_hash"]
    before = snapshot(cache_entry(repo, request_hash))
    result = promptlib(repo, "eval", "--refresh", "brand/icon-padlock")
    refreshed = by_key(latest_results(repo))["brand/icon-padlock"]
    assert result.exit_code == 0, result.output
    assert (refreshed["requests"], refreshed["cache_hits"]) == (1, 0)
    assert "1 requests, 0 cache hits" in result.output
    after = snapshot(cache_entry(repo, request_hash))
    assert after != before  # fresh variants were stored over the old entry
    promptlib(repo, "eval", "brand/icon-padlock")
    reread = by_key(latest_results(repo))["brand/icon-padlock"]
    assert reread["cache_hits"] == 1
    assert [s["sha256"] for s in reread["samples"]] == [s["sha256"] for s in refreshed["samples"]]


def test_no_cache_neither_reads_nor_writes(repo: Path) -> None:
    cache_dir = repo / ".promptlib" / "cache"
    before = snapshot(cache_dir)
    assert before
    result = promptlib(repo, "eval", "--no-cache", "brand/icon-padlock", "brand/icon-paper-plane-teal")
    assert result.exit_code == 0, result.output
    assert "2 requests, 0 cache hits" in result.output
    assert snapshot(cache_dir) == before

    for path in cache_dir.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
    promptlib(repo, "eval", "--no-cache", "brand/icon-padlock")
    assert snapshot(cache_dir) == {}


def test_refresh_and_no_cache_are_exclusive(repo: Path) -> None:
    result = promptlib(repo, "eval", "--refresh", "--no-cache")
    assert result.exit_code == 2
    assert "exclusive" in result.output

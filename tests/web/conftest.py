"""Fixtures for the web app: a copy of the example project, the app on it, an HTTP client, a served instance.

The example project (this repository's prompts/, evals/ with goldens, assets/ and promptlib.yaml) is copied into a
temporary folder once per module, so a test may save templates and approve goldens without touching the checkout.
Its `local` deployment is the in-process emulator with no latency: generations take milliseconds.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from promptlib._library import Library
from promptlib.evals._check import check_project
from promptlib.web import access_policy, create_app
from promptlib.web._server import running_app

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PARTS = ("promptlib.yaml", "prompts", "evals", "assets")
ORIGIN = "http://127.0.0.1:8090"


def copy_example(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for part in EXAMPLE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            shutil.copy2(source, target / part)
    return target


@pytest.fixture(scope="session")
def warm_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project after one `check`: its golden fingerprints are cached in .promptlib/, so later
    checks (every save runs one) take milliseconds instead of hashing every golden again. Never written to."""
    root = copy_example(tmp_path_factory.mktemp("warm") / "project")
    assert check_project(Library.load(root)).ok
    return root


@pytest.fixture(scope="module")
def example_project(tmp_path_factory: pytest.TempPathFactory, warm_example: Path) -> Path:
    """A private copy of the example project, shared by one test module."""
    target = tmp_path_factory.mktemp("web") / "project"
    shutil.copytree(warm_example, target)
    return target


@pytest.fixture(scope="module")
def web_app(example_project: Path) -> Iterator[Starlette]:
    library = Library.load(example_project)
    yield create_app(example_project, policy=access_policy("127.0.0.1", 8090), library=library)
    library.close()


@pytest.fixture(scope="module")
def client(web_app: Starlette) -> Iterator[TestClient]:
    """Requests as the browser sends them from the page: the app's Host, same-origin fetch metadata."""
    with TestClient(web_app, base_url=ORIGIN, headers={"sec-fetch-site": "same-origin"}) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def served(web_app: Starlette) -> Iterator[str]:
    """The app served on a free loopback port (for the browser); its base URL."""
    with running_app(web_app) as url:
        yield url


class PlayForm:
    """The Play page's form as the browser would post it, read from the served page (fields by name)."""

    FIELD = re.compile(r'<(input|select|textarea)\b[^>]*\bname="([^"]+)"[^>]*>', re.S)

    def __init__(self, client: TestClient, template_id: str, example: str | None = None) -> None:
        query = f"?example={example}" if example else ""
        page = client.get(f"/play/{template_id}{query}")
        assert page.status_code == 200, page.text
        self.page = page.text
        self.data: dict[str, str] = {}
        for tag in self.FIELD.finditer(page.text):
            kind, name = tag.group(1), tag.group(2)
            element = tag.group(0)
            if kind == "textarea":
                body = page.text[tag.end() : page.text.index("</textarea>", tag.end())]
                self.data[name] = html.unescape(body)
            elif kind == "select":
                block = page.text[tag.end() : page.text.index("</select>", tag.end())]
                chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected', block)
                first = re.search(r'<option value="([^"]*)"', block)
                self.data[name] = html.unescape((chosen or first).group(1)) if (chosen or first) else ""
            elif 'type="file"' in element:
                continue
            elif 'type="checkbox"' in element:
                if " checked" in element:
                    self.data[name] = "true"
            else:
                value = re.search(r'\bvalue="([^"]*)"', element)
                self.data[name] = html.unescape(value.group(1)) if value else ""

    def with_(self, **fields: str) -> dict[str, str]:
        return {**self.data, **fields}


@pytest.fixture
def play_form(client: TestClient) -> Callable[..., PlayForm]:
    """`play_form("marketing/product-hero", example="kettle-studio", via=other_client)`: that page's form."""
    return lambda template_id, example=None, via=None: PlayForm(via or client, template_id, example)


@pytest.fixture
def events() -> Callable[[TestClient, str], list[dict[str, object]]]:
    """Every server-sent event of a generation, read until it is done."""

    def read(test_client: TestClient, run_id: str) -> list[dict[str, object]]:
        with test_client.stream("GET", f"/runs/{run_id}/events") as stream:
            body = "".join(stream.iter_text())
        return [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]

    return read


@pytest.fixture
def own_project(tmp_path: Path, warm_example: Path) -> Iterator[tuple[Path, TestClient]]:
    """A fresh copy of the example project and a client on it, for tests that write files."""
    root = tmp_path / "project"
    shutil.copytree(warm_example, root)
    library = Library.load(root)
    app = create_app(root, library=library)
    with TestClient(app, base_url=ORIGIN, headers={"sec-fetch-site": "same-origin"}) as test_client:
        yield root, test_client
    library.close()

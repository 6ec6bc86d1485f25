"""`promptlib playground` itself: it prints its URL and serves the project; bad requests get one clear line."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from promptlib._library import Library
from promptlib.web import create_app
from promptlib.web._yaml_edit import spliced_template_text, with_template_text


def test_the_command_prints_its_url_and_serves_the_project(example_project: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "promptlib", "-C", str(example_project), "playground", "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        page = httpx.get(url.group(0) + "play/brand/logo-mark", timeout=10)
        assert page.status_code == 200 and "brand/logo-mark" in page.text
        assert httpx.get(url.group(0) + "static/htmx.min.js", timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def test_the_fast_edit_of_the_template_text_writes_what_the_round_trip_writes(example_project: Path) -> None:
    library = Library.load(example_project)
    for template_id in library.ids():
        text = library.path_of(template_id).read_text()
        edited = library.get(template_id).spec.template + "One more line.\n"
        assert spliced_template_text(text, edited) == with_template_text(text, edited), template_id


def test_a_request_naming_no_template_gets_one_line(client: TestClient) -> None:
    answer = client.post("/actions/render", data={"template_id": "../promptlib", "template_text": "x"})
    assert answer.status_code == 422 and "\n" not in answer.text.strip() and "leaves prompts/" in answer.text
    assert client.get("/play/no/such-template").status_code == 404
    assert client.get("/play/brand/logo-mark?example=nope").status_code == 422
    assert client.post("/runs/20990101-000000-0000/rerun").status_code == 404


def test_confirming_a_billed_generation_over_the_session_budget_sends_nothing(example_project: Path) -> None:
    library = Library.load(example_project)
    app = create_app(example_project, library=library, budget_usd=0.0)
    with TestClient(app, base_url="http://127.0.0.1:8090", headers={"sec-fetch-site": "same-origin"}) as client:
        page = client.get("/play/brand/logo-mark?example=crane-symbol").text
        text = re.search(r'name="template_text"[^>]*>(.*?)</textarea>', page, re.S)
        assert text
        form = {"template_id": "brand/logo-mark", "template_text": html.unescape(text.group(1)),
                "var__brand_name": "Contoso", "var__motif": "a paper crane", "deployment": "prod",
                "confirm_cost": "yes"}  # fmt: skip
        answer = client.post("/actions/generate", data=form).text
    library.close()
    assert "over what is left of this session" in answer and "data-run" not in answer

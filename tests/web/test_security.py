"""The guard of a local server that writes into a git checkout: hosts, origins, tokens, writes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.testclient import TestClient

from promptlib.cli import cli
from promptlib.exceptions import UsageError
from promptlib.web import FileChanged, WriteGuard, WriteRefused, access_policy, create_app
from promptlib.web._security import CSP, host_name


def test_a_foreign_host_header_is_refused_with_400(client: TestClient) -> None:
    assert client.get("/", headers={"host": "evil.example.com"}).status_code == 400
    assert client.get("/", headers={"host": "127.0.0.1.evil.example:8090"}).status_code == 400
    assert client.get("/", headers={"host": "localhost:8090"}).status_code == 200
    assert client.get("/", headers={"host": "[::1]:8090"}).status_code == 200


def test_a_cross_site_post_is_refused_with_403(client: TestClient) -> None:
    assert client.post("/", headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert client.post("/", headers={"sec-fetch-site": "same-site"}).status_code == 403


def test_without_fetch_metadata_the_origin_must_be_this_host(web_app: Starlette) -> None:
    with TestClient(web_app, base_url="http://127.0.0.1:8090") as bare:
        assert bare.post("/", headers={"origin": "http://evil.example.com"}).status_code == 403
        assert bare.post("/", headers={"origin": "http://127.0.0.1:8090"}).status_code == 405  # allowed, no route
        assert bare.post("/").status_code == 405  # no browser sent it: curl, a test client


def test_every_response_carries_the_content_security_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.headers["content-security-policy"] == CSP
    assert CSP.startswith("default-src 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/nowhere").headers["content-security-policy"] == CSP


def test_a_non_loopback_bind_without_a_token_is_refused() -> None:
    with pytest.raises(UsageError, match="--token"):
        access_policy("0.0.0.0", 8090, None)
    assert access_policy("0.0.0.0", 8090, "s3cret").token == "s3cret"
    assert access_policy("127.0.0.1", 8090, None).token is None
    assert access_policy("::1", 8090, None).token is None


def test_the_command_refuses_a_non_loopback_bind_without_a_token_in_one_line(example_project: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(example_project), "playground", "--host", "0.0.0.0", "--no-browser"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "--token" in result.output
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def guarded(example_project: Path) -> Starlette:
    return create_app(example_project, policy=access_policy("0.0.0.0", 8090, "s3cret", ["box.example"]))


def test_a_token_in_the_url_becomes_an_httponly_strict_cookie(guarded: Starlette) -> None:
    with TestClient(guarded, base_url="http://box.example:8090", follow_redirects=False) as browser:
        assert browser.get("/").status_code == 403
        assert browser.get("/?token=wrong").status_code == 403
        exchanged = browser.get("/?token=s3cret&q=logo")
        assert exchanged.status_code == 303 and exchanged.headers["location"] == "/?q=logo"
        cookie = exchanged.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert browser.get("/?q=logo").status_code == 200  # the cookie now


def test_a_bearer_token_works_for_scripts(guarded: Starlette) -> None:
    with TestClient(guarded, base_url="http://box.example:8090") as script:
        assert script.get("/", headers={"authorization": "Bearer s3cret"}).status_code == 200
        assert script.get("/", headers={"authorization": "Bearer nope"}).status_code == 403


def test_host_names_are_compared_without_port_or_brackets() -> None:
    assert host_name("[::1]:8090") == "::1"
    assert host_name("LocalHost:80") == "localhost"
    assert host_name("127.0.0.1") == "127.0.0.1"


@pytest.mark.parametrize(
    "path",
    [
        "promptlib.yaml",
        "prompts/partials/brand/palette.j2",
        "prompts/../promptlib.yaml",
        "/etc/passwd",
        "evals/goldens",
        ".git/config",
        "prompts/brand/logo-mark.py",
        "src/app.yaml",
    ],
)
def test_a_write_outside_the_allowed_paths_is_refused(example_project: Path, path: str) -> None:
    with pytest.raises(WriteRefused):
        WriteGuard(example_project).write(path, b"x")


def test_a_write_through_a_symlink_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "project" / "prompts").mkdir(parents=True)
    os.symlink(outside, tmp_path / "project" / "prompts" / "linked")
    with pytest.raises(WriteRefused, match="symbolic link"):
        WriteGuard(tmp_path / "project").write("prompts/linked/x.yaml", b"x")
    assert not (outside / "x.yaml").exists()


def test_allowed_writes_are_atomic_and_refused_when_the_file_changed(tmp_path: Path) -> None:
    guard = WriteGuard(tmp_path)
    path = guard.write("prompts/brand/new.yaml", b"version: 1\n")
    loaded = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_bytes(b"version: 2\n")  # someone else saves meanwhile
    with pytest.raises(FileChanged):
        guard.write("prompts/brand/new.yaml", b"version: 3\n", expected_sha256=loaded)
    assert path.read_bytes() == b"version: 2\n"
    guard.write("evals/goldens/brand/case/case.json", b"{}")
    assert not list(tmp_path.rglob("*.tmp"))

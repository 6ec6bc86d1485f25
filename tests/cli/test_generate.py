"""``promptlib generate`` end to end: a throwaway project, Azure deployments pointing at the emulator served on
127.0.0.1 with a key, the real command (as a subprocess and through CliRunner), and what it writes and prints.

The key is a marker string; it must not appear in any output, any written file, or any error — with
``--debug`` and ``-v`` too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina
from click.testing import CliRunner
from deployments.helpers import (
    GENERATE_TEMPLATE,
    WIDE_JPEG_TEMPLATE,
    azure_yaml,
    make_project,
)
from PIL import Image
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from promptlib.cli import cli
from promptlib.emulator import EmulatorApp, EmulatorConfig, create_app, running_emulator

#: Retries and their waits as in production: these tests time the client's own back-off.
pytestmark = pytest.mark.usefixtures("real_retries")

MARKER = "MARKER-KEY-123456"
WRONG = "WRONG-KEY-654321"
ENDPOINT = "${env:AZURE_OPENAI_ENDPOINT}"
DEPLOYMENTS = (
    azure_yaml("dev", endpoint=ENDPOINT, deployment="anything", model="gpt-image-1.5")
    + azure_yaml("v1", endpoint=ENDPOINT, deployment="anything", model="gpt-image-1.5", api_style="v1")
    + azure_yaml("dead", endpoint="http://127.0.0.1:1", deployment="anything")
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[str, EmulatorApp]]:
    app = create_app(EmulatorConfig(api_key=MARKER))
    with running_emulator(app) as url:
        yield url, app


@pytest.fixture
def project(tmp_path: Path, emulator: tuple[str, EmulatorApp], monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", emulator[0])
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", MARKER)
    emulator[1].request_log.clear()
    templates = {"tile": GENERATE_TEMPLATE, "banners/wide": WIDE_JPEG_TEMPLATE}
    return make_project(tmp_path / "project", DEPLOYMENTS, templates)


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command as a user runs it, in the project directory, with this test's environment."""
    return subprocess.run(
        [sys.executable, "-m", "promptlib.cli", *args],
        cwd=project, env=dict(os.environ), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def invoke(project: Path, *args: str) -> tuple[int, str, str]:
    """In-process; ``-C`` finds the project but relative paths stay relative to the real cwd: pass absolute --out."""
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    return result.exit_code, result.stdout, result.stderr


def assert_no_secret(*outputs: str, roots: tuple[Path, ...] = ()) -> None:
    for text in outputs:
        assert MARKER not in text
        assert WRONG not in text
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert MARKER.encode() not in data, path
                assert WRONG.encode() not in data, path


def check_written(out: Path, stem: str, *, count: int, size: tuple[int, int], fmt: str) -> dict[str, object]:
    """The images are what was asked for, and the sidecar says what a user needs to trace and cost them."""
    sidecar = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    extension = "jpg" if fmt == "jpeg" else fmt
    expected = [f"{stem}.{extension}"] if count == 1 else [f"{stem}-{i}.{extension}" for i in range(count)]
    assert sidecar["files"] == expected
    assert sorted(p.name for p in out.iterdir()) == sorted([*expected, f"{stem}.json"])
    for name in expected:
        with Image.open(out / name) as image:
            image.load()
            assert (image.format, image.size) == (fmt.upper(), size)
    assert re.fullmatch(r"[0-9a-f]{64}", str(sidecar["request_hash"]))
    assert sidecar["model"] == "gpt-image-1.5"
    assert sidecar["request_id"]
    assert sidecar["usage"]["output_tokens"] > 0  # type: ignore[index]
    assert sidecar["cost_usd"] > 0  # type: ignore[operator]
    assert sidecar["estimated_cost_usd"] > 0  # type: ignore[operator]
    return sidecar


def stem_of(stdout: str) -> str:
    """``wrote <dir>/<stem>.json`` names the sidecar."""
    (sidecar,) = re.findall(r"^wrote (.+)\.json$", stdout, re.MULTILINE)
    return Path(sidecar).name


# -- success -----------------------------------------------------------------------------------------------------


def test_generate_as_a_subprocess_on_the_deployments_url(project: Path, emulator: tuple[str, EmulatorApp]) -> None:
    done = run(project, "generate", "banners/wide", "--deployment", "dev", "--out", "out")

    assert done.returncode == 0, done.stderr
    sidecar = check_written(project / "out", stem_of(done.stdout), count=2, size=(1536, 1024), fmt="jpeg")
    assert sidecar["deployment"] == "dev"
    assert sidecar["usage"]["output_tokens"] == 2 * 1568  # type: ignore[index]
    assert f"request id {sidecar['request_id']}" in done.stdout
    assert "dev (gpt-image-1.5): 2 image(s) 1536x1024 jpeg" in done.stdout
    (record,) = emulator[1].requests
    assert record.path == "/openai/deployments/anything/images/generations"
    assert record.status == 200
    assert_no_secret(done.stdout, done.stderr, roots=(project,))


def test_generate_as_a_subprocess_on_the_v1_url(project: Path, emulator: tuple[str, EmulatorApp]) -> None:
    done = run(project, "generate", "tile", "--deployment", "v1", "--out", "out", "--var", "subject=a blue kite")

    assert done.returncode == 0, done.stderr
    sidecar = check_written(project / "out", stem_of(done.stdout), count=1, size=(1024, 1024), fmt="png")
    assert sidecar["deployment"] == "v1"
    assert sidecar["prompt"] == "A flat icon of a blue kite on a plain background."
    (record,) = emulator[1].requests
    assert (record.path, record.model) == ("/openai/v1/images/generations", "anything")
    assert_no_secret(done.stdout, done.stderr, roots=(project,))


@pytest.mark.parametrize("deployment", ["dev", "v1"])
def test_generate_through_clirunner(project: Path, deployment: str) -> None:
    out = project.parent / "elsewhere"

    code, stdout, stderr = invoke(project, "generate", "tile", "-d", deployment, "--out", str(out))

    assert code == 0, stderr
    assert check_written(out, stem_of(stdout), count=1, size=(1024, 1024), fmt="png")["deployment"] == deployment
    assert_no_secret(stdout, stderr, roots=(project, out))


def test_debug_and_verbose_output_never_shows_the_key(project: Path) -> None:
    done = run(project, "--debug", "-v", "generate", "tile", "--deployment", "dev", "--out", "out")

    assert done.returncode == 0, done.stderr
    assert "promptlib.http dev POST -> 200" in done.stderr  # -v logs each request …
    assert_no_secret(done.stdout, done.stderr, roots=(project,))  # … without its headers


def test_the_same_request_twice_has_the_same_hash(project: Path) -> None:
    outs = [project / "runs" / name for name in ("first", "other-deployment", "again")]
    runs = zip(("dev", "v1", "dev"), outs, strict=True)
    codes = [invoke(project, "generate", "tile", "-d", deployment, "--out", str(out))[0] for deployment, out in runs]

    hashes = [json.loads(next(out.glob("*.json")).read_text())["request_hash"] for out in outs]
    assert codes == [0, 0, 0]
    assert hashes[0] == hashes[2] != hashes[1]  # same template, values and deployment; v1 is another deployment


# -- failures: one line, the right exit code, no secret ----------------------------------------------------------


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_a_wrong_key_is_one_line_and_exit_2(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", WRONG)

    done = run(project, "generate", "tile", "--deployment", "dev", "--out", "out")

    assert done.returncode == 2
    line = _one_error_line(done.stderr)
    assert "the deployment refused the credentials" in line
    assert "(deployment 'dev', HTTP 401, request id " in line
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (project / "out").exists()
    assert_no_secret(done.stdout, done.stderr, roots=(project,))


def test_a_wrong_key_with_debug_shows_a_traceback_but_no_key(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", WRONG)

    done = run(project, "--debug", "-v", "generate", "tile", "--deployment", "dev", "--out", "out")

    assert done.returncode == 2
    assert "Traceback" in done.stderr
    assert "AuthenticationFailed" in done.stderr
    assert "promptlib.http dev POST -> 401" in done.stderr
    assert_no_secret(done.stdout, done.stderr, roots=(project,))


@pytest.mark.parametrize("variable", ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT"])
def test_a_missing_variable_names_deployment_and_variable(
    project: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv(variable)

    code, stdout, stderr = invoke(project, "generate", "tile", "--deployment", "dev", "--out", str(project / "out"))

    assert code == 2
    line = _one_error_line(stderr)
    assert f"deployment 'dev' needs environment variable {variable}, which is not set" in line
    assert "promptlib.yaml" in line
    assert_no_secret(stdout, stderr)


def test_a_missing_variable_as_a_subprocess(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_OPENAI_API_KEY")

    done = run(project, "generate", "tile", "--deployment", "dev")

    assert done.returncode == 2
    assert "deployment 'dev' needs environment variable AZURE_OPENAI_API_KEY" in _one_error_line(done.stderr)


def test_a_dead_endpoint_is_one_line_and_exit_1_after_retries(project: Path) -> None:
    """In-process with stamina's test mode (no waits, three attempts): the CLI has no knob to shorten retries,
    and the production policy (six attempts, exponential backoff) takes about 20 s on a refused connection."""
    with stamina.set_testing(True, attempts=3):
        code, stdout, stderr = invoke(project, "generate", "tile", "-d", "dead", "--out", str(project / "out"))

    assert code == 1
    line = _one_error_line(stderr)
    assert line == (
        "error: cannot reach the deployment: ConnectError: [Errno 111] Connection refused "
        "(deployment 'dead', 3 attempts)"
    )
    assert stdout == ""


class FailFirst:
    """ASGI middleware: answers the first ``count`` requests with 503 and ``retry-after-ms: 20``."""

    def __init__(self, app: ASGIApp, count: int) -> None:
        self.app, self.left = app, count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.left <= 0:
            await self.app(scope, receive, send)
            return
        self.left -= 1
        body = json.dumps({"error": {"code": "503", "message": "Service busy"}}).encode()
        headers = [(b"content-type", b"application/json"), (b"retry-after-ms", b"20")]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def test_a_retried_request_prints_nothing_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(EmulatorConfig(api_key=MARKER), middleware=[Middleware(FailFirst, count=2)])
    with running_emulator(app) as url:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", url)
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", MARKER)
        project = make_project(tmp_path / "project", DEPLOYMENTS)

        done = run(project, "generate", "tile", "--deployment", "dev", "--out", "out")

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "stamina.retry_scheduled" lines from the retry library
    assert json.loads((project / "out" / f"{stem_of(done.stdout)}.json").read_text())["attempts"] == 3
    assert [r.status for r in app.requests] == [503, 503, 200]


def test_an_unknown_deployment_is_a_usage_error(project: Path) -> None:
    code, _, stderr = invoke(project, "generate", "tile", "-d", "nope", "--out", str(project / "out"))

    assert code == 2
    assert "no deployment named 'nope'; promptlib.yaml defines: dead, dev, local, v1" in _one_error_line(stderr)


def test_webp_on_azure_is_refused_before_any_request(project: Path, emulator: tuple[str, EmulatorApp]) -> None:
    webp = GENERATE_TEMPLATE.replace("output_format: png", "output_format: webp")
    (project / "prompts" / "tile.yaml").write_text(webp, encoding="utf-8")

    code, _, stderr = invoke(project, "generate", "tile", "-d", "dev", "--out", str(project / "out"))

    assert code == 2
    assert "does not take output_format: webp on Azure" in _one_error_line(stderr)
    assert emulator[1].requests == []


def test_entra_without_a_signed_in_identity_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import azure.identity
    from azure.core.exceptions import ClientAuthenticationError

    class SignedOut:
        def get_token(self, *scopes: str, **kwargs: object) -> object:
            raise ClientAuthenticationError(
                "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
                "Attempted credentials:\n\tEnvironmentCredential: unavailable."
            )

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", SignedOut)
    project = make_project(tmp_path / "project", azure_yaml("prod", api_style="v1", auth="{type: entra}"))

    code, stdout, stderr = invoke(project, "generate", "tile", "-d", "prod", "--out", str(project / "out"))

    assert code == 2
    assert _one_error_line(stderr) == (
        "error: no Entra ID token: ClientAuthenticationError: DefaultAzureCredential failed to retrieve a token "
        "from the included credentials.; sign in (az login) or check the managed identity, tenant and scope "
        "(deployment 'prod')"
    )
    assert stdout == ""


def test_runs_with_other_values_or_deployments_do_not_overwrite_each_other(project: Path) -> None:
    out = project / "out"
    runs = [("dev", "a red kite"), ("dev", "a green kite"), ("v1", "a red kite")]

    for deployment, subject in runs:
        code, _, stderr = invoke(project, "generate", "tile", "-d", deployment, "--var", f"subject={subject}",
                                 "--out", str(out))  # fmt: skip
        assert code == 0, stderr

    sidecars = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    assert sorted((s["deployment"], s["prompt"]) for s in sidecars) == sorted(
        (d, f"A flat icon of {subject} on a plain background.") for d, subject in runs
    )
    assert len(list(out.glob("*.png"))) == 3
    for sidecar in sidecars:
        assert all((out / name).is_file() for name in sidecar["files"])  # type: ignore[union-attr]
        assert str(sidecar["request_hash"])[:8] in sidecar["files"][0]  # type: ignore[index]


@pytest.mark.parametrize("name", ["dev", "v1"])
def test_stream_writes_each_partial_image_then_the_final_one(
    project: Path, emulator: tuple[str, EmulatorApp], name: str
) -> None:
    banner = GENERATE_TEMPLATE.replace("size: 1024x1024", "size: 1536x1024")
    (project / "prompts" / "tile.yaml").write_text(banner, encoding="utf-8")
    out = project / "out"

    code, stdout, stderr = invoke(project, "generate", "tile", "-d", name, "--stream", "--partial-images", "2",
                                  "--out", str(out))  # fmt: skip

    assert code == 0, stderr
    partials = sorted(out.glob("*-partial-*.png"))
    assert [p.name.rsplit("-", 1)[-1] for p in partials] == ["0.png", "1.png"]
    assert [line.split(": wrote")[0] for line in stderr.splitlines()] == [
        "partial image 1 of 2", "partial image 2 of 2"
    ]  # fmt: skip
    assert f"{name} (gpt-image-1.5): 1 image(s) 1536x1024 png" in stdout
    final = next(p for p in out.glob("tile-*.png") if "partial" not in p.name)
    for path in (final, partials[0]):
        with Image.open(path) as image:
            assert image.size == (1536, 1024)
    assert len(emulator[1].requests) == 1


def test_stream_refuses_a_template_of_several_images(project: Path, emulator: tuple[str, EmulatorApp]) -> None:
    code, _, stderr = invoke(project, "generate", "banners/wide", "-d", "dev", "--stream", "--out",
                             str(project / "out"))  # fmt: skip
    assert code == 2 and "cannot stream: a stream carries one image" in _one_error_line(stderr)
    assert emulator[1].requests == []

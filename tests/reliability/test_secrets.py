"""The API key never leaves the environment: not in `.promptlib/`, the reports, the output or the logs.

`AZURE_OPENAI_API_KEY` holds a marker; a served emulator (an azure-openai deployment) takes it, rejects it
(401), or takes it and fails every request (500). Each path runs the real command in a child process plain,
with `-v` (a log line per request) and with `--debug` (debug logging); retries are made quick so the 500 path,
which retries until it gives up, takes a second rather than half a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from project_helpers import Project

from promptlib.emulator import EmulatorConfig, FaultConfig, running_emulator

MARKER = "MARKER-sk-9f3c1e7a5b2d4680"
WRONG = "some-other-key-0000"
LAUNCH = """\
import sys
from promptlib.client._client import RetryPolicy
from promptlib.cli import main
from promptlib.testing import client_options
sys.argv = ["promptlib", *sys.argv[1:]]
with client_options(retry=RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.05, wait_jitter=0)):
    main()
"""
PATHS = {
    "accepted": (EmulatorConfig(api_key=MARKER), 1, "new"),  # new cases: no goldens yet
    "401": (EmulatorConfig(api_key=WRONG), 1, "401"),
    "500": (EmulatorConfig(api_key=MARKER, faults=FaultConfig(fail_rate={"500": 1.0})), 1, "500"),
}
CONFIG = """\
default_deployment: served
deployments:
  served:
    kind: azure-openai
    endpoint: {url}
    deployment: images
    model: gpt-image-1
    auth: {{type: api-key, env: AZURE_OPENAI_API_KEY}}
    max_concurrency: 2
"""
TEMPLATE = """\
version: 1
description: A numbered tile.
variables:
  i: {type: integer, required: true}
parameters: {size: 1024x1024, quality: low, output_format: png}
template: A small lighthouse on a cliff at dusk, tile number {{ i }}.
"""
SUITE = """\
samples: 2
policy: {min_matches: 1, max_samples: 2}
cases:
  - {id: tile-0, prompt: load/tile, variables: {i: 0}}
  - {id: tile-1, prompt: load/tile, variables: {i: 1}}
"""
MODES = (("eval",), ("-v", "eval", "--refresh"), ("--debug", "eval", "--refresh"))


def promptlib(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, AZURE_OPENAI_API_KEY=MARKER, CI="1")
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("path", list(PATHS))
def test_the_key_appears_in_no_file_output_or_log(path: str, tmp_path: Path) -> None:
    config, exit_code, expected = PATHS[path]
    root = tmp_path / "repo"
    with running_emulator(config) as url:
        project = Project(root)
        project.write("promptlib.yaml", CONFIG.format(url=url), dedent=False)
        project.write_template("load/tile", TEMPLATE)
        project.write("evals/load.yaml", SUITE, dedent=False)
        project.lock()
        for mode in MODES:
            result = promptlib(root, *mode)
            assert result.returncode == exit_code, result.stderr
            output = result.stdout + result.stderr
            assert expected in output, output
            assert MARKER not in output, f"{mode}: the key is in the output"
            if "-v" in mode or "--debug" in mode:
                assert "promptlib.http" in result.stderr  # the per-request log lines were written
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in files) and any(p.name == "results.json" for p in files)
    if path == "accepted":
        assert any(p.name == "meta.json" for p in files)  # cache sidecars were written, and are checked
    leaks = [str(p.relative_to(root)) for p in files if MARKER.encode() in p.read_bytes()]
    assert leaks == []

"""Kill -9 of a running `promptlib eval`, then a re-run: it completes, re-sends only what had not finished, and
every cache entry decodes.

The eval runs as a real child process against a served emulator (an azure-openai deployment, two requests in
flight, 250 ms each), so SIGKILL lands while requests are in flight and results are being written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image
from project_helpers import Project

from promptlib.emulator import EmulatorConfig, FaultConfig, create_app, running_emulator
from promptlib.reports._runs import find_run, load_results

KEY = "resume-test-key-0123"
CASES = 16
CONFIG = """\
default_deployment: served
deployments:
  served:
    kind: azure-openai
    endpoint: {url}
    deployment: images
    model: gpt-image-1.5
    auth: {{type: api-key, env: AZURE_OPENAI_API_KEY}}
    max_concurrency: 2
"""
TEMPLATE = """\
version: 1
description: A small test tile.
variables:
  subject: {type: string, required: true}
parameters: {size: 1024x1024, quality: low, output_format: png}
template: A flat icon of {{ subject }} on a plain background.
"""


def make_project(root: Path, url: str) -> Project:
    project = Project(root)
    project.write("promptlib.yaml", CONFIG.format(url=url), dedent=False)
    project.write_template("icons/tile", TEMPLATE)
    cases = "".join(
        f"  - {{id: c{i:02d}, prompt: icons/tile, variables: {{subject: object number {i}}}}}\n" for i in range(CASES)
    )
    project.write(
        "evals/tiles.yaml", "samples: 1\npolicy: {min_matches: 1, max_samples: 1}\ncases:\n" + cases, dedent=False
    )
    project.lock()
    return project


def start_eval(root: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, AZURE_OPENAI_API_KEY=KEY, CI="1")
    return subprocess.Popen(
        [sys.executable, "-m", "promptlib.cli", "eval"],
        cwd=root,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def cache_entries(root: Path) -> list[Path]:
    """Finished entries: those with a sidecar (what the cache will return)."""
    return sorted(p.parent for p in (root / ".promptlib" / "cache").glob("??/*/meta.json"))


def test_a_killed_run_resumes_sending_only_what_had_not_finished(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    app = create_app(EmulatorConfig(api_key=KEY, faults=FaultConfig(latency_ms=250)))
    with running_emulator(app) as url:
        project = make_project(tmp_path / "repo", url)
        kill_after = rng.randint(2, CASES - 4)  # finished (cached) requests before the kill
        child = start_eval(project.root)
        deadline = time.monotonic() + 30
        while len(cache_entries(project.root)) < kill_after:
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the eval made no progress"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.25))  # anywhere in the next request's life: in flight, writing, between
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=10)
        assert child.returncode == -signal.SIGKILL
        first_sent = len(app.requests)
        cached = len(cache_entries(project.root))
        assert 0 < cached < CASES, f"seed {seed}: {cached} cached"

        rerun = start_eval(project.root)
        _, err = rerun.communicate(timeout=60)
        second = app.requests[first_sent:]

    assert rerun.returncode == 1, err  # completed: every case new (no goldens), none failed or errored
    results = load_results(find_run(project.root / ".promptlib" / "runs", None))
    assert results["counts"]["new"] == CASES, results["counts"]
    totals = results["totals"]
    print(
        f"seed {seed}: killed after {kill_after} finished; {first_sent} sent, {cached} cached; "
        f"re-run sent {len(second)}, {totals['cache_hits']} cache hits"
    )
    assert len(second) == CASES - cached, f"seed {seed}"
    assert totals["requests"] == CASES - cached and totals["cache_hits"] == cached
    assert all(r.status == 200 for r in second)
    # Every entry decodes and matches its sha256; nothing half-written is left as a finished entry.
    entries = cache_entries(project.root)
    assert len(entries) == CASES
    for entry in entries:
        meta = json.loads((entry / "meta.json").read_text())
        for item in meta["images"]:
            data = (entry / item["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == item["sha256"]
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                assert image.size == (item["width"], item["height"]) == (1024, 1024)

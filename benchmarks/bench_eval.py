"""Does the eval runner keep up with its deployment? Eval wall time against a bare httpx loop.

An eval spends most of its time waiting for images; what promptlib adds (decode and check each image,
hash it, write it to the cache and the run, compare it) must not stall the requests in flight, or a
run takes longer than the deployment needs. Measured on the emulator served over real HTTP in its own
process (`promptlib emulator serve --latency-ms 200`), in the same run, taking turns:

- promptlib: `evaluate()` (what `promptlib eval` runs) of a suite of 64 single-sample cases at
  concurrency 8, with an empty `.promptlib/` each time (every image is fetched, cached and hashed, the
  report is written).
- floor: the same 64 requests from a bare `httpx.AsyncClient` at concurrency 8 that only decodes each
  PNG (base64 and a full PIL decode), on the event loop, as a naive client would.

Target: promptlib <= 1.25x the floor (wall clock: waiting is what is measured). It always exits 0.

Run: python benchmarks/bench_eval.py [--cases N] [--repeats N] [--latency-ms N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image

from promptlib import Library
from promptlib.evals._runner import EvalOptions
from promptlib.reports._execute import evaluate

TARGET = 1.25
CONCURRENCY = 8
KEY = "bench-eval-key"
TEMPLATE = """\
version: 1
description: A product shot on a plain set (benchmark template).
variables:
  subject: {type: string, max_length: 80}
parameters: {size: 1024x1024, quality: low, output_format: png}
template: A studio photograph of {{ subject }} on a plain backdrop, soft light.
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_emulator(port: int, latency_ms: int) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).with_name("promptlib")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "promptlib"]
    process = subprocess.Popen(
        [*command, "emulator", "serve", "--port", str(port), "--latency-ms", str(latency_ms), "--api-key", KEY],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the emulator did not start within 30 s")


def build(root: Path, url: str, cases: int) -> None:
    (root / "prompts").mkdir(parents=True)
    (root / "evals").mkdir()
    (root / "prompts" / "shot.yaml").write_text(TEMPLATE, encoding="utf-8")
    (root / "promptlib.yaml").write_text(
        "default_deployment: served\ndeployments:\n  served:\n    kind: azure-openai\n"
        f"    endpoint: {url}\n    deployment: images\n    model: gpt-image-2\n"
        "    auth: {type: api-key, env: BENCH_EVAL_KEY}\n",
        encoding="utf-8",
    )
    lines = ["samples: 1", "policy: {min_matches: 1, max_samples: 1}", "cases:"]
    lines += [
        f"  - {{id: case-{i:03d}, prompt: shot, variables: {{subject: a vase number {i}}}}}" for i in range(cases)
    ]
    (root / "evals" / "bench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_promptlib(root: Path) -> float:
    shutil.rmtree(root / ".promptlib", ignore_errors=True)
    library = Library.load(root)
    started = time.perf_counter()
    result, _, _ = evaluate(library, [], EvalOptions(concurrency=CONCURRENCY))
    elapsed = time.perf_counter() - started
    bad = [c for c in result.cases if c.status not in ("new", "passed")]
    if len(result.cases) != len(bodies_of(root)):
        raise SystemExit(f"the eval ran {len(result.cases)} cases, not {len(bodies_of(root))}: is the suite valid?")
    if bad:
        print(f"warning: {len(bad)} cases ended {bad[0].status}: {bad[0].message}", file=sys.stderr)
    return elapsed


def bodies_of(root: Path) -> list[str]:
    return [line for line in (root / "evals" / "bench.yaml").read_text(encoding="utf-8").splitlines() if "id:" in line]


def floor_requests(root: Path, cases: int) -> tuple[str, dict[str, str], list[dict[str, object]]]:
    """The URL, query and bodies promptlib sends (rendered by promptlib, outside the timing)."""
    library = Library.load(root)
    endpoint = library.clients.get("served").endpoint
    template = library.get("shot")
    bodies = []
    for i in range(cases):
        rendered = template.render(subject=f"a vase number {i}")
        bodies.append({"prompt": rendered.prompt, **rendered.parameters.to_wire()})
    return endpoint.url("generate"), endpoint.params("generate"), bodies


async def run_floor(url: str, params: dict[str, str], bodies: list[dict[str, object]]) -> float:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(client: httpx.AsyncClient, body: dict[str, object]) -> None:
        async with gate:
            response = await client.post(url, params=params, json=body)
            response.raise_for_status()
            for item in response.json()["data"]:
                with Image.open(io.BytesIO(base64.b64decode(item["b64_json"]))) as image:
                    image.load()

    started = time.perf_counter()
    async with httpx.AsyncClient(headers={"api-key": KEY}, timeout=60) as client:
        await asyncio.gather(*(one(client, body) for body in bodies))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=200)
    args = parser.parse_args()
    os.environ["BENCH_EVAL_KEY"] = KEY
    port = free_port()
    emulator = start_emulator(port, args.latency_ms)
    try:
        with tempfile.TemporaryDirectory(prefix="promptlib-bench-eval-") as tmp:
            root = Path(tmp)
            build(root, f"http://127.0.0.1:{port}", args.cases)
            url, params, bodies = floor_requests(root, args.cases)
            asyncio.run(run_floor(url, params, bodies[:CONCURRENCY]))  # warm-up: imports, fonts, connections
            run_promptlib(root)  # ... and promptlib's (imagehash and scipy load on the first hash)
            ours, floor = [], []
            for _ in range(args.repeats):
                floor.append(asyncio.run(run_floor(url, params, bodies)))
                ours.append(run_promptlib(root))
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    ours_s, floor_s = statistics.median(ours), statistics.median(floor)
    ratio = ours_s / floor_s
    print(f"\npromptlib eval: {args.cases} single-sample cases, concurrency {CONCURRENCY}, "
          f"{args.latency_ms} ms latency, median of {args.repeats} (wall clock)")  # fmt: skip
    print(f"  bare httpx loop + PNG decode (floor)   {floor_s:7.2f} s")
    print(f"  promptlib evaluate()                   {ours_s:7.2f} s")
    verdict = "target met" if ratio <= TARGET else "TARGET MISSED"
    print(f"  ratio (target <= {TARGET}x)               {ratio:7.2f}x  {verdict}")


if __name__ == "__main__":
    main()

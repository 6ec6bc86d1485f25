"""What does streaming buy, and what does it cost? Measured on a served emulator (real HTTP on 127.0.0.1).

Streaming is worth having when the first preview arrives well before the final image: a UI shows something
while the image is made. It costs the previews' encoding and bytes. For a 2048x1152 gpt-image-2 banner with
three partial images this script reports, against a plain (non-streamed) request measured in the same run:

1. time to the first partial image, as a fraction of the plain request's time (the preview's head start);
2. the streamed request's total time over the plain one's (the price of the previews);
3. the bytes on the wire, streamed over plain.

The emulator sends each event as it is ready but makes the final image first (it derives the previews from
it), so (1) measures promptlib's client and the SSE path, not a model's real progress. A measurement, not a
test: it always exits 0. Run: python benchmarks/bench_streaming.py [--repeats N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from promptlib import GenerationResult, Library, PartialImage
from promptlib.emulator import EmulatorConfig, running_emulator

KEY = "bench-streaming-key"
TEMPLATE = """\
version: 1
parameters: {size: 2048x1152, quality: medium, output_format: png}
template: A wide web banner of a lighthouse at dawn with the headline "Stay bright." on the left.
"""


def _project(root: Path, url: str) -> Library:
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "banner.yaml").write_text(TEMPLATE, encoding="utf-8")
    (root / "promptlib.yaml").write_text(
        "default_deployment: served\ndeployments:\n  served:\n    kind: azure-openai\n"
        f"    endpoint: {url}\n    deployment: images\n    model: gpt-image-2\n"
        "    auth: {type: api-key, env: BENCH_STREAMING_KEY}\n",
        encoding="utf-8",
    )
    return Library.load(root)


def _plain(library: Library) -> tuple[float, int]:
    started = time.perf_counter()
    result = library.generate("banner")
    return time.perf_counter() - started, sum(len(image.data) for image in result.images)


def _streamed(library: Library) -> tuple[float, float, int]:
    started = time.perf_counter()
    first: float | None = None
    size = 0
    for event in library.stream("banner", partial_images=3):
        if isinstance(event, PartialImage):
            first = first if first is not None else time.perf_counter() - started
            size += len(event.image.data)
        elif isinstance(event, GenerationResult):
            size += sum(len(image.data) for image in event.images)
    total = time.perf_counter() - started
    return first if first is not None else total, total, size


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    os.environ["BENCH_STREAMING_KEY"] = KEY
    with tempfile.TemporaryDirectory() as tmp, running_emulator(EmulatorConfig(api_key=KEY)) as url:
        library = _project(Path(tmp), url)
        with library:
            _plain(library), _streamed(library)  # warm-up: connections, imports, fonts
            plain = [_plain(library) for _ in range(args.repeats)]
            streamed = [_streamed(library) for _ in range(args.repeats)]
    plain_s = statistics.median(t for t, _ in plain)
    first_s = statistics.median(f for f, _, _ in streamed)
    total_s = statistics.median(t for _, t, _ in streamed)
    print(f"plain request (baseline):     {plain_s * 1000:7.0f} ms, {plain[0][1] / 1e6:.2f} MB")
    print(f"first partial image:          {first_s * 1000:7.0f} ms  = {first_s / plain_s:.2f}x the plain request")
    print(f"whole stream (3 partials):    {total_s * 1000:7.0f} ms  = {total_s / plain_s:.2f}x the plain request")
    print(f"bytes, streamed over plain:   {streamed[0][2] / plain[0][1]:.2f}x")


if __name__ == "__main__":
    main()

"""`promptlib generate --stream`: write each partial image as it arrives and show the stream's progress.

On a terminal a rich progress bar counts the previews and the final image; in a CI log each arrival is one
plain line (no control characters). Partial images are written beside the final one, atomically, as
``<stem>-partial-<k>.<ext>``, so a viewer watching the directory sees them converge.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from promptlib.cli._outputs import request_stem
from promptlib.client._requests import ImageRequest
from promptlib.client._results import GenerationResult
from promptlib.client._streaming import PartialImage, StreamEvent


def write_stream(events: Iterator[StreamEvent], request: ImageRequest, out: Path, partials: int) -> GenerationResult:
    """Consume ``events``: save each PartialImage under ``out`` and return the final GenerationResult."""
    stem = request_stem(request)
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    if not interactive:
        return _consume(events, stem, out, partials, None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("stream"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=Console(stderr=True), transient=True)  # fmt: skip
    with progress:
        return _consume(events, stem, out, partials, progress)


def _consume(events: Iterator[StreamEvent], stem: str, out: Path, partials: int, progress: object) -> GenerationResult:
    from rich.progress import Progress

    bar = progress if isinstance(progress, Progress) else None
    task = bar.add_task("waiting for the first partial image", total=partials + 1) if bar is not None else None
    for event in events:
        if isinstance(event, GenerationResult):
            if bar is not None and task is not None:
                bar.update(task, completed=partials + 1, description="final image")
            return event
        path = _save_partial(event, stem, out)
        if bar is not None and task is not None:
            bar.update(task, advance=1, description=f"partial {event.index + 1}: {path}")
        else:
            click.echo(f"partial image {event.index + 1} of {partials}: wrote {path}", err=True)
    raise AssertionError("unreachable: a stream ends with its GenerationResult or raises")


def _save_partial(event: PartialImage, stem: str, out: Path) -> Path:
    return event.image.save(out / f"{stem}-partial-{event.index}.{event.image.extension}")

"""Checking many templates at once: a process pool across the machine's cores.

Loading a template (YAML, schema, sandboxed compile, every example rendered) is CPU-bound Python, so
threads would queue on the GIL; processes do not. Starting them costs tens of milliseconds, so a small
project, or a warm run with a few edited files, is checked in this process. Findings come back in the
order the ids went in, so the output never depends on which worker finished first.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext

from promptlib._library import Library
from promptlib.config._settings import Settings
from promptlib.core._cpu import cores
from promptlib.evals._check_units import TemplateFindings, template_findings

#: Below this many templates to (re)check, starting processes costs more than it saves.
POOL_THRESHOLD = 300
#: Chunks per worker: enough to even out slow templates, few enough that pickling stays cheap.
CHUNKS_PER_WORKER = 8

_library: Library | None = None  # each worker's own, built once by _start


def findings_of(library: Library, template_ids: Sequence[str], workers: int | None = None) -> list[TemplateFindings]:
    """Every template's findings, in the order of ``template_ids``; in a pool when there are enough."""
    workers = cores() if workers is None else workers
    if workers < 2 or len(template_ids) < POOL_THRESHOLD or library.bundle is not None or not _can_fork():
        return [template_findings(library, template_id) for template_id in template_ids]
    size = max(1, len(template_ids) // (workers * CHUNKS_PER_WORKER))
    chunks = [list(template_ids[i : i + size]) for i in range(0, len(template_ids), size)]
    try:
        pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start, initargs=(library.settings,))
        with pool:
            return [found for chunk in pool.map(_check_chunk, chunks) for found in chunk]
    except (BrokenProcessPool, OSError, RuntimeError):  # no processes here (a sandbox, a frozen app): one process
        return [template_findings(library, template_id) for template_id in template_ids]


def _can_fork() -> bool:
    """fork only from a single-threaded process (the CLI): the workers start with promptlib already imported.
    A process with other threads (a web app's) checks in-process: forking it could deadlock, and spawning
    would re-import promptlib in every worker, costing more than a warm check saves."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _context() -> BaseContext:
    return multiprocessing.get_context("fork")


def _start(settings: Settings) -> None:
    global _library
    _library = Library(settings)


def _check_chunk(template_ids: list[str]) -> list[TemplateFindings]:
    assert _library is not None, "the pool's initializer builds the worker's Library"
    return [template_findings(_library, template_id) for template_id in template_ids]

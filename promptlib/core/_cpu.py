"""CPU-bound work off the event loop, on one worker thread per core.

Decoding a 1024² PNG takes ~16 ms; done on the event loop it stalls every request in flight, so a run
falls behind its deployment. anyio's default thread limiter allows 40 threads, which on a 2-core CI
runner only fight over the cores; this limiter allows one per core and is shared by everything running
on one event loop (the client's decoding, the runner's hashing), so together they never oversubscribe.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar, TypeVarTuple

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

T = TypeVar("T")
Args = TypeVarTuple("Args")

_LIMITER: RunVar[anyio.CapacityLimiter] = RunVar("promptlib_cpu_limiter")


def cores() -> int:
    """Cores this process may run on (a CI container's CPU set, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def cpu_limiter() -> anyio.CapacityLimiter:
    """The running event loop's limiter: one thread per core."""
    try:
        return _LIMITER.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(cores())
        _LIMITER.set(limiter)
        return limiter


async def run_cpu(func: Callable[[*Args], T], *args: *Args) -> T:
    """``func(*args)`` in a worker thread under the cores limit; the event loop keeps serving."""
    return await anyio.to_thread.run_sync(func, *args, limiter=cpu_limiter())

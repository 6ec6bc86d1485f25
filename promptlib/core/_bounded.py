"""Reading files someone else wrote, with limits: inside the project, regular files, capped in size.

Suites, templates, golden manifests and images arrive in pull requests; run directories are downloaded
from CI. A symlink can point at `/dev/zero` (read until memory runs out) or at a file outside the project
(whose content would then be echoed in errors); a JSON file can nest 200,000 levels (RecursionError).
Every such read goes through here and fails with a `ReadRefused` the caller turns into its own one-line
error.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

MiB = 1024 * 1024
#: Caps per kind of file: far above any legitimate one, far below what hurts.
TEXT_LIMIT = 4 * MiB  # a template, suite, lock or manifest
IMAGE_LIMIT = 50 * MiB  # Azure's own limit for an input image
RESULTS_LIMIT = 256 * MiB  # results.json of a very large run


class ReadRefused(ValueError):
    """The file is not one promptlib will read; the message says why, without quoting its content."""


def checked_path(path: Path, within: Path, *, within_resolved: bool = False) -> Path:
    """`path` resolved, refused unless it stays inside `within` (symlinks included).

    `within_resolved` says the caller resolved `within` already (once, for many reads): a stale or unresolved
    root can only refuse more, never let a path out, since the path itself is always resolved here.
    """
    resolved = path.resolve()
    if not resolved.is_relative_to(within if within_resolved else within.resolve()):
        raise ReadRefused("is a link to a file outside the project; copy the file in instead")
    return resolved


def read_bytes(path: Path, *, within: Path, limit: int, within_resolved: bool = False) -> bytes:
    """The bytes of a regular file inside `within`, at most `limit` of them (else ReadRefused).

    OSError (missing, unreadable) passes through for the caller to word.
    """
    resolved = checked_path(path, within, within_resolved=within_resolved)
    _regular(os.stat(resolved))  # before opening: opening a FIFO would block until someone writes to it
    with open(resolved, "rb") as handle:
        info = os.fstat(handle.fileno())
        _regular(info)
        data = _read_capped(handle, info.st_size, limit)
    if len(data) > limit:  # grew while being read
        raise ReadRefused(f"is over the {limit:,}-byte limit for this kind of file")
    return data


def _read_capped(handle: BinaryIO, size: int, limit: int) -> bytes:
    """At most ``limit + 1`` bytes, asking first for the ``size`` fstat gave (plus one, to see growth): asking
    for ``limit + 1`` at once makes a buffer of the whole limit for every small file read."""
    if size > limit:
        raise ReadRefused(f"is {size:,} bytes, over the {limit:,}-byte limit for this kind of file")
    data = handle.read(size + 1)
    if len(data) > size:  # grew since fstat: read on, up to the limit
        data += handle.read(limit + 1 - len(data))
    return data


def _regular(info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ReadRefused("is not a regular file (a device, pipe or directory); replace it with the file")


def read_text(path: Path, *, within: Path, limit: int = TEXT_LIMIT, within_resolved: bool = False) -> str:
    """UTF-8 text of a file, read as `read_bytes` reads (UnicodeDecodeError passes through)."""
    return read_bytes(path, within=within, limit=limit, within_resolved=within_resolved).decode("utf-8")


def read_listed_bytes(path: Path, *, limit: int = TEXT_LIMIT) -> bytes:
    """A file a walk of the project already found inside it (one that refused links leaving it, as template
    discovery does): capped and regular like `read_bytes`, without resolving the path a second time.

    Opened non-blocking, so a file swapped for a pipe since the walk is refused rather than waited on.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        _regular(info)
        data = _read_capped(handle, info.st_size, limit)
    if len(data) > limit:
        raise ReadRefused(f"is over the {limit:,}-byte limit for this kind of file")
    return data


def parse_json(text: str | bytes) -> Any:
    """`json.loads`, with nesting too deep for the parser reported as a ValueError like any other bad JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ReadRefused("nests too deeply to be a promptlib file") from None

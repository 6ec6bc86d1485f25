"""``promptlib cache stats|prune``: what the result cache holds, and clearing out old or broken entries.

An entry is ``<root>/<hash[:2]>/<hash>/`` with its images and ``meta.json`` (written last). Entries without
a sidecar are unfinished (a killed write); entries whose sidecar does not parse, names another key or lists
a missing image are damaged. ``prune`` also checks every image against its sha256, removes temp files a
killed write left behind, and — with ``older_than_days`` — entries created longer ago than that.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from promptlib.core._clock import utc_from_timestamp
from promptlib.evals._cache import CACHE_SCHEMA, META

_SHARD = re.compile(r"^[0-9a-f]{2}$")
_KEY = re.compile(r"^[0-9a-f]{64}$")
# An entry without a sidecar this recent may be a running eval's write in progress: prune leaves it alone.
UNFINISHED_GRACE_S = 300.0


@dataclass
class Entry:
    path: Path
    state: str  # ok | damaged | unfinished
    reason: str = ""
    created: float = 0.0
    deployment: str = "?"
    images: int = 0
    bytes: int = 0
    files: list[dict[str, Any]] = field(default_factory=list)


def entries(root: Path) -> Iterator[Entry]:
    """Every entry directory under ``root`` (the fingerprint cache and other files are not entries)."""
    if not root.is_dir():
        return
    for shard in sorted(root.iterdir()):
        if not (shard.is_dir() and _SHARD.match(shard.name)):
            continue
        for directory in sorted(shard.iterdir()):
            if directory.is_dir() and _KEY.match(directory.name) and directory.name.startswith(shard.name):
                yield _inspect(directory)


def _inspect(directory: Path) -> Entry:
    files = [f for f in directory.iterdir() if f.is_file()]
    size = sum(f.stat().st_size for f in files)
    meta_path = directory / META
    if not meta_path.is_file():
        newest = max((f.stat().st_mtime for f in files), default=directory.stat().st_mtime)
        return Entry(directory, "unfinished", "no meta.json", created=newest, bytes=size)
    entry = Entry(directory, "ok", created=meta_path.stat().st_mtime, bytes=size)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("meta.json is not an object")
        if meta.get("schema") != CACHE_SCHEMA or meta.get("request_hash") != directory.name:
            raise ValueError("schema or key mismatch")
        created = meta.get("created_at")
        if isinstance(created, int | float) and not isinstance(created, bool):
            entry.created = float(created)
        entry.deployment = str(meta.get("deployment") or "?")
        items = meta["images"]
        if not isinstance(items, list) or not items:
            raise ValueError("no images")
        for item in items:
            if not (directory / str(item["file"])).is_file():
                raise ValueError(f"image {item['file']} is missing")
        entry.images, entry.files = len(items), items
    except (OSError, ValueError, KeyError, TypeError) as exc:
        entry.state, entry.reason = "damaged", str(exc) or type(exc).__name__
    return entry


def _verify(entry: Entry) -> None:
    """Mark ``entry`` damaged when an image does not match its sha256."""
    for item in entry.files:
        data = (entry.path / str(item["file"])).read_bytes()
        if hashlib.sha256(data).hexdigest() != item.get("sha256"):
            entry.state, entry.reason = "damaged", f"image {item['file']} does not match its sha256"
            return


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return utc_from_timestamp(timestamp)


def cache_stats(root: Path) -> dict[str, Any]:
    """Counts, sizes and ages of the cache, in total and per deployment (damaged/unfinished counted apart)."""
    found = list(entries(root))
    good = [e for e in found if e.state == "ok"]
    per: dict[str, dict[str, int]] = {}
    for entry in good:
        row = per.setdefault(entry.deployment, {"entries": 0, "images": 0, "bytes": 0})
        row["entries"] += 1
        row["images"] += entry.images
        row["bytes"] += entry.bytes
    return {
        "path": str(root),
        "entries": len(good),
        "images": sum(e.images for e in good),
        "bytes": sum(e.bytes for e in good),
        "oldest": _iso(min((e.created for e in good), default=None)),
        "newest": _iso(max((e.created for e in good), default=None)),
        "damaged": sum(e.state == "damaged" for e in found),
        "unfinished": sum(e.state == "unfinished" for e in found),
        "deployments": dict(sorted(per.items())),
    }


def prune_cache(root: Path, older_than_days: float | None = None, *, now: float | None = None) -> dict[str, Any]:
    """Remove damaged entries, stale unfinished ones and (optionally) entries older than ``older_than_days``."""
    now = time.time() if now is None else now
    removed = {"old": 0, "damaged": 0, "unfinished": 0}
    freed = temp_files = 0
    for entry in entries(root):
        if entry.state == "ok":
            _verify(entry)
        if entry.state == "unfinished":
            if now - entry.created < UNFINISHED_GRACE_S:
                continue
            reason = "unfinished"
        elif entry.state == "damaged":
            reason = "damaged"
        elif older_than_days is not None and now - entry.created > older_than_days * 86400:
            reason = "old"
        else:
            for stray in entry.path.glob(".*.tmp"):  # a killed atomic write's leftovers
                if now - stray.stat().st_mtime >= UNFINISHED_GRACE_S:
                    stray.unlink(missing_ok=True)
                    temp_files += 1
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed[reason] += 1
        freed += entry.bytes
    if root.is_dir():
        for shard in root.iterdir():
            if shard.is_dir() and _SHARD.match(shard.name) and not any(shard.iterdir()):
                shard.rmdir()
    return {"removed": removed, "bytes_freed": freed, "temp_files": temp_files}

"""UTC timestamps, written one way: manifests, runs, bundles and caches all say `2026-12-01T21:55:38Z`."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> str:
    """Now, to the second, as ISO 8601 with a `Z` (what every file promptlib writes records)."""
    return utc_iso(datetime.now(UTC))


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def utc_from_timestamp(timestamp: float) -> str:
    """A file's mtime (or any POSIX time) in the same form as `utc_now`."""
    return utc_iso(datetime.fromtimestamp(timestamp, UTC))


def utc_today() -> date:
    """Today in UTC: retirement dates in the model table are UTC days."""
    return datetime.now(UTC).date()

"""Bounded reads: a file is read whole when under its limit and refused past it, even if it grows meanwhile."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from promptlib.core._bounded import ReadRefused, _read_capped, read_bytes, read_listed_bytes


def test_a_file_under_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"version: 1\n" * 1000)
    assert read_bytes(path, within=tmp_path, limit=1 << 20) == b"version: 1\n" * 1000
    assert read_listed_bytes(path, limit=1 << 20) == b"version: 1\n" * 1000


def test_a_file_over_the_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 101)
    with pytest.raises(ReadRefused, match="is 101 bytes, over the 100-byte limit"):
        read_bytes(path, within=tmp_path, limit=100)
    with pytest.raises(ReadRefused, match="is 101 bytes, over the 100-byte limit"):
        read_listed_bytes(path, limit=100)


def test_a_file_that_grew_since_its_size_was_taken_is_read_on_to_the_limit() -> None:
    """Only the size fstat gave is asked for at first (no limit-sized buffer per file); more data after it
    is still read, up to one byte past the limit, so the caller sees the file is too big."""
    assert _read_capped(io.BytesIO(b"y" * 10), 4, 100) == b"y" * 10
    assert _read_capped(io.BytesIO(b"y" * 10), 4, 6) == b"y" * 7


def test_an_empty_file_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    assert read_bytes(path, within=tmp_path, limit=100) == b""

"""Where ``{% include %}`` may read from: ``prompts/partials`` only (or a bundle's partials), and why not.

Names that could leave the directory, links that point out of it and files that are not ``.j2`` partials
are refused with a reason the author can act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader
from jinja2.exceptions import TemplateNotFound as JinjaTemplateNotFound

from promptlib.core._bounded import read_text
from promptlib.prompts._template_rewriter import UnsafeTemplate


class PartialLoader(BaseLoader):
    """Loads ``{% include %}`` targets from prompts/partials only, and says why not otherwise."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._resolved_root = root.resolve()

    def resolve(self, name: str) -> Path:
        """The partial's file, or UnsafeTemplate/JinjaTemplateNotFound explaining the refusal."""
        parts = _partial_parts(name)
        path = self.root.joinpath(*parts)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise JinjaTemplateNotFound(name) from None
        if not real.is_relative_to(self._resolved_root):
            raise UnsafeTemplate(f"include {name!r} is a link that leaves prompts/partials/", None)
        return real

    def read(self, name: str) -> tuple[str, Path]:
        """The partial's text and the path errors should name (raises like :meth:`resolve`, or OSError)."""
        path = self.resolve(name)
        return read_text(path, within=self._resolved_root, within_resolved=True), path

    def get_source(self, environment: Any, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        path = self.resolve(template)
        source = read_text(path, within=self._resolved_root, within_resolved=True)
        mtime = path.stat().st_mtime
        return source, str(path), lambda: path.stat().st_mtime == mtime


class MemoryPartialLoader(PartialLoader):
    """Partials from a name -> text mapping (a bundle), under the same naming rules as files.

    A bundle must render exactly what the files rendered, so the same names are
    refused for the same reasons; ``root`` is only what error messages call the
    directory, and nothing is ever read from disk.
    """

    def __init__(self, root: Path, partials: Mapping[str, str]) -> None:
        self.root = root
        self._resolved_root = root
        self.partials = partials

    def resolve(self, name: str) -> Path:
        parts = _partial_parts(name)
        if "/".join(parts) not in self.partials:
            raise JinjaTemplateNotFound(name)
        return self.root.joinpath(*parts)

    def read(self, name: str) -> tuple[str, Path]:
        path = self.resolve(name)
        return self.partials["/".join(_partial_parts(name))], path

    def get_source(self, environment: Any, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, path = self.read(template)
        return source, str(path), lambda: True


def _partial_parts(name: str) -> list[str]:
    """Split an include name, refusing anything that could leave prompts/partials/ or is not a .j2 file."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise UnsafeTemplate(f"include {name!r} leaves prompts/partials/; use a path inside it", None)
    if not name.endswith(".j2") or "" in parts or "\\" in name:
        raise JinjaTemplateNotFound(f"{name} (partials are .j2 files under prompts/partials/)")
    return parts

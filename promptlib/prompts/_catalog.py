"""What the prompts stage needs of a library of templates, as a Protocol (the Library satisfies it).

Locking and bundling work on the templates alone; typing them against this instead of `Library` keeps the
prompts stage below the Library, which also owns HTTP clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from promptlib.config._settings import Settings
    from promptlib.prompts._templates import PromptTemplate


class TemplateCatalog(Protocol):
    """Templates by id under one project's prompts/ directory."""

    settings: Settings
    prompts_dir: Path

    def ids(self) -> list[str]: ...

    def get(self, template_id: str, version: int | None = None) -> PromptTemplate: ...

    def path_of(self, template_id: str) -> Path: ...

    def templates(self) -> Iterator[PromptTemplate]: ...

"""Reading a project's files at a git revision, through the ``git`` command, without a checkout.

Bundles (``--history``), ``promptlib diff`` and ``eval --changed-since`` all need
"this file as it was at REV". Checking REV out would touch the author's working
tree, so everything goes through ``git show REV:path`` and ``git ls-tree``; the
few commands live here so the three features cannot disagree about paths or refs.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Self

# Where `diff` and `eval --changed-since` look for "the default branch" when no REF is given, in order.
DEFAULT_BRANCHES = ("origin/HEAD", "origin/main", "main", "master")


class Git:
    """Just enough git to read old file versions; paths given to it are relative to the repository's top."""

    def __init__(self, toplevel: Path) -> None:
        self.toplevel = toplevel

    @classmethod
    def find(cls, directory: Path) -> Self | None:
        """The repository containing ``directory``; None when there is none or git is not installed."""
        try:
            done = subprocess.run(
                ["git", "rev-parse", "--show-toplevel"], cwd=directory, capture_output=True, text=True, check=False
            )
        except OSError:  # git not installed
            return None
        if done.returncode != 0:
            return None
        return cls(Path(done.stdout.strip()).resolve())

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", *args], cwd=self.toplevel, capture_output=True, check=False)

    def head(self) -> str | None:
        done = self.run("rev-parse", "--verify", "--quiet", "HEAD")
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def dirty(self, prompts_dir: Path) -> bool:
        done = self.run("status", "--porcelain", "--", self.relative(prompts_dir))
        return bool(done.stdout.strip())

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.toplevel).as_posix()

    def commit_of(self, ref: str) -> str | None:
        """The commit ``ref`` names, or None when it names none (a typo, a branch not fetched)."""
        if ref.startswith("-"):  # never let a ref be read as an option
            return None
        done = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def default_base(self) -> tuple[str, str] | None:
        """(commit, label) of the merge base of HEAD with the first default branch that exists, or None."""
        for branch in DEFAULT_BRANCHES:
            if self.commit_of(branch) is None:
                continue
            done = self.run("merge-base", "HEAD", branch)
            base = done.stdout.decode().strip()
            if done.returncode == 0 and base:
                return base, f"merge-base(HEAD, {branch})"
        return None

    def files(self, commit: str, relative_dir: str) -> list[str]:
        """Every file under ``relative_dir`` at ``commit`` (repository-relative paths, sorted)."""
        done = self.run("ls-tree", "-r", "-z", "--name-only", commit, "--", relative_dir)
        if done.returncode != 0:
            return []
        return sorted(name for name in done.stdout.decode("utf-8", "replace").split("\0") if name)

    def show(self, commit: str, relative: str) -> str | None:
        """The file's text at ``commit``, or None when it did not exist there or is not UTF-8."""
        done = self.run("show", f"{commit}:{relative}")
        if done.returncode != 0:
            return None
        try:
            return done.stdout.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def commits_touching(self, relative: str) -> list[str]:
        """Oldest first; topological so a parent always comes before its children."""
        done = self.run("log", "--topo-order", "--reverse", "--format=%H", "--", relative)
        if done.returncode != 0:
            return []  # no commits yet
        return done.stdout.decode().split()


class GitPartials(Mapping[str, str]):
    """Partials as they were at one commit, read on demand with ``git show`` (a TemplateCompiler ``partials=``)."""

    def __init__(self, git: Git, commit: str, partials_relative: str) -> None:
        self._git = git
        self._commit = commit
        self._base = partials_relative
        self._read: dict[str, str | None] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._read:
            self._read[name] = self._git.show(self._commit, f"{self._base}/{name}")
        text = self._read[name]
        if text is None:
            raise KeyError(name)
        return text

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self[name]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, text in self._read.items() if text is not None])

    def __len__(self) -> int:
        return sum(1 for text in self._read.values() if text is not None)


def tracked(root: Path, relative: str) -> list[str]:
    """What git tracks at ``relative`` (a file or folder) in the checkout at ``root``, as paths relative to
    ``root``; [] outside a repository, or without git."""
    try:
        done = subprocess.run(["git", "ls-files", "-z", "--", relative], cwd=root, capture_output=True,
                              check=False, timeout=60)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    return [name for name in done.stdout.decode("utf-8", "replace").split("\0") if name]

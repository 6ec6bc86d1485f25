"""What a reviewer can click or paste: links to files beside the report, and the review commands.

Both are built from user data (paths and case names come from a run directory that may have been downloaded from
anywhere), so links are refused unless they stay inside the run, and commands are shell-quoted.
"""

from __future__ import annotations

import re
import shlex
from urllib.parse import quote

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def relative_href(path: object) -> str | None:
    """A URL for a file in the run directory, or None when the path is not a plain relative path.

    The page must only ever point at files beside it: absolute paths, `..`, schemes (`javascript:`, `https:`) and
    Windows drive paths are refused, and the rest is percent-encoded so a `#` or `?` in a case name stays part of
    the path.
    """
    if not isinstance(path, str) or not path or "\\" in path or "\x00" in path:
        return None
    if path.startswith("/") or _SCHEME.match(path) or ".." in path.split("/"):
        return None
    return quote(path, safe="/")


def approve_command(run_id: str, key: str) -> str:
    """The exact command that copies this case's samples into its golden set (shell-quoted: names are user data)."""
    return f"promptlib approve {shlex.quote(run_id)} --case {shlex.quote(key)}"


def reject_command(run_id: str, key: str, sample: int | str = "N") -> str:
    """A reject command to fill in: the reviewer picks the sample number shown on the card and writes a reason."""
    return f'promptlib reject {shlex.quote(run_id)} --case {shlex.quote(key)} --sample {sample} --reason "..."'

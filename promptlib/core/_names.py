"""The one pattern every name a project chooses follows: template ids, suite names, case ids, example names.

Names reach file paths, URLs, CI logs, Markdown and shell commands, so each segment is letters, digits, `.`,
`_` and `-`, starting with a letter or digit. One home, so no two places can disagree.
"""

from __future__ import annotations

import re

SEGMENT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]*"
#: A single name (a case id, an example name), for pydantic `Field(pattern=...)`.
NAME_PATTERN = rf"^{SEGMENT_PATTERN}$"
SEGMENT = re.compile(NAME_PATTERN)
#: A path of names (a template id, a nested suite): `marketing/hero-banner`.
PATH = re.compile(rf"^{SEGMENT_PATTERN}(/{SEGMENT_PATTERN})*$")

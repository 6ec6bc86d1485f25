"""The Playground: a local web app on a project, to try templates, compare variants and save the winner.

`create_app(project_dir)` builds it (Starlette, server-rendered Jinja pages, one vendored htmx file and small
hand-written scripts, no build step); `promptlib playground` serves it on 127.0.0.1. How to add a page:
`README-dev.md` beside this file.
"""

from __future__ import annotations

from promptlib.web._app import Page, WebContext, context, create_app
from promptlib.web._security import AccessPolicy, FileChanged, WriteGuard, WriteRefused, access_policy

__all__ = [
    "AccessPolicy",
    "FileChanged",
    "Page",
    "WebContext",
    "WriteGuard",
    "WriteRefused",
    "access_policy",
    "context",
    "create_app",
]

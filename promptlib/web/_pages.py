"""Which pages the app has: the Playground's own, then any another module registers.

To add a page (the Review page does this), write its handlers and templates in a module of `promptlib.web`, then
return a `Page` for it from `extra_pages` below (or pass it to `create_app(pages=[...])`). See README-dev.md.
"""

from __future__ import annotations

from promptlib.web._app import Page


def builtin_pages() -> list[Page]:
    """The Playground's pages, in navigation order."""
    from promptlib.web import _history, _play, _templates_page

    return [_templates_page.page(), _play.page(), _history.page()]


def extra_pages() -> list[Page]:
    """Pages other features add after the built-in ones (Review registers itself here)."""
    from promptlib.web import _review_page

    return [_review_page.page()]

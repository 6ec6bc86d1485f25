"""The web app factory: one Starlette app per project, its pages, templates and static files.

`create_app(project_dir)` builds the app `promptlib playground` serves. Pages are `Page` values: a label and path
for the navigation bar, the routes that serve them and (optionally) a folder of Jinja templates added to the
loader. The Playground's own pages (Templates, Play, History) are built in; others (Review) are passed in
`pages=` or registered in `promptlib.web._pages.extra_pages`. Every route shares one `WebContext`
(`context(request)`): the project's `Library`, the write guard, the Jinja environment and the run store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from promptlib._library import Library
from promptlib.config._settings import load_settings
from promptlib.web._security import AccessPolicy, SecurityMiddleware, WriteGuard, access_policy


@dataclass(frozen=True)
class Page:
    """A page of the app: its navigation entry, its routes, and templates it brings (`None`: only the app's)."""

    label: str
    path: str
    routes: Sequence[BaseRoute] = ()
    templates: Path | None = None


@dataclass
class WebContext:
    """What every request handler shares; reached with `context(request)`."""

    root: Path
    policy: AccessPolicy
    library: Library  # the deployments' clients live here, for the whole server's life
    guard: WriteGuard
    environment: jinja2.Environment
    nav: list[Page]
    budget_usd: float = 1.0  # what generations on paid deployments may spend while this server runs
    state: dict[str, Any] = field(default_factory=dict)  # per-feature state (runs in flight), keyed by feature

    def fresh_library(self) -> Library:
        """The project as it is on disk now (templates and suites re-read); generate through `library.clients`."""
        return Library(load_settings(self.root))

    def page(self, request: Request, template: str, values: Mapping[str, Any], status: int = 200) -> HTMLResponse:
        """A page or fragment rendered with the shared layout's values (navigation, current path)."""
        html = self.environment.get_template(template).render(
            nav=self.nav, current=request.url.path, project=self.root.name, **values
        )
        return HTMLResponse(html, status_code=status)

    def error(self, request: Request, message: str, status: int) -> HTMLResponse:
        """A problem as one line in a fragment the page shows where the action was (HTML-escaped)."""
        return self.page(request, "error.html.j2", {"message": message}, status)


def context(request: Request) -> WebContext:
    found: WebContext = request.app.state.web
    return found


def _environment(extra: Sequence[Path]) -> jinja2.Environment:
    """Autoescaped templates: pages' own folders first, then the app's, then the report's macros (`macros/…`)."""
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(folder)) for folder in extra]
    loaders.append(jinja2.PackageLoader("promptlib.web", "templates"))
    loaders.append(jinja2.PackageLoader("promptlib.reports", "templates"))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _static_routes() -> list[BaseRoute]:
    web = Path(str(resources.files("promptlib.web").joinpath("static")))
    reports = Path(str(resources.files("promptlib.reports").joinpath("static")))
    return [
        Mount("/static/report", app=StaticFiles(directory=reports), name="report-static"),
        Mount("/static", app=StaticFiles(directory=web), name="static"),
    ]


def create_app(
    project_dir: Path | str,
    *,
    policy: AccessPolicy | None = None,
    pages: Sequence[Page] = (),
    library: Library | None = None,
    budget_usd: float = 1.0,
) -> Starlette:
    """The app for the project at `project_dir` (found upward, like every command); `pages` adds pages after
    the built-in ones. `policy` defaults to loopback without a token (what `promptlib playground` does);
    `budget_usd` caps what generations on paid deployments may cost while the server runs."""
    from promptlib.web._pages import builtin_pages, extra_pages

    library = library or Library.load(Path(project_dir))
    policy = policy or access_policy()
    every = [*builtin_pages(), *extra_pages(), *pages]
    web = WebContext(
        root=library.settings.root,
        policy=policy,
        library=library,
        guard=WriteGuard(library.settings.root),
        environment=_environment([p.templates for p in every if p.templates is not None]),
        nav=[p for p in every if p.label],
        budget_usd=budget_usd,
    )
    routes: list[BaseRoute] = [route for p in every for route in p.routes]
    app = Starlette(
        routes=[*routes, *_static_routes()],
        middleware=[Middleware(SecurityMiddleware, policy=policy)],
        exception_handlers={404: _not_found},
        lifespan=_closing(library),
    )
    app.state.web = web
    return app


def _closing(library: Library) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Close the deployments' async clients when the server stops."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await library.aclose()

    return lifespan


async def _not_found(request: Request, exc: Exception) -> Response:
    return context(request).error(request, f"nothing at {request.url.path}", 404)

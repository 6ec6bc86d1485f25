"""The Templates page: every template with its id, version, operation, owners and description, filtered as you
type, with its cases' latest eval status and golden thumbnails."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from promptlib._library import Library
from promptlib.core._bounded import IMAGE_LIMIT, ReadRefused, read_bytes
from promptlib.evals._cases import select_cases
from promptlib.evals._runner import golden_store
from promptlib.exceptions import PromptlibError
from promptlib.reports._execute import runs_root
from promptlib.reports._runs import find_run, load_results
from promptlib.web._app import Page, context

THUMBNAILS_PER_TEMPLATE = 4
THUMBNAIL_EDGE = 40


@dataclass
class TemplateRow:
    id: str
    version: int | None = None
    operation: str = ""
    owners: list[str] = field(default_factory=list)
    description: str = ""
    problem: str | None = None
    cases: list[dict[str, str]] = field(default_factory=list)  # key, latest status
    goldens: list[str] = field(default_factory=list)  # URLs of golden images

    def matches(self, query: str) -> bool:
        haystack = " ".join([self.id, self.operation, self.description, *self.owners]).lower()
        return all(word in haystack for word in query.lower().split())


def _latest_statuses(library: Library) -> dict[str, str]:
    """Case key → status in the latest eval run (empty when there is none or it cannot be read)."""
    try:
        results = load_results(find_run(runs_root(library), None))
    except PromptlibError:
        return {}
    return {str(c.get("key")): str(c.get("status")) for c in results.get("cases", []) if isinstance(c, dict)}


def template_rows(library: Library) -> list[TemplateRow]:
    rows = {template_id: TemplateRow(template_id) for template_id in library.ids()}
    for row in rows.values():
        try:
            template = library.get(row.id)
        except PromptlibError as exc:
            row.problem = str(exc)
            continue
        row.version, row.operation, row.description = template.version, template.operation, template.description
        row.owners = list(template.spec.owners)
    statuses = _latest_statuses(library)
    store = golden_store(library)
    for case in select_cases(library, [])[0]:
        owner = rows.get(case.template_id)
        if owner is None:
            continue
        owner.cases.append({"key": case.key, "status": statuses.get(case.key, "not run")})
        try:
            manifest = store.load(case.suite, case.id, verify=False)
        except PromptlibError:
            continue  # `check` reports a broken golden set; the list still shows the template
        for golden in manifest.goldens if manifest else []:
            if len(owner.goldens) < THUMBNAILS_PER_TEMPLATE:
                owner.goldens.append(f"/goldens/{case.suite}/{case.id}/{golden.file}?thumb=1")
    return list(rows.values())


async def templates_page(request: Request) -> Response:
    web = context(request)
    query = request.query_params.get("q", "")
    rows = [row for row in template_rows(web.fresh_library()) if row.matches(query)]
    values: dict[str, Any] = {"rows": rows, "query": query}
    if request.headers.get("hx-request"):
        return web.page(request, "templates_rows.html.j2", values)
    return web.page(request, "templates.html.j2", values)


async def golden_image(request: Request) -> Response:
    """A golden image, read bounded from inside evals/goldens/ (the path parts come from the URL: untrusted)."""
    web = context(request)
    library = web.fresh_library()
    store = golden_store(library)
    suite, case, name = (request.path_params[k] for k in ("suite", "case", "file"))
    try:
        manifest = store.load(suite, case, verify=False)
    except PromptlibError:
        manifest = None
    entry = next((g for g in manifest.goldens if g.file == name), None) if manifest else None
    if entry is None:
        return web.error(request, f"no golden {name} for {suite}/{case}", 404)
    path: Path = store.image_path(suite, case, entry)
    try:
        data = read_bytes(path, within=store.root, limit=IMAGE_LIMIT)
    except (ReadRefused, OSError):
        return web.error(request, f"golden {name} of {suite}/{case} cannot be read", 404)
    if request.query_params.get("thumb"):
        return Response(
            _thumbnail(entry.sha256, data), media_type="image/png", headers={"cache-control": "max-age=86400"}
        )
    return Response(data, media_type=f"image/{entry.file.rsplit('.', 1)[-1].replace('jpg', 'jpeg')}")


_THUMBNAILS: dict[str, bytes] = {}


def _thumbnail_of(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (THUMBNAIL_EDGE * 2, THUMBNAIL_EDGE * 2))
    image.thumbnail((THUMBNAIL_EDGE * 2, THUMBNAIL_EDGE * 2))  # sharp on high-density screens
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _thumbnail(sha256: str, data: bytes) -> bytes:
    """A small PNG of a golden (by sha256: goldens never change in place), so the list loads kilobytes."""
    found = _THUMBNAILS.get(sha256)
    if found is None:
        if len(_THUMBNAILS) > 1024:
            _THUMBNAILS.clear()
        found = _THUMBNAILS[sha256] = _thumbnail_of(data)
    return found


def page() -> Page:
    return Page(
        "Templates",
        "/",
        [
            Route("/", templates_page),
            Route("/goldens/{suite:path}/{case}/{file}", golden_image),
        ],
    )

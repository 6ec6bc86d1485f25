"""The Review page: the queue of a run's cases, one case beside its goldens with five diff views, and decisions.

Every value comes from `promptlib.review` (queue, case detail, heatmap, what-if, look-alikes, drift) and every
decision goes through `promptlib.review._decisions`, the functions `promptlib approve`/`reject`/`unreject` call:
the browser gets no second implementation and no weaker check. The run is the one `promptlib review [RUN]` was
started on (kept in the app's state), else the project's latest; a downloaded CI run goes through the same
bounded, validated reader as `approve`. Images are served only from inside that run directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from promptlib.core._bounded import IMAGE_LIMIT, ReadRefused, read_bytes
from promptlib.core._image_files import ImageRefused
from promptlib.evals._cases import approvable_cases
from promptlib.exceptions import PromptlibError
from promptlib.goldens._review import ProjectCase
from promptlib.reports._cards import LOW_SENSITIVITY_SENTENCE
from promptlib.reports._execute import runs_root
from promptlib.reports._links import relative_href
from promptlib.review import _decisions
from promptlib.review._case import case_review, find_case
from promptlib.review._drift import case_history, golden_drift
from promptlib.review._heatmap import heatmap
from promptlib.review._lookalikes import lookalike_groups
from promptlib.review._queue import Queue, build_queue
from promptlib.review._runs import ReviewRun, RunCache
from promptlib.web._app import Page, WebContext, context

STATE = "review"
_MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


@dataclass
class ReviewState:
    """Which run the page reviews (None: the latest), and what was decided on it in this session, by case."""

    run: str | None = None
    decided: dict[str, dict[str, str]] = field(default_factory=dict)  # run id -> case key -> what was done
    cache: RunCache = field(default_factory=RunCache)
    reviewer: str | None = None
    known: tuple[tuple[tuple[str, int, int], ...], dict[str, ProjectCase]] | None = None


def project_cases(web: WebContext) -> dict[str, ProjectCase]:
    """The checked-out project's cases (`approvable_cases`), recomputed only when a template, partial, suite or
    promptlib.yaml changed on disk: compiling every template on each keypress would cost more than the page."""
    state = review_state(web)
    held = _project_signature(web.root)
    if state.known is None or state.known[0] != held:
        state.known = (held, approvable_cases(web.fresh_library()))
    return state.known[1]


def _project_signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    found = []
    for folder, pattern in ((root / "prompts", "*"), (root / "evals", "*.yaml"), (root, "promptlib.yaml")):
        for path in sorted(folder.rglob(pattern) if folder != root else folder.glob(pattern)):
            if path.is_file():
                info = path.stat()
                found.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(found)


def review_state(web: WebContext) -> ReviewState:
    found = web.state.get(STATE)
    if not isinstance(found, ReviewState):
        found = web.state[STATE] = ReviewState()
    return found


def current_run(web: WebContext) -> ReviewRun:
    """The run under review, re-read only when its results.json changed on disk."""
    return review_state(web).cache.open(web.library, review_state(web).run)


def file_href(path: object) -> str | None:
    """The page's URL for a file of the run (None for a path the report would not link either)."""
    relative = relative_href(path)
    return f"/review/files/{relative}" if relative is not None else None


def workspace_values(web: WebContext, run: ReviewRun, key: str | None, *, show_passed: bool) -> dict[str, Any]:
    """Everything the workspace (queue and case panel) prints."""
    cache = review_state(web).cache
    queue: Queue = cache.derive("queue", lambda r: build_queue(r.results["cases"]))
    chosen = key if key and find_case(run.results, key) is not None else queue.next_after(None, include_passed=True)
    decided = review_state(web).decided.get(run.run_id, {})
    return {
        "run": run,
        "queue": queue,
        "groups": queue.groups(include_passed=show_passed),
        "show_passed": show_passed,
        "lookalikes": cache.derive("lookalikes", lambda r: lookalike_groups(r.results["cases"])),
        "decided": decided,
        "selected": chosen,
        "case": _case_values(web, run, chosen) if chosen else None,
        "low_sensitivity_sentence": LOW_SENSITIVITY_SENTENCE,
    }


def _case_values(web: WebContext, run: ReviewRun, key: str) -> dict[str, Any] | None:
    review = case_review(run.results, key, file_href, anchor="review-case")
    case = find_case(run.results, key)
    if review is None or case is None:
        return None
    library = web.library
    known = project_cases(web)
    try:
        rejected = _decisions.rejected_images(library, key, known)
    except PromptlibError:
        rejected = []  # a case the checked-out suites no longer define: its decisions will say so
    return {
        "review": review,
        "raw_samples": [s for s in case.get("samples") or [] if isinstance(s, Mapping)],
        "drift": golden_drift(library, key, case, known),
        "history": case_history(runs_root(library), key),
        "rejected": rejected,
        "compare": _compare_sources(case),
    }


def _compare_sources(case: Mapping[str, Any]) -> list[dict[str, str]]:
    """Per sample: its image, its nearest golden and their heatmap, as page URLs (only linkable paths)."""
    sources = []
    for sample in case.get("samples") or []:
        if not isinstance(sample, Mapping):
            continue
        image, golden = relative_href(sample.get("file")), relative_href(sample.get("nearest_golden"))
        if image is None:
            continue
        sources.append(
            {
                "index": str(sample.get("index")),
                "sample": f"/review/files/{image}",
                "golden": f"/review/files/{golden}" if golden else "",
                "heatmap": f"/review/heatmap?a={quote(image)}&b={quote(golden)}" if golden else "",
            }
        )
    return sources


def render_workspace(request: Request, web: WebContext, key: str | None, message: Mapping[str, Any] | None = None,
                     status: int = 200) -> Response:  # fmt: skip
    """The whole page, or only the workspace fragment for an htmx request."""
    try:
        run = current_run(web)
    except PromptlibError as exc:
        if request.headers.get("hx-request"):
            return web.error(request, str(exc), 400)
        return web.page(request, "review_none.html.j2", {"message": str(exc)}, 404)
    show_passed = request.query_params.get("passed") == "1"
    values = workspace_values(web, run, key, show_passed=show_passed) | {"message": message}
    template = "review_workspace.html.j2" if request.headers.get("hx-request") else "review.html.j2"
    return web.page(request, template, values, status)


async def review(request: Request) -> Response:
    # Rendering reads files and compiles nothing twice, but it is CPU work: off the event loop, so the page's
    # static files and images are served meanwhile.
    return await run_in_threadpool(render_workspace, request, context(request), request.query_params.get("case"))


async def run_file(request: Request) -> Response:
    return await run_in_threadpool(_run_file, request)


def _run_file(request: Request) -> Response:
    """An image of the run under review, read confined to its directory, bounded, never through a link."""
    web = context(request)
    relative = str(request.path_params["path"])
    media = _MEDIA.get(Path(relative).suffix.lower())
    if media is None or relative_href(relative) is None:
        return web.error(request, "only the run's images are served", 404)
    try:
        run = current_run(web)
        path = run.path / relative
        if path.is_symlink():
            raise ReadRefused("is a symbolic link")
        data = read_bytes(path, within=run.path, limit=IMAGE_LIMIT)
    except (PromptlibError, ReadRefused, OSError):
        return web.error(request, f"no image {relative} in the run", 404)
    return Response(data, media_type=media, headers={"cache-control": "no-store"})


async def heatmap_image(request: Request) -> Response:
    return await run_in_threadpool(_heatmap_image, request)


def _heatmap_image(request: Request) -> Response:
    """The difference heatmap of two images of the run (`a` and `b`, run-relative), computed with Pillow."""
    web = context(request)
    names = [request.query_params.get(k, "") for k in ("a", "b")]
    try:
        run = current_run(web)
        images = []
        for name in names:
            if relative_href(name) is None or (run.path / name).is_symlink():
                raise ReadRefused("is not a file of the run")
            images.append(read_bytes(run.path / name, within=run.path, limit=IMAGE_LIMIT))
        shown = heatmap(images[0], images[1])
    except (PromptlibError, ReadRefused, ImageRefused, OSError):
        return web.error(request, "a heatmap needs two images of the run", 404)
    return Response(shown.png, media_type="image/png", headers={"cache-control": "no-store"})


def page() -> Page:
    from promptlib.web import _review_actions as actions

    return Page(
        "Review",
        "/review",
        [
            Route("/review", review),
            Route("/review/files/{path:path}", run_file),
            Route("/review/heatmap", heatmap_image),
            Route("/review/whatif", actions.what_if_fragment),
            Route("/review/approve", actions.approve, methods=["POST"]),
            Route("/review/approve-group", actions.approve_group, methods=["POST"]),
            Route("/review/reject", actions.reject, methods=["POST"]),
            Route("/review/unreject", actions.unreject, methods=["POST"]),
        ],
    )

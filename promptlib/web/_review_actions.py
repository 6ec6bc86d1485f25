"""The Review page's decisions: approve (replace or add), approve a look-alike group, reject with a reason,
un-reject, and the what-if calibration before approving. Each calls `promptlib.review` and answers with the
workspace again (queue updated, what was written listed), or the one-line problem the CLI would print."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from promptlib.core._safe_text import one_line
from promptlib.exceptions import PromptlibError, UsageError
from promptlib.goldens._review import reviewer_name
from promptlib.review import _decisions
from promptlib.review._decisions import Outcome
from promptlib.review._queue import Queue, build_queue
from promptlib.review._whatif import what_if
from promptlib.web._app import WebContext, context
from promptlib.web._review_page import current_run, project_cases, render_workspace, review_state


def _samples(form: FormData) -> list[int]:
    values = []
    for raw in form.getlist("sample"):
        try:
            values.append(int(str(raw)))
        except ValueError:
            continue
    return values


def _message(title: str, outcome: Outcome) -> dict[str, Any]:
    return {"kind": "done", "title": title, "written": outcome.written}


def _problem(request: Request, web: WebContext, key: str | None, exc: PromptlibError) -> Response:
    return render_workspace(request, web, key, {"kind": "problem", "title": str(exc), "written": []}, 400)


def _reviewer(web: WebContext) -> str:
    """git's user.name (else the login), asked once per server: it is the same person all session."""
    state = review_state(web)
    if state.reviewer is None:
        state.reviewer = reviewer_name(None)
    return state.reviewer


def _remember(web: WebContext, run_id: str, key: str, what: str) -> None:
    review_state(web).decided.setdefault(run_id, {})[key] = what


async def approve(request: Request) -> Response:
    return await run_in_threadpool(_approve, request, context(request), await request.form())


def _approve(request: Request, web: WebContext, form: FormData) -> Response:
    key = str(form.get("key", ""))
    add = form.get("add") == "on"
    try:
        run = current_run(web)
        outcome = _decisions.approve(
            web.library, run, cases=[key], samples=_samples(form), add=add, by=_reviewer(web),
            known=project_cases(web),
        )  # fmt: skip
    except PromptlibError as exc:
        return _problem(request, web, key, exc)
    (approved,) = outcome.approved
    what = f"approved: {len(approved.manifest.goldens)} golden(s)" + (" (added)" if add else "")
    _remember(web, run.run_id, key, what)
    title = f"{key} {what}, sensitivity {approved.manifest.calibration['sensitivity']}"
    if approved.stale:
        title += f"; {approved.stale}"
    queue_next = _next(web, run, key)
    return render_workspace(request, web, queue_next or key, _message(title, outcome))


async def approve_group(request: Request) -> Response:
    return await run_in_threadpool(_approve_group, request, context(request), await request.form())


def _approve_group(request: Request, web: WebContext, form: FormData) -> Response:
    """Approve every case of a look-alike group (each with the samples approve would take), in one go."""
    keys = [str(k) for k in form.getlist("key")]
    try:
        run = current_run(web)
        outcome = _decisions.approve(web.library, run, cases=keys, by=_reviewer(web), known=project_cases(web))
    except PromptlibError as exc:
        return _problem(request, web, keys[0] if keys else None, exc)
    for item in outcome.approved:
        _remember(web, run.run_id, item.key, f"approved: {len(item.manifest.goldens)} golden(s), with its group")
    title = f"approved {len(outcome.approved)} look-alike cases: " + ", ".join(i.key for i in outcome.approved)
    return render_workspace(request, web, _next(web, run, keys[-1]) if keys else None, _message(title, outcome))


async def reject(request: Request) -> Response:
    return await run_in_threadpool(_reject, request, context(request), await request.form())


def _reject(request: Request, web: WebContext, form: FormData) -> Response:
    key = str(form.get("key", ""))
    reason = str(form.get("reason", ""))
    samples = _samples(form)
    try:
        run = current_run(web)
        if len(samples) != 1:
            raise UsageError("choose the one sample to reject")
        outcome = _decisions.reject(
            web.library, run, case_key=key, sample=samples[0], reason=reason, by=_reviewer(web),
            known=project_cases(web),
        )  # fmt: skip
    except PromptlibError as exc:
        return _problem(request, web, key, exc)
    _remember(web, run.run_id, key, f"rejected sample {samples[0]}")
    title = f"rejected sample {samples[0]} of {key}: {one_line(reason)}"
    return render_workspace(request, web, key, _message(title, outcome))


async def unreject(request: Request) -> Response:
    return await run_in_threadpool(_unreject, request, context(request), await request.form())


def _unreject(request: Request, web: WebContext, form: FormData) -> Response:
    key = str(form.get("key", ""))
    sha = str(form.get("sha", ""))
    try:
        outcome = _decisions.unreject(web.fresh_library(), key, [sha] if sha else [], every=not sha)
    except PromptlibError as exc:
        return _problem(request, web, key, exc)
    title = f"forgot {len(outcome.forgotten)} rejected image(s) of {key}"
    return render_workspace(request, web, key, _message(title, outcome))


async def what_if_fragment(request: Request) -> Response:
    return await run_in_threadpool(_what_if_fragment, request)


def _what_if_fragment(request: Request) -> Response:
    """The case's calibration now and after the approval the form describes; nothing is written."""
    web = context(request)
    key = request.query_params.get("key", "")
    samples = [int(v) for v in request.query_params.getlist("sample") if v.isdigit()]
    add = request.query_params.get("add") == "on"
    try:
        predicted = what_if(web.fresh_library(), current_run(web), key, samples=samples, add=add)
    except PromptlibError as exc:
        return web.error(request, str(exc), 400)
    return web.page(request, "review_whatif.html.j2", {"whatif": predicted, "add": add})


def _next(web: WebContext, run: Any, key: str) -> str | None:
    """The case after `key` in the queue the reviewer sees."""
    queue: Queue = review_state(web).cache.derive("queue", lambda r: build_queue(r.results["cases"]))
    return queue.next_after(key)

"""Starting generations (from the form, or again from a variant's run) and following them as server-sent events.

A generation on a billed deployment first answers with its estimated cost; it starts only once the author
confirms, and only while the session's budget (`promptlib playground --budget`) covers it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from promptlib.evals._budget import request_cost
from promptlib.exceptions import PromptlibError
from promptlib.web._app import WebContext, context
from promptlib.web._play import posted_state
from promptlib.web._play_state import Outcome, PlayState, build
from promptlib.web._runs import Generation, LiveRun, cases_of, state_from_run

LIVE = "live-runs"
KEEP_FINISHED = 50


def _budget(web: WebContext) -> dict[str, float]:
    found: dict[str, float] = web.state.setdefault("budget", {"total": web.budget_usd, "left": web.budget_usd})
    return found


def _start(
    request: Request, web: WebContext, state: PlayState, outcome: Outcome, confirmed: bool, again: str
) -> Response:
    """The variant row following the new run, or the cost to confirm first (`again`: the URL that confirms)."""
    if outcome.rendered is None:
        return web.error(request, "fix the problems shown under the editor first", 422)
    if outcome.warnings:  # what `check` would report: the deployment's model refuses these parameters
        return web.error(request, "; ".join(outcome.warnings), 422)
    try:
        client, first = web.library.clients.request_for(outcome.rendered, state.deployment or None)
    except PromptlibError as exc:
        return web.error(request, str(exc), 422)
    if web.library.settings.deployment(client.endpoint.name).kind != "emulator":
        budget = _budget(web)
        estimate = request_cost(first, web.library.settings.price(client.endpoint.name)) * state.samples
        if not confirmed or estimate > budget["left"]:
            values = {"estimate": estimate, "budget": budget, "deployment": client.endpoint.name, "again": again}
            return web.page(request, "play_cost.html.j2", values)
        budget["left"] -= estimate
    cases = {c.key: c for c in cases_of(web.fresh_library(), state.template_id)}
    generation = Generation(web.library, state, outcome.rendered, cases.get(state.case))
    live: dict[str, LiveRun] = web.state.setdefault(LIVE, {})
    for finished in [run_id for run_id, run in live.items() if run.done][:-KEEP_FINISHED]:
        del live[finished]  # a page that reconnects later reads the run from disk (its card), not the events
    live[generation.live.run_id] = generation.live
    task = asyncio.get_running_loop().create_task(generation.run_all())
    tasks: set[asyncio.Task[None]] = web.state.setdefault("tasks", set())  # held: the loop keeps weak references
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return web.page(request, "variant.html.j2", {"run_id": generation.live.run_id, "state": state})


async def generate(request: Request) -> Response:
    """Start a generation of the form's state: a new variant row."""
    try:
        web, state, outcome, form = await posted_state(request)
    except PromptlibError as exc:
        return context(request).error(request, str(exc), 422)
    return _start(request, web, state, outcome, form.get("confirm_cost") == "yes", "/actions/generate")


async def rerun(request: Request) -> Response:
    """Run a variant again, exactly as it was (its template text, values, inputs, parameters, deployment)."""
    web = context(request)
    run_id = request.path_params["run_id"]
    state = state_from_run(web.library, run_id)
    if state is None:
        return web.error(request, "no such playground run", 404)
    async with request.form() as form:
        confirmed = form.get("confirm_cost") == "yes"
    try:
        outcome = build(web.fresh_library(), state)
    except PromptlibError as exc:
        return web.error(request, str(exc), 422)
    return _start(request, web, state, outcome, confirmed, f"/runs/{run_id}/rerun")


async def run_events(request: Request) -> Response:
    """Server-sent events of a generation: every event so far, then each new one, until it is done."""
    web = context(request)
    live = web.state.get(LIVE, {}).get(request.path_params["run_id"])
    if live is None:
        return web.error(request, "no generation in flight with that id", 404)

    async def events() -> AsyncIterator[bytes]:
        sent = 0
        while True:
            while sent < len(live.events):
                event = live.events[sent]
                sent += 1
                yield f"event: {event['event']}\ndata: {json.dumps(event)}\n\n".encode()
            if live.done:
                return
            live.changed.clear()
            await live.changed.wait()

    return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-store"})

"""History: every playground generation, newest first, reopenable; any sample can become a golden of a case.

Promotion runs `approve_from_run`, the code behind `promptlib approve`, on the playground run: the same checks
(the case must be one the checked-out suites define, the sample the size and format the case expects, read
bounded from inside the run), the same manifest and recalibration, written only under evals/goldens/.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from promptlib.core._bounded import RESULTS_LIMIT, ReadRefused, read_bytes
from promptlib.evals._cases import approvable_cases
from promptlib.evals._runner import golden_store
from promptlib.exceptions import PromptlibError
from promptlib.goldens._review import approve_from_run, reviewer_name
from promptlib.web._app import Page, context
from promptlib.web._play import load_card
from promptlib.web._runs import cases_of, playground_root

SHOWN = 100


async def history_page(request: Request) -> Response:
    web = context(request)
    root = playground_root(web.library)
    runs = (
        sorted((p.name for p in root.iterdir() if (p / "results.json").is_file()), reverse=True)
        if root.is_dir()
        else []
    )
    cards = [card for card in (load_card(web, run_id) for run_id in runs[:SHOWN]) if card is not None]
    return web.page(request, "history.html.j2", {"cards": cards, "total": len(runs)})


async def history_run(request: Request) -> Response:
    web = context(request)
    card = load_card(web, request.path_params["run_id"])
    if card is None:
        return web.error(request, "no such playground run", 404)
    cases = cases_of(web.fresh_library(), card["case"]["template_id"])
    return web.page(request, "history_run.html.j2", {"card": card, "cases": cases, "message": None})


async def promote(request: Request) -> Response:
    """Approve one sample of a playground run as a golden of a case of the same template (add or replace)."""
    web = context(request)
    run_id = request.path_params["run_id"]
    card = load_card(web, run_id)
    if card is None:
        return web.error(request, "no such playground run", 404)
    form = await request.form()
    library = web.fresh_library()
    known = approvable_cases(library)
    key = str(form.get("case") or "")
    if key not in {c.key for c in cases_of(library, card["case"]["template_id"])}:
        return web.error(request, f"{key!r} is not a case of {card['case']['template_id']}; pick one of its cases", 422)
    try:
        sample = int(str(form.get("sample")))
        approved = approve_from_run(
            golden_store(library), playground_root(library) / run_id, _keyed(web, run_id, known[key]),
            known=known, cases=[key], samples=[sample], all_new=False, by=reviewer_name(None),
            add=form.get("mode") != "replace",
        )  # fmt: skip
    except (PromptlibError, ValueError) as exc:
        return web.error(request, str(exc), 422)
    item = approved[0]
    message = f"sample {sample} is now a golden of {item.key}: {len(item.manifest.goldens)} golden(s)"
    return web.page(request, "promoted.html.j2", {"message": message, "stale": item.stale})


def _keyed(web: Any, run_id: str, target: Any) -> dict[str, Any]:
    """The run's results with its one case named as the chosen case (the run judged it against another, or
    none); approve then checks the sample against that case's expectations as it would for an eval run."""
    path = playground_root(web.library) / run_id / "results.json"
    try:
        results = json.loads(read_bytes(path, within=path.parent, limit=RESULTS_LIMIT))
    except (ReadRefused, OSError, ValueError) as exc:
        raise PromptlibError(f"cannot read the run's results.json: {exc}") from None
    case = results["cases"][0]
    case.update(suite=target.suite, case=target.case, key=f"{target.suite}/{target.case}")
    return dict(results)


def page() -> Page:
    return Page(
        "History",
        "/history",
        [
            Route("/history", history_page),
            Route("/history/{run_id}", history_run),
            Route("/runs/{run_id}/promote", promote, methods=["POST"]),
        ],
    )

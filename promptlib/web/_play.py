"""The Play page: a template's form and editor, the prompt rendered as you type, and generations streamed in.

Every action posts the whole form (htmx), so the server holds no editing state: the page is the variant. A
generation becomes a run directory (`_runs`), whose progress the page follows over server-sent events.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from promptlib.core._bounded import IMAGE_LIMIT, ReadRefused, read_bytes
from promptlib.exceptions import PromptlibError
from promptlib.prompts._variables import BooleanVariable, EnumVariable, ImageVariable
from promptlib.web._app import Page, WebContext, context
from promptlib.web._code import code_for
from promptlib.web._parameters_form import parameter_form
from promptlib.web._play_state import Outcome, PlayState, build, file_text, project_images, state_from_form
from promptlib.web._runs import cases_of, playground_root, spread, state_from_run


async def play_index(request: Request) -> Response:
    ids = context(request).fresh_library().ids()
    return RedirectResponse(f"/play/{ids[0]}" if ids else "/", 303)


async def play_page(request: Request) -> Response:
    web = context(request)
    library = web.fresh_library()
    template_id = request.path_params["template_id"]
    try:
        template = library.get(template_id)
        _, sha = file_text(library, template_id)
        example = request.query_params.get("example")
        values = dict(template.example(example).variables) if example else {}
    except PromptlibError as exc:
        return web.error(request, str(exc), 404 if template_id not in library else 422)
    for name, spec in template.variables.items():
        values.setdefault(name, spec.default_value())
    cases = cases_of(library, template_id)
    state = PlayState(template_id, template.spec.template, sha, deployment=library.settings.config.default_deployment,
                      samples=cases[0].policy.samples if cases else 3, case=cases[0].key if cases else "")  # fmt: skip
    reopened = state_from_run(web.library, request.query_params.get("from", ""))
    if reopened is not None and reopened.template_id == template.id:  # "load into the form" from a variant
        state, values = replace(reopened, file_sha256=sha), {**values, **reopened.values}
    outcome = _render_initial(web, state, values)
    return web.page(request, "play.html.j2", {
        "template": template, "state": state, "values": values, "outcome": outcome, "cases": cases,
        "fields": _fields(template), "deployments": _deployments(web), "images": project_images(web.root),
        "params": parameter_form(library.settings, state.deployment, template.operation, template.parameters,
                                 state.parameters),
        "code": code_for(web, state, outcome),
    })  # fmt: skip


def _render_initial(web: WebContext, state: PlayState, values: dict[str, Any]) -> Outcome:
    state.values = {k: _as_text(v) for k, v in values.items() if v is not None}
    return build(web.fresh_library(), state)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def _fields(template: Any) -> list[dict[str, Any]]:
    """One form field per declared variable: its kind decides the control."""
    fields = []
    for name, spec in template.variables.items():
        kind = "text"
        if isinstance(spec, EnumVariable):
            kind = "select"
        elif isinstance(spec, BooleanVariable):
            kind = "checkbox"
        elif isinstance(spec, ImageVariable):
            kind = "mask" if spec.role == "mask" else "image"
        elif spec.type in ("integer", "number"):
            kind = "number"
        elif spec.type == "list":
            kind = "list"
        fields.append({"name": name, "kind": kind, "spec": spec})
    return fields


def _deployments(web: WebContext) -> list[dict[str, Any]]:
    settings = web.library.settings
    return [
        {"name": name, "kind": config.kind, "model": config.model, "emulator": config.kind == "emulator"}
        for name, config in settings.config.deployments.items()
    ]


async def posted_state(request: Request) -> tuple[WebContext, PlayState, Outcome, dict[str, str]]:
    web = context(request)
    library = web.fresh_library()
    async with request.form(max_part_size=IMAGE_LIMIT) as form:  # closes uploads' temporary files
        template_id = form.get("template_id")
        template = library.get(template_id if isinstance(template_id, str) else "")
        state = await state_from_form(form, template)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return web, state, build(library, state), fields


async def render_preview(request: Request) -> Response:
    """The rendered prompt, problems at their editor lines, and the code for what is on screen (< 50 ms)."""
    try:
        web, state, outcome, _ = await posted_state(request)
    except PromptlibError as exc:
        return context(request).error(request, str(exc), 422)
    return web.page(request, "play_rendered.html.j2", {"outcome": outcome, "code": code_for(web, state, outcome)})


async def parameters(request: Request) -> Response:
    """The Parameters fieldset again, for the deployment just chosen (its model may take other values)."""
    try:
        web, state, _, _ = await posted_state(request)
        template = web.fresh_library().get(state.template_id)
    except PromptlibError as exc:
        return context(request).error(request, str(exc), 422)
    params = parameter_form(web.library.settings, state.deployment, template.operation, template.parameters,
                            state.parameters)  # fmt: skip
    return web.page(request, "play_parameters.html.j2", {"params": params, "template": template})


async def run_card(request: Request) -> Response:
    """A finished generation as a variant row: samples with verdicts, the spread, the would-pass line."""
    web = context(request)
    card = load_card(web, request.path_params["run_id"])
    if card is None:
        return web.error(request, "no such playground run", 404)
    return web.page(request, "variant_card.html.j2", {"card": card, "comparable": True})


def load_card(web: WebContext, run_id: str) -> dict[str, Any] | None:
    from promptlib.reports._runs import load_results

    root = playground_root(web.library)
    path = root / run_id
    if "/" in run_id or run_id.startswith(".") or not (path / "results.json").is_file():
        return None
    try:
        results = load_results(path)
    except PromptlibError:
        return None
    (case,) = results["cases"][:1] or [None]
    if case is None:
        return None
    from promptlib.evals._results import SampleResult

    samples = [SampleResult.model_validate(s) for s in case.get("samples", [])]
    try:
        state = json.loads((path / "playground.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    return {"run_id": run_id, "case": case, "spread": spread(samples), "state": state}


async def run_file(request: Request) -> Response:
    """An image of a playground run, read bounded from inside that run's directory."""
    web = context(request)
    run_id, name = request.path_params["run_id"], request.path_params["file"]
    root = playground_root(web.library)
    if "/" in run_id or run_id.startswith("."):
        return web.error(request, "not a run id", 404)
    try:
        data = read_bytes(root / run_id / name, within=root / run_id, limit=IMAGE_LIMIT)
    except (ReadRefused, OSError):
        return web.error(request, f"no file {name} in run {run_id}", 404)
    kind = name.rsplit(".", 1)[-1].lower().replace("jpg", "jpeg")
    if kind not in ("png", "jpeg", "webp", "gif"):
        return web.error(request, "only images are served from a run", 404)
    return Response(data, media_type=f"image/{kind}", headers={"cache-control": "max-age=3600"})


async def project_file(request: Request) -> Response:
    """A project image an image variable may name (the brush draws over it); nothing else in the project."""
    web = context(request)
    name = request.path_params["path"]
    if name not in project_images(web.root):
        return web.error(request, f"{name} is not an image of this project", 404)
    try:
        data = read_bytes(web.root / name, within=web.root, limit=IMAGE_LIMIT)
    except (ReadRefused, OSError):
        return web.error(request, f"{name} cannot be read", 404)
    kind = name.rsplit(".", 1)[-1].lower().replace("jpg", "jpeg")
    return Response(data, media_type=f"image/{kind}")


def page() -> Page:
    from promptlib.web._compare import heatmap
    from promptlib.web._generate import generate, rerun, run_events
    from promptlib.web._save import save, save_preview

    return Page(
        "Play",
        "/play",
        [
            Route("/play", play_index),
            Route("/play/{template_id:path}", play_page),
            Route("/actions/render", render_preview, methods=["POST"]),
            Route("/actions/generate", generate, methods=["POST"]),
            Route("/runs/{run_id}/rerun", rerun, methods=["POST"]),
            Route("/actions/parameters", parameters, methods=["POST"]),
            Route("/actions/save-preview", save_preview, methods=["POST"]),
            Route("/actions/save", save, methods=["POST"]),
            Route("/runs/{run_id}/events", run_events),
            Route("/runs/{run_id}/card", run_card),
            Route("/runs/{run_id}/files/{file:path}", run_file),
            Route("/compare/heatmap", heatmap),
            Route("/project-file/{path:path}", project_file),
        ],
    )

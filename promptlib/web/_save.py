"""Save as new version: the YAML and rendered-prompt diffs first, then the write, the lock and the check.

The new file is the old one with the editor's text and `version:` + 1 (ruamel round trip: comments and layout
kept), validated by the loader `check` uses before anything is written. It is written through the write guard
with the sha256 the page loaded (409 when the file changed on disk meanwhile), then `update_lock` (the code
`promptlib lock` runs) pins it. Optionally the current values become an example, or a case in a suite.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from promptlib.core._bounded import IMAGE_LIMIT, read_text
from promptlib.core._problems import problems_of
from promptlib.evals._check import check_project
from promptlib.exceptions import PromptlibError
from promptlib.prompts._lock import lock_path, update_lock
from promptlib.prompts._templates import template_from_text
from promptlib.web._app import WebContext, context
from promptlib.web._play_state import Outcome, PlayState, file_text, state_from_form
from promptlib.web._security import FileChanged, WriteRefused
from promptlib.web._yaml_edit import new_version, with_case

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _diff(old: str, new: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), before, after))


async def _plan(request: Request) -> tuple[WebContext, PlayState, dict[str, Any]]:
    """The new file text, its diffs, and the example/case to add, from the posted form."""
    web = context(request)
    library = web.fresh_library()
    async with request.form(max_part_size=IMAGE_LIMIT) as form:
        template = library.get(str(form.get("template_id") or ""))
        state = await state_from_form(form, template)
    old_text, _ = file_text(library, template.id)
    example_name = str(form.get("example_name") or "").strip()
    suite, case_id = str(form.get("suite") or "").strip(), str(form.get("case_id") or "").strip()
    for value, what in ((example_name, "example name"), (case_id, "case id")):
        if value and not NAME.match(value):
            raise ValueError(f"{what} {value!r}: use lowercase letters, digits, '.', '_' and '-'")
    values = _typed_values(library, template, state)
    new_text = new_version(old_text, state.template_text, (example_name, values) if example_name else None)
    new = template_from_text(template.id, new_text, template.path, library.compiler, library.settings.root)
    old_prompt = _prompt(template, values)
    new_prompt = _prompt(new, values)
    old = template.version
    plan = {
        "template_id": template.id, "relative": template.path.relative_to(web.root).as_posix(),
        "old_version": template.version, "new_version": new.version, "new_text": new_text,
        "yaml_diff": _diff(old_text, new_text, f"a/{template.id} v{old}", f"b/{template.id} v{new.version}"),
        "prompt_diff": _diff(old_prompt, new_prompt, "rendered before", "rendered after"),
        "example_name": example_name, "suite": suite, "case_id": case_id, "values": values,
    }  # fmt: skip
    return web, state, plan


def _typed_values(library: Any, template: Any, state: PlayState) -> dict[str, Any]:
    """The values as the template checks them (numbers as numbers), without images' uploaded bytes."""
    from promptlib.prompts._rendering import check_values

    texts = {k: v for k, v in state.values.items() if k in template.variables and v != ""}
    typed = check_values(template, texts, from_text=True, partial=True)
    return {k: v for k, v in typed.items() if not isinstance(v, bytes)}


def _prompt(template: Any, values: dict[str, Any]) -> str:
    try:
        return str(template.render(values).prompt) + "\n"
    except PromptlibError as exc:
        return f"(does not render: {exc})\n"


async def save_preview(request: Request) -> Response:
    """The diffs and a confirm button; nothing is written."""
    try:
        web, state, plan = await _plan(request)
    except (PromptlibError, ValueError) as exc:
        return context(request).error(request, _problem(exc), 422)
    return web.page(request, "save_preview.html.j2", {"plan": plan, "state": state})


async def save(request: Request) -> Response:
    try:
        web, state, plan = await _plan(request)
    except (PromptlibError, ValueError) as exc:
        return context(request).error(request, _problem(exc), 422)
    try:
        web.guard.target(lock_path(web.library.settings.prompts_dir).relative_to(web.root).as_posix())
        suite_write = _suite_text(web, plan) if plan["suite"] and plan["case_id"] else None
        web.guard.write(plan["relative"], plan["new_text"].encode(), expected_sha256=state.file_sha256)
        if suite_write is not None:
            web.guard.write(*suite_write)
    except FileChanged as exc:
        return web.error(request, str(exc), 409)
    except (WriteRefused, PromptlibError, ValueError) as exc:
        return web.error(request, _problem(exc), 403 if isinstance(exc, WriteRefused) else 422)
    library = web.fresh_library()
    _, lock_problems = update_lock(library)
    report = check_project(web.fresh_library())
    _, new_sha = file_text(library, plan["template_id"])
    return web.page(request, "save_done.html.j2", {
        "plan": plan, "lock_problems": [str(p) for p in lock_problems], "new_sha": new_sha,
        "check_problems": [str(p) for p in report.problems], "check_warnings": [str(w) for w in report.warnings],
    })  # fmt: skip


def _suite_text(web: WebContext, plan: dict[str, Any]) -> tuple[str, bytes]:
    relative = f"evals/{plan['suite']}.yaml"
    web.guard.target(relative)
    text = read_text(web.root / relative, within=web.root)
    return relative, with_case(text, plan["case_id"], plan["template_id"], plan["values"]).encode()


def _problem(exc: Exception) -> str:
    if isinstance(exc, PromptlibError):
        return "; ".join(str(p) for p in problems_of(exc))
    return str(exc)


__all__ = ["Outcome", "save", "save_preview"]

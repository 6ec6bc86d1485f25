"""report.html: one self-contained page a reviewer opens from a run directory (or a downloaded CI artifact).

The page is rendered from the results.json dict alone (so an old run can be re-rendered), through Jinja templates
with autoescape on: every value from the results is user data (prompts, case names, notes) and is escaped by the
template, never by hand. It has no external scripts, styles or fonts (artifacts are opened offline and from
`file://`): `static/report.css` and `static/report.js` are inlined, and the images beside it are linked by relative
path. It stays readable with JavaScript off (the status filter is CSS-only); the script only adds niceties.

The environment and the two files are loaded once per process: a report is written at the end of every eval.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from promptlib.reports._cards import LOW_SENSITIVITY_SENTENCE
from promptlib.reports._view import report_view

PAGE = "report.html.j2"
# A static file that could close its own element would let the rest of it become markup.
_CLOSES_ELEMENT = re.compile(r"</(style|script)|<!--", re.IGNORECASE)


@cache
def template_environment() -> jinja2.Environment:
    """The report's templates: `report.html.j2` and the macros in `macros/` (usable by a web app's pages too)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("promptlib.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


@cache
def report_css() -> str:
    return _static("report.css")


@cache
def report_script() -> str:
    return _static("report.js")


def _static(name: str) -> str:
    text = resources.files("promptlib.reports").joinpath("static", name).read_text(encoding="utf-8")
    if _CLOSES_ELEMENT.search(text):
        raise RuntimeError(f"promptlib/reports/static/{name} must not contain '</style', '</script' or '<!--'")
    return text


def render_report_html(results: Mapping[str, Any]) -> str:
    """The whole page for one run's results dict (`RunResult.to_dict()`, as saved in results.json)."""
    page = template_environment().get_template(PAGE)
    return page.render(
        run=report_view(results),
        css=Markup(report_css()),
        script=Markup(report_script()),
        low_sensitivity_sentence=LOW_SENSITIVITY_SENTENCE,
    )

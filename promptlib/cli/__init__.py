"""The ``promptlib`` command: a thin face over the library.

Each command parses its options, calls the library and prints. Errors become one
line on stderr and an exit code (0 ok, 1 problems found, 2 usage or config);
``--debug`` shows the traceback. Heavy modules are imported inside commands so
``promptlib --help`` starts fast. The group and its helpers are in `_base`; each
`_*_cmds` module registers its commands on it when imported here.
"""

from __future__ import annotations

from promptlib.cli import (  # noqa: F401 - imported for the commands they register
    _emulator_cmds,
    _eval_cmds,
    _generate_cmds,
    _project_cmds,
    _report_cmds,
    _review_cmds,
    _web_cmds,
)
from promptlib.cli._base import cli, echo
from promptlib.cli._values import render_from_options

__all__ = ["cli", "echo", "main", "render_from_options"]

_SHORT_HELP = {
    "approve": "Accept a run's samples as a case's goldens.",
    "bundle": "Write every template into one JSON file for apps.",
    "cache": "Inspect or prune the result cache.",
    "calibrate": "Measure a case's spread and the threshold it would get.",
    "check": "Every problem in the project, each at its line.",
    "diff": "Rendered-prompt diffs of templates changed since REF.",
    "emulator": "Serve the built-in Azure-compatible emulator.",
    "eval": "Run eval suites against their goldens.",
    "generate": "Render a template and run it on a deployment.",
    "goldens": "List golden sets, or prune unused ones.",
    "init": "Scaffold promptlib.yaml, prompts/ and evals/.",
    "list": "List the templates.",
    "lock": "Pin each template's content hash in prompts.lock.",
    "playground": "Try templates in the browser and save the winner.",
    "reject": "Record a known-bad sample of a case.",
    "review": "Review a run in the browser: queue, diffs, approve and reject.",
    "runs": "Prune old run directories.",
    "render": "Render a template's prompt text.",
    "report": "Show a run's report, or merge shard runs.",
    "schema": "Write JSON Schemas for editors.",
    "show": "Show a template's variables, parameters and examples.",
    "unreject": "Forget rejected images of a case.",
}
_EXAMPLES = {
    "approve": [
        "promptlib approve --all-new",
        "promptlib approve --case brand/logo --sample 0 --sample 2",
        "promptlib approve path/to/downloaded-run --case brand/logo",
        "promptlib approve path/to/downloaded-run --from approvals.json --dry-run",
    ],
    "eval": [
        "promptlib eval",
        "promptlib eval brand brand/logo-crane-symbol",
        "promptlib eval --dry-run --max-cost 2",
        "promptlib eval --changed-since origin/main --format github --junit eval.xml",
    ],
    "reject": ["promptlib reject --case brand/logo --sample 1 --reason 'garbled text'"],
    "review": ["promptlib review", "promptlib review path/to/downloaded-run --port 0"],
    "unreject": ["promptlib unreject --case brand/logo", "promptlib unreject --case brand/logo --sha 1a2b3c"],
    "render": [
        "promptlib render marketing/product-hero --example kettle-studio",
        "promptlib render marketing/product-hero --var product='Contoso kettle' --json",
    ],
    "generate": ["promptlib generate marketing/product-hero --example kettle-studio --out out"],
    "diff": ["promptlib diff", "promptlib diff origin/main --json"],
    "report": [
        "promptlib report --open",
        "promptlib report --format md",
        "promptlib report merge shards/* --out merged",
    ],
    "calibrate": ["promptlib calibrate brand/logo-crane-symbol --samples 8"],
    "init": ["promptlib init", "promptlib init path/to/repo"],
    "playground": ["promptlib playground", "promptlib playground --no-browser --port 0"],
}


def _describe_commands() -> None:
    for name, command in cli.commands.items():
        command.short_help = _SHORT_HELP.get(name, command.short_help)
        examples = _EXAMPLES.get(name)
        if examples and not command.epilog:
            command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in examples)


_describe_commands()


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="promptlib")


if __name__ == "__main__":  # pragma: no cover
    main()

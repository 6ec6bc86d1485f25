"""promptlib.yaml: found from anywhere in the repo, strict about keys, secrets only by reference and resolved lazily."""

from __future__ import annotations

import pytest
from project_helpers import Project

from promptlib import ConfigError, MissingEnvironmentVariable, ProjectNotFound, Settings, UnknownDeployment
from promptlib.config._deployment_entries import (
    DEFAULT_SCOPE,
    ApiKeyAuthConfig,
    AzureOpenAIDeployment,
    EmulatorDeployment,
    EntraAuth,
)
from promptlib.config._settings import find_config, load_settings
from promptlib.core._redact import redact


def _config_error(project: Project, text: str) -> ConfigError:
    project.write("promptlib.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(project.root)
    return info.value


def test_settings_from_the_fixture(project: Project) -> None:
    """Paths are relative to the file's directory; deployments are typed by kind."""
    settings = load_settings()
    assert isinstance(settings, Settings)
    assert settings.root == project.root
    assert settings.config_path == project.path("promptlib.yaml")
    assert settings.prompts_dir == project.path("prompts")
    assert settings.evals_dir == project.path("evals")
    assert settings.state_dir == project.path(".promptlib")
    assert isinstance(settings.deployment("local"), EmulatorDeployment)
    dev = settings.deployment("dev")
    assert isinstance(dev, AzureOpenAIDeployment)
    assert dev.endpoint == "${env:AZURE_OPENAI_ENDPOINT}"  # kept as written until used
    assert dev.auth == ApiKeyAuthConfig(type="api-key", env="AZURE_OPENAI_API_KEY")
    assert (dev.api_version, dev.api_style, dev.max_concurrency) == ("2025-04-01-preview", "deployments", 4)


def test_found_upward_from_a_subdirectory(project: Project) -> None:
    """promptlib.yaml is found from any directory below it."""
    deep = project.path("prompts/marketing/deeper")
    deep.mkdir()
    assert find_config(deep) == project.path("promptlib.yaml")
    assert load_settings(deep).root == project.root


def test_missing_start_directory_is_an_error(project: Project) -> None:
    """A start path that does not exist is refused rather than silently searched from its parent."""
    with pytest.raises(ProjectNotFound, match="does not exist"):
        find_config(project.path("prompts/typo"))


def test_start_may_be_a_file(project: Project) -> None:
    """Starting from a file searches from its directory."""
    assert find_config(project.path("prompts/marketing/hero-banner.yaml")) == project.path("promptlib.yaml")


def test_nearest_config_wins(project: Project) -> None:
    """A nested project (e.g. an example inside the repo) is its own project."""
    project.write("examples/demo/promptlib.yaml", "prompts: p\n")
    project.path("examples/demo/p").mkdir()
    settings = load_settings(project.path("examples/demo/p"))
    assert settings.root == project.path("examples/demo")
    assert settings.prompts_dir == project.path("examples/demo/p")


def test_no_config_anywhere(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Outside any project the error is a ConfigError (exit 2) that says to run `promptlib init`."""
    empty = tmp_path_factory.mktemp("nothing")
    with pytest.raises(ProjectNotFound) as info:
        load_settings(empty)
    assert info.value.exit_code == 2
    assert "no promptlib.yaml in" in str(info.value)
    assert "run `promptlib init` to create one" in str(info.value)


def test_builtin_local_deployment(project: Project) -> None:
    """A config with no deployments still has `local`, the emulator, as its default."""
    project.write("promptlib.yaml", "prompts: prompts\n")
    settings = load_settings()
    assert settings.config.default_deployment == "local"
    assert settings.deployment("local") == EmulatorDeployment(kind="emulator")


@pytest.mark.parametrize("text", ["", "\n", "# all defaults\n"])
def test_empty_config_means_all_defaults(project: Project, text: str) -> None:
    """An empty promptlib.yaml (or only comments) is a project with every default, not an error."""
    project.write("promptlib.yaml", text)
    settings = load_settings()
    assert settings.prompts_dir == project.path("prompts")
    assert settings.deployment_name() == "local"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("prompts: prompts\nprompt_dir: x\n", 2, "prompt_dir: unknown field"),
        ("deployments:\n  local:\n    kind: emulator\n    colour: red\n", 4, "deployments.local.colour: unknown field"),
        ("deployments:\n  dev:\n    kind: azure\n", 2, "deployments.dev: Input tag 'azure' found using 'kind'"),
        ("deployments:\n  dev:\n    endpoint: x\n", 2, "deployments.dev"),
        (
            "deployments:\n  dev:\n    kind: azure-openai\n    endpoint: https://x\n    deployment: d\n"
            "    model: gpt image 2\n    auth: {type: entra}\n",  # any name works, but not with spaces
            6,
            "model",
        ),
        ("default_deployment: prod\n", 1, "default_deployment 'prod' is not under deployments:"),
        ("prompts: /etc\n", 1, "prompts: must be a directory inside the project"),
        ("evals: ../elsewhere\n", 1, "evals: must be a directory inside the project"),
        ("deployments:\n  local: {kind: emulator, max_concurrency: 0}\n", 2, "max_concurrency"),
        ("prompts: [a\n", 2, "invalid YAML"),
        ("prompts: a\nprompts: b\n", 2, "duplicate key 'prompts'"),
        ("- prompts\n", 1, "promptlib.yaml must be a YAML mapping, not list"),
    ],
)
def test_config_errors_name_file_and_line(project: Project, text: str, line: int, words: str) -> None:
    """Every config mistake is a ConfigError (exit 2) of the form promptlib.yaml:LINE: message."""
    error = _config_error(project, text)
    assert error.exit_code == 2
    assert str(error).startswith(f"promptlib.yaml:{line}: ")
    assert words in str(error)


@pytest.mark.parametrize(
    "auth",
    [
        "{type: api-key, key: abc123}",
        "{type: api-key, env: KEY, value: abc123}",
        "{type: entra, client_secret: abc123}",
        "{type: password, password: abc123}",
    ],
)
def test_secrets_cannot_be_written_inline(project: Project, auth: str) -> None:
    """There is no field a secret could go in: an inline key is an error, and the error does not echo it."""
    text = (
        "deployments:\n  dev:\n    kind: azure-openai\n    endpoint: https://x\n    deployment: d\n"
        f"    model: gpt-image-1\n    auth: {auth}\n"
    )
    error = _config_error(project, text)
    assert str(error).startswith("promptlib.yaml:7: deployments.dev")
    assert "abc123" not in str(error)


def test_openai_key_is_referenced_by_variable_name(project: Project) -> None:
    """An OpenAI deployment reads its key from OPENAI_API_KEY unless told another variable name."""
    project.write("promptlib.yaml", "deployments:\n  oa: {kind: openai, model: gpt-image-1}\n")
    deployment = load_settings().deployment("oa")
    assert deployment.auth == ApiKeyAuthConfig(type="api-key", env="OPENAI_API_KEY")  # type: ignore[union-attr]


def test_entra_and_v1_style(project: Project) -> None:
    """Entra auth needs no secret at all; the v1 API style and a YAML date api_version are accepted."""
    project.write(
        "promptlib.yaml",
        "deployments:\n  prod:\n    kind: azure-openai\n    endpoint: https://contoso.openai.azure.com\n"
        "    deployment: gpt-image-15\n    model: gpt-image-1.5\n    api_style: v1\n    api_version: 2025-04-01\n"
        "    auth: {type: entra}\n",
    )
    prod = load_settings().deployment("prod")
    assert isinstance(prod, AzureOpenAIDeployment)
    assert prod.auth == EntraAuth(type="entra", scope=DEFAULT_SCOPE)
    assert (prod.api_style, prod.api_version) == ("v1", "2025-04-01")


def test_env_references_resolve_lazily(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """${env:NAME} is resolved only when a deployment's value is used, naming the deployment and the variable."""
    settings = load_settings()  # loading works with the variable unset
    endpoint = settings.deployment("dev").endpoint  # type: ignore[union-attr]
    with pytest.raises(MissingEnvironmentVariable) as info:
        settings.resolve("dev", endpoint)
    error = info.value
    assert (error.deployment, error.variable, error.exit_code) == ("dev", "AZURE_OPENAI_ENDPOINT", 2)
    assert str(error) == (
        "promptlib.yaml: deployment 'dev' needs environment variable AZURE_OPENAI_ENDPOINT, which is not set"
    )
    assert isinstance(error, ConfigError)

    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://contoso.openai.azure.com")
    assert settings.resolve("dev", endpoint) == "https://contoso.openai.azure.com"
    assert redact("endpoint https://contoso.openai.azure.com") == "endpoint ***"  # masked once resolved
    assert settings.resolve("dev", "no references") == "no references"


def test_empty_environment_variable_counts_as_missing(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty value is as good as unset: it would only fail later with a vaguer error."""
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "")
    with pytest.raises(MissingEnvironmentVariable, match="AZURE_OPENAI_ENDPOINT"):
        load_settings().resolve("dev", "${env:AZURE_OPENAI_ENDPOINT}")


@pytest.mark.parametrize(
    ("field", "value"),
    [("endpoint", "http://attacker.example/${env:GITHUB_TOKEN}"), ("endpoint", "https://${env:HOST}.openai.azure.com"),
     ("deployment", "${env:GITHUB_TOKEN}")],
)  # fmt: skip
def test_env_references_fill_whole_endpoint_values_only(project: Project, field: str, value: str) -> None:
    """A reference inside a URL would put a secret in its path; elsewhere it would be sent as written."""
    text = project.path("promptlib.yaml").read_text()
    line = {"endpoint": "endpoint: ${env:AZURE_OPENAI_ENDPOINT}", "deployment": "deployment: gpt-image-15-dev"}[field]
    project.path("promptlib.yaml").write_text(text.replace(line, f"{field}: {value}", 1))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert f"deployments.dev.{field}: ${{env:NAME}}" in str(info.value)
    assert info.value.line == 1 + next(
        i
        for i, t in enumerate(project.path("promptlib.yaml").read_text().splitlines())
        if t.strip().startswith(f"{field}: {value}")
    )


def test_unknown_deployment(project: Project) -> None:
    """An undefined deployment name is UnknownDeployment (a LookupError, exit 2) listing the defined ones."""
    settings = load_settings()
    with pytest.raises(UnknownDeployment) as info:
        settings.deployment("prod")
    assert isinstance(info.value, LookupError)
    assert info.value.exit_code == 2
    assert str(info.value) == "promptlib.yaml: no deployment named 'prod'; promptlib.yaml defines: dev, local"


def test_deployment_name_precedence(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """--deployment beats PROMPTLIB_DEPLOYMENT, which beats default_deployment; each must exist."""
    settings = load_settings()
    assert settings.deployment_name() == "local"
    monkeypatch.setenv("PROMPTLIB_DEPLOYMENT", "dev")
    assert settings.deployment_name() == "dev"
    assert settings.deployment_name("local") == "local"
    monkeypatch.setenv("PROMPTLIB_DEPLOYMENT", "nope")
    with pytest.raises(UnknownDeployment):
        settings.deployment_name()


def test_unreadable_config(project: Project) -> None:
    """A config that is not UTF-8 is a ConfigError naming the file, not a crash."""
    project.path("promptlib.yaml").write_bytes(b"prompts: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"promptlib\.yaml: cannot read the file"):
        load_settings()

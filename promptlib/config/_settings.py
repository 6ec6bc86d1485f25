"""promptlib.yaml: project paths and named deployments, secrets only by reference.

``${env:NAME}`` references are kept as written and resolved only when a
deployment is used, so a missing production key never breaks a local render.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

from promptlib.core._bounded import ReadRefused, read_text
from promptlib.core._problems import Problem, raise_problems, validate_document
from promptlib.core._redact import register_secret
from promptlib.core._yaml import YamlDocument, parse_yaml
from promptlib.exceptions import ConfigError, MissingEnvironmentVariable, ProjectNotFound, UnknownDeployment
from promptlib.models._capabilities import ModelEntry

if TYPE_CHECKING:
    from promptlib.emulator import FaultConfig
    from promptlib.models._pricing import Price
    from promptlib.models._table import ModelSpec, ModelTable

CONFIG_FILE = "promptlib.yaml"
DEPLOYMENT_ENV = "PROMPTLIB_DEPLOYMENT"
#: A git ref whose promptlib.yaml supplies the deployments (CI sets it to the PR's base branch).
TRUSTED_CONFIG_ENV = "PROMPTLIB_TRUSTED_CONFIG"
DEFAULT_API_VERSION = "2025-04-01-preview"
DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
#: Any model name: what a model accepts comes from the model table (`promptlib models`), not from this type.
Model = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
DEFAULT_EMULATOR_MODEL = "gpt-image-2"

_WHOLE_ENV_REF = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")
#: Fields whose value may be an environment reference; everything else is taken literally.
ENV_FIELDS = ("endpoint", "base_url")
_STRICT = ConfigDict(extra="forbid", frozen=True)


def _env_references(field: str | None, value: object) -> None:
    """`${env:NAME}` fills a whole endpoint/base_url, never part of one (it would put a secret in a URL path)."""
    if field in ENV_FIELDS and isinstance(value, str):
        if "${" in value and not _WHOLE_ENV_REF.match(value):
            raise ValueError(f"${{env:NAME}} must be the whole value (`{field}: ${{env:NAME}}`), never part of a URL")
    elif "${env:" in repr(value):
        raise ValueError("${env:NAME} is read only as the whole value of endpoint or base_url; write the value here")


class ApiKeyAuthConfig(BaseModel):
    """Key read from an environment variable at call time; never written in the file."""

    model_config = _STRICT
    type: Literal["api-key"]
    env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Environment variable holding the key.")


class EntraAuth(BaseModel):
    """Microsoft Entra ID through azure-identity's DefaultAzureCredential."""

    model_config = _STRICT
    type: Literal["entra"]
    scope: str = DEFAULT_SCOPE


Auth = Annotated[ApiKeyAuthConfig | EntraAuth, Field(discriminator="type")]


class Prices(BaseModel):
    """USD per 1M tokens, overriding the model's list prices for one deployment (negotiated rates)."""

    model_config = _STRICT
    text_in: float = Field(ge=0)
    image_in: float = Field(ge=0)
    image_out: float = Field(ge=0)

    def to_price(self) -> Price:
        from promptlib.models._pricing import Price

        return Price(text_in=self.text_in, image_in=self.image_in, image_out=self.image_out)


class _Limits(BaseModel):
    model_config = _STRICT

    @field_validator(
        "endpoint",
        "base_url",
        "deployment",
        "model",
        "api_version",
        "api_style",
        "auth",
        "block",
        "prices",
        mode="before",
        check_fields=False,
    )
    @classmethod
    def _whole_env_references(cls, value: object, info: ValidationInfo) -> object:
        _env_references(info.field_name, value)
        return value

    max_concurrency: int = Field(4, ge=1, le=64)
    requests_per_minute: int | None = Field(None, ge=1)
    timeout: float = Field(
        600.0, gt=0, description="Seconds to wait for one response (the openai SDK's default: images can be slow)."
    )
    prices: Prices | None = Field(None, description="USD per 1M tokens; default: the model's list prices.")

    def output_identity(self) -> dict[str, object]:
        """Settings besides the request that change what comes back (part of the cache key); none for a service."""
        return {}


FaultName = Literal["429", "500", "503", "drop", "badjson", "truncate", "slow", "filter", "garble"]


class EmulatorFaults(BaseModel):
    """Faults the in-process emulator injects (see promptlib.emulator.FaultConfig); for reliability tests."""

    model_config = _STRICT
    latency_ms: float | tuple[float, float] = Field(0, description="Added latency: N ms, or [low, high] (random).")
    fail_rate: dict[FaultName, float] = Field(default_factory=dict, description="Fault → probability per request.")
    script: list[Literal["ok"] | FaultName] = Field(default_factory=list, description="Steps for the first requests.")
    retry_after_ms: int = Field(1000, ge=0, description="The wait an injected 429 asks for.")
    slow_ms: int = Field(30_000, ge=0, description="How long a slow answer stalls between headers and body.")
    rpm: int | None = Field(None, ge=1, description="Enforced requests per minute (Azure's 1 s/10 s windows).")

    @field_validator("fail_rate", mode="before")
    @classmethod
    def _names_as_text(cls, value: object) -> object:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value  # YAML reads 429 as int

    @field_validator("script", mode="before")
    @classmethod
    def _steps_as_text(cls, value: object) -> object:
        return [str(step) for step in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _consistent(self) -> EmulatorFaults:
        low, high = self.latency_ms if isinstance(self.latency_ms, tuple) else (self.latency_ms, self.latency_ms)
        if not 0 <= low <= high:
            raise ValueError("latency_ms must be N or [low, high] with 0 <= low <= high")
        if any(not 0 <= rate <= 1 for rate in self.fail_rate.values()) or sum(self.fail_rate.values()) > 1 + 1e-9:
            raise ValueError("each fail_rate must be between 0 and 1, and together at most 1")
        return self

    def to_emulator(self) -> FaultConfig:
        """The emulator's FaultConfig (imported lazily: loading a project must not load the emulator)."""
        from promptlib.emulator import FaultConfig

        return FaultConfig(
            latency_ms=self.latency_ms, fail_rate={str(k): v for k, v in self.fail_rate.items()},
            script=tuple(self.script), retry_after_ms=self.retry_after_ms, slow_ms=self.slow_ms, rpm=self.rpm,
        )  # fmt: skip


class EmulatorDeployment(_Limits):
    """The built-in emulator: in-process, no network, no key."""

    kind: Literal["emulator"]
    model: Model = DEFAULT_EMULATOR_MODEL
    variance: float = Field(0.0, ge=0, le=1, description="How much repeated samples differ.")
    seed: int | None = None
    block: list[str] = Field(default_factory=list, description="Terms the emulated safety system refuses.")
    faults: EmulatorFaults = Field(default_factory=EmulatorFaults, description="Injected faults and RPM limit.")

    def output_identity(self) -> dict[str, object]:
        """Variance and seed shape every image: changing them must not return last week's cached ones."""
        return {"emulator": {"variance": self.variance, "seed": self.seed}}


class AzureOpenAIDeployment(_Limits):
    """An Azure OpenAI (Foundry) image deployment."""

    kind: Literal["azure-openai"]
    endpoint: str = Field(description="https://<resource>.openai.azure.com, or ${env:NAME}.")
    deployment: str = Field(min_length=1, description="Azure deployment name (goes in the URL).")
    model: Model
    api_version: str = DEFAULT_API_VERSION
    api_style: Literal["deployments", "v1"] = "deployments"
    auth: Auth

    @field_validator("api_version", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        return value.isoformat() if hasattr(value, "isoformat") else value


class OpenAIDeployment(_Limits):
    """OpenAI's public API or a compatible gateway."""

    kind: Literal["openai"]
    base_url: str = "https://api.openai.com/v1"
    model: Model
    auth: ApiKeyAuthConfig = ApiKeyAuthConfig(type="api-key", env="OPENAI_API_KEY")


DeploymentConfig = Annotated[EmulatorDeployment | AzureOpenAIDeployment | OpenAIDeployment, Field(discriminator="kind")]


class ProjectConfig(BaseModel):
    """The whole promptlib.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="promptlib project config")

    prompts: str = "prompts"
    evals: str = "evals"
    default_deployment: str = "local"
    deployments: dict[str, DeploymentConfig] = Field(default_factory=dict)
    models: dict[Model, ModelEntry] = Field(
        default_factory=dict, description="Add models promptlib does not know, or override its table's entries."
    )

    @field_validator("prompts", "evals")
    @classmethod
    def _relative(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError("must be a directory inside the project")
        return value

    @model_validator(mode="after")
    def _with_builtin_local(self) -> ProjectConfig:
        if "local" not in self.deployments:
            self.deployments["local"] = EmulatorDeployment(kind="emulator")
        if self.default_deployment not in self.deployments:
            raise ValueError(f"default_deployment {self.default_deployment!r} is not under deployments:")
        return self


@dataclass(frozen=True)
class Settings:
    """A loaded project: where it lives and what promptlib.yaml says."""

    root: Path
    config: ProjectConfig
    config_path: Path | None
    document: YamlDocument | None = None  # where the deployments were read: lines for their errors
    trusted_ref: str | None = None  # PROMPTLIB_TRUSTED_CONFIG, when the deployments came from that ref
    deployments_differ: bool = False  # ... and the working tree's promptlib.yaml says something else

    def line_of(self, *location: str | int) -> int | None:
        return self.document.line_of(tuple(location)) if self.document is not None else None

    @property
    def deployments_path(self) -> Path | None:
        """The file deployment errors name: promptlib.yaml, or `REF:promptlib.yaml` when pinned to a ref."""
        return self.document.path if self.document is not None else self.config_path

    @property
    def trust_note(self) -> str | None:
        """One line for check and eval when the PR's own deployments were set aside."""
        if self.trusted_ref is None or not self.deployments_differ:
            return None
        return (
            f"deployments come from {self.trusted_ref}'s {CONFIG_FILE} ({TRUSTED_CONFIG_ENV}); this change's "
            "edits to them take effect once merged"
        )

    @property
    def prompts_dir(self) -> Path:
        return self.root / self.config.prompts

    @property
    def evals_dir(self) -> Path:
        return self.root / self.config.evals

    @property
    def state_dir(self) -> Path:
        return self.root / ".promptlib"

    def deployment_name(self, override: str | None = None, template_default: str | None = None) -> str:
        """--deployment, then PROMPTLIB_DEPLOYMENT, then the template's own, then default_deployment."""
        name = override or os.environ.get(DEPLOYMENT_ENV) or template_default or self.config.default_deployment
        self.deployment(name)
        return name

    def deployment(self, name: str) -> EmulatorDeployment | AzureOpenAIDeployment | OpenAIDeployment:
        try:
            return self.config.deployments[name]
        except KeyError:
            known = ", ".join(sorted(self.config.deployments))
            raise UnknownDeployment(
                f"no deployment named {name!r}; promptlib.yaml defines: {known}", path=self.config_path
            ) from None

    @cached_property
    def models(self) -> ModelTable:
        """promptlib's model table with this project's ``models:`` laid over it."""
        from promptlib.models._table import shipped_table

        return shipped_table().with_overrides(self.config.models)

    def model_spec(self, name: str) -> ModelSpec | None:
        """What the deployment's model accepts (None: a model neither the table nor ``models:`` knows)."""
        return self.models.get(self.deployment(name).model)

    def price(self, name: str) -> Price | None:
        """The deployment's ``prices:`` override, else its model's prices from the table (None: unknown model)."""
        from promptlib.models._pricing import model_price

        prices = self.deployment(name).prices
        return prices.to_price() if prices is not None else model_price(self.model_spec(name))

    def resolve(self, deployment: str, value: str) -> str:
        """The value of an endpoint field: literal, or the environment variable ``${env:NAME}`` names.

        A resolved value is registered as a secret the moment it is read, so no message, log line or report
        can echo it (a PR may point an endpoint at the variable holding the key).
        """
        match = _WHOLE_ENV_REF.match(value)
        if match is None:
            return value
        return self.env_value(deployment, match.group(1))

    def env_value(self, deployment: str, variable: str) -> str:
        """An environment variable a deployment needs (masked from then on), naming it when it is unset."""
        found = os.environ.get(variable)
        if not found:
            raise MissingEnvironmentVariable(
                f"deployment {deployment!r} needs environment variable {variable}, which is not set",
                deployment=deployment,
                variable=variable,
                path=self.deployments_path,
            )
        return register_secret(found)


def find_config(start: Path | None = None) -> Path:
    """promptlib.yaml in ``start`` (default: cwd) or the nearest parent that has one."""
    here = (start or Path.cwd()).resolve()
    if not here.exists():  # a typo in -C or Library.load() must not fall back to some parent's project
        raise ProjectNotFound(f"{start} does not exist; give the project directory (where promptlib.yaml is)")
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            return candidate
    raise ProjectNotFound(f"no {CONFIG_FILE} in {here} or any parent; run `promptlib init` to create one")


def load_settings(start: Path | str | None = None) -> Settings:
    """Find and validate promptlib.yaml; configuration errors exit 2 and name the file."""
    path = find_config(Path(start) if start is not None else None)
    try:
        text = read_text(path, within=path.parent)
    except (OSError, UnicodeDecodeError, ReadRefused) as exc:
        raise ConfigError(f"cannot read the file: {exc}", path=path) from None
    config, doc = _parse_config(text, path)
    settings = Settings(root=path.parent, config=config, config_path=path, document=doc)
    ref = os.environ.get(TRUSTED_CONFIG_ENV, "").strip()
    return _pin_deployments(settings, ref) if ref else settings


def _parse_config(text: str, path: Path) -> tuple[ProjectConfig, YamlDocument | None]:
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return ProjectConfig(), None  # empty: all defaults
    doc = parse_yaml(text, path, error=ConfigError)
    config: ProjectConfig = validate_document(ProjectConfig, doc, ConfigError, "promptlib.yaml")
    _check_models(config, doc)
    return config, doc


def _check_models(config: ProjectConfig, doc: YamlDocument) -> None:
    """``models:`` entries must resolve (``extends`` a known model, no cycle): one line naming the entry."""
    from promptlib.models._table import ModelTableError, shipped_table

    try:
        shipped_table().with_overrides(config.models)
    except ModelTableError as exc:
        line = doc.line_of(("models", exc.model, "extends")) or doc.line_of(("models", exc.model))
        raise_problems(ConfigError, [Problem(doc.path, line, f"models.{exc.model}.{exc}")])


def _pin_deployments(settings: Settings, ref: str) -> Settings:
    """The deployments (and model prices) of promptlib.yaml at ``ref`` in place of the working tree's: a PR
    cannot redirect them, nor lower the prices a budget is checked against."""
    from promptlib.core._git import Git

    assert settings.config_path is not None
    git = Git.find(settings.root)
    if git is None:
        raise ConfigError(
            f"{TRUSTED_CONFIG_ENV} is set, but the project is not in a git repository", path=settings.config_path
        )
    commit = git.commit_of(ref)
    if commit is None:
        raise ConfigError(
            f"{TRUSTED_CONFIG_ENV}={ref!r} names no commit; fetch it (actions/checkout with "
            "fetch-depth: 0) or fix the ref",
            path=settings.config_path,
        )
    relative = git.relative(settings.config_path)
    text = git.show(commit, relative)
    if text is None:
        raise ConfigError(
            f"{TRUSTED_CONFIG_ENV}={ref}: {relative} does not exist at that commit; merge a "
            f"{CONFIG_FILE} into {ref} first",
            path=settings.config_path,
        )
    trusted, doc = _parse_config(text, Path(f"{ref}:{relative}"))
    pinned = settings.config.model_copy(update={
        "deployments": dict(trusted.deployments), "default_deployment": trusted.default_deployment,
        "models": dict(trusted.models),
    })  # fmt: skip
    differ = (trusted.deployments != settings.config.deployments
              or trusted.default_deployment != settings.config.default_deployment
              or trusted.models != settings.config.models)  # fmt: skip
    return Settings(
        root=settings.root,
        config=pinned,
        config_path=settings.config_path,
        document=doc,
        trusted_ref=ref,
        deployments_differ=differ,
    )

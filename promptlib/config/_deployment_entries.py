"""The entries of promptlib.yaml's `deployments:`: each kind's fields, auth by reference, limits, emulator faults.

Strict (unknown keys are errors at their line) and frozen; `${env:NAME}` references are allowed only in the fields
`ENV_FIELDS` names, and only as the whole value, so a secret cannot be spliced into a URL.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

if TYPE_CHECKING:
    from promptlib.emulator import FaultConfig
    from promptlib.models._pricing import Price

DEFAULT_API_VERSION = "2025-04-01-preview"
DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
#: Any model name: what a model accepts comes from the model table (`promptlib models`), not from this type.
Model = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
DEFAULT_EMULATOR_MODEL = "gpt-image-2"

WHOLE_ENV_REF = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")
#: Fields whose value may be an environment reference; everything else is taken literally.
ENV_FIELDS = ("endpoint", "base_url")
_STRICT = ConfigDict(extra="forbid", frozen=True)


def _env_references(field: str | None, value: object) -> None:
    """`${env:NAME}` fills a whole endpoint/base_url, never part of one (it would put a secret in a URL path)."""
    if field in ENV_FIELDS and isinstance(value, str):
        if "${" in value and not WHOLE_ENV_REF.match(value):
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

"""promptlib.yaml: project paths and named deployments, secrets only by reference.

``${env:NAME}`` references are kept as written and resolved only when a
deployment is used, so a missing production key never breaks a local render.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from promptlib.config._deployment_entries import (
    WHOLE_ENV_REF,
    AzureOpenAIDeployment,
    DeploymentConfig,
    EmulatorDeployment,
    Model,
    OpenAIDeployment,
)
from promptlib.core._bounded import ReadRefused, read_text
from promptlib.core._problems import Problem, raise_problems, validate_document
from promptlib.core._redact import register_secret
from promptlib.core._yaml import YamlDocument, parse_yaml
from promptlib.exceptions import ConfigError, MissingEnvironmentVariable, ProjectNotFound, UnknownDeployment
from promptlib.models._capabilities import ModelEntry

if TYPE_CHECKING:
    from promptlib.models._pricing import Price
    from promptlib.models._table import ModelSpec, ModelTable

CONFIG_FILE = "promptlib.yaml"
DEPLOYMENT_ENV = "PROMPTLIB_DEPLOYMENT"
#: A git ref whose promptlib.yaml supplies the deployments (CI sets it to the PR's base branch).
TRUSTED_CONFIG_ENV = "PROMPTLIB_TRUSTED_CONFIG"


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


#: Where promptlib keeps its caches, locks and runs, under the project root (never committed).
STATE_DIR = ".promptlib"


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
        return self.root / STATE_DIR

    @cached_property
    def committed_state(self) -> str | None:
        """One line when git tracks files under .promptlib/, else None. Caches that came with the checkout
        may have been written by whoever wrote the pull request — a result no model drew, a hash no image
        has, a reading of text that is not there — so while any is tracked, check and eval read and write
        none of them."""
        from promptlib.core._git import tracked
        from promptlib.core._safe_text import one_line

        files = tracked(self.root, STATE_DIR)
        if not files:
            return None
        return (
            f"{len(files)} file(s) under {STATE_DIR}/ are committed to git (e.g. {one_line(files[0])[:200]}): "
            "caches there could be forged by whoever committed them, so none is read or written; remove them "
            f"with `git rm -r --cached {STATE_DIR}` and keep {STATE_DIR}/ in .gitignore"
        )

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
        match = WHOLE_ENV_REF.match(value)
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

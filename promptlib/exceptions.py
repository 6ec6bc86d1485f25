"""Every error promptlib raises on purpose.

The tree, so callers can catch as broadly or narrowly as they need::

    PromptlibError                      exit code 1 unless a subclass says otherwise
    ├── ConfigError                     promptlib.yaml or the environment is wrong (exit 2)
    │   ├── ProjectNotFound             no promptlib.yaml in the directory or any parent
    │   ├── UnknownDeployment           (also LookupError)
    │   ├── MissingEnvironmentVariable  a ${env:NAME} a deployment needs is unset
    │   └── UntrustedEndpoint           a secret would go to a host or audience outside the trust boundary
    ├── UsageError                      a command or call was given bad arguments (exit 2)
    ├── TemplateError                   a prompt template or suite is wrong (carries path + line)
    │   ├── TemplateNotFound            (also LookupError)
    │   ├── TemplateValidationError     bad YAML, unknown fields, wrong types, bad parameters
    │   ├── TemplateSecurityError       a sandbox escape or a path that leaves prompts/
    │   ├── RenderError                 rendering failed at run time
    │   │   ├── VariableError           missing, undeclared or invalid variable values
    │   │   └── ResourceLimitExceeded   a template tried to allocate or loop without bound
    │   └── VersionMismatch             get(id, version=N) found another version
    ├── LockError                       prompts.lock disagrees with the templates
    ├── BundleError                     a bundle file is unreadable, malformed or was modified
    ├── ExecutionError                  a deployment call failed (deployment, status, request id)
    │   ├── AuthenticationFailed
    │   ├── RateLimited
    │   └── ContentBlocked              the service's safety system refused the request
    └── GoldenError                     golden images or manifests are missing or inconsistent

Every error renders as one line that names the file (and line) or deployment and
says what to do, because that line is all a CI log shows.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "AuthenticationFailed",
    "BundleError",
    "ConfigError",
    "ContentBlocked",
    "ExecutionError",
    "GoldenError",
    "LockError",
    "MissingEnvironmentVariable",
    "ProjectNotFound",
    "PromptlibError",
    "RateLimited",
    "RenderError",
    "ResourceLimitExceeded",
    "TemplateError",
    "TemplateNotFound",
    "TemplateSecurityError",
    "TemplateValidationError",
    "UnknownDeployment",
    "UntrustedEndpoint",
    "UsageError",
    "VariableError",
    "VersionMismatch",
]


class PromptlibError(Exception):
    """Root of every deliberate promptlib failure.

    ``path`` and ``line`` locate the problem when it comes from a file; ``str(err)``
    is the one-line message the CLI prints.
    """

    exit_code = 1

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        super().__init__(message)

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = _display_path(self.path)
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


def _display_path(path: Path) -> str:
    """Show paths relative to the working directory when they are under it, as compilers do.

    The path as named comes first: resolving it would show a symlink as its target.
    """
    try:
        cwd = Path.cwd().resolve()
        for candidate in (Path(os.path.abspath(path)), path.resolve()):
            if candidate.is_relative_to(cwd):
                return str(candidate.relative_to(cwd))
    except OSError:
        pass
    return str(path)


class ConfigError(PromptlibError):
    """The project configuration or the environment it refers to is wrong."""

    exit_code = 2


class ProjectNotFound(ConfigError):
    """No promptlib.yaml was found from the starting directory upward."""


class UnknownDeployment(ConfigError, LookupError):
    """A deployment name that promptlib.yaml does not define."""


class MissingEnvironmentVariable(ConfigError):
    """A ``${env:NAME}`` reference of a deployment that is being used is unset."""

    def __init__(self, message: str, *, deployment: str, variable: str, path: Path | None = None) -> None:
        super().__init__(message, path=path)
        self.deployment = deployment
        self.variable = variable


class UntrustedEndpoint(ConfigError):
    """A deployment would send its key or token to a host (or ask for a token audience) nobody vouched for.

    Refused before any connection: the endpoint may come from a pull request. Allow a gateway with
    ``PROMPTLIB_ALLOWED_HOSTS`` (and a scope with ``PROMPTLIB_ALLOWED_SCOPES``) in the CI environment.
    """


class UsageError(PromptlibError):
    """Bad arguments to a command or an API call."""

    exit_code = 2


class TemplateError(PromptlibError):
    """Something is wrong with a template, partial or suite file."""


class TemplateNotFound(TemplateError, LookupError):
    """No template with that id exists under prompts/."""


class TemplateValidationError(TemplateError):
    """The file is not valid YAML or does not match the template format."""


class TemplateSecurityError(TemplateError):
    """The template tried to leave its sandbox (internals, files outside prompts/)."""


class RenderError(TemplateError):
    """Rendering failed."""


class VariableError(RenderError):
    """Variable values are missing, undeclared or of the wrong type."""

    exit_code = 2


class ResourceLimitExceeded(RenderError):
    """A template tried to build a huge value or loop without bound."""


class VersionMismatch(TemplateError):
    """A caller asked for a version the library does not hold."""


class LockError(PromptlibError):
    """prompts.lock disagrees with the templates on disk."""


class BundleError(PromptlibError):
    """A bundle cannot be trusted: unreadable, not a bundle, or its checksum or hashes disagree.

    Refusing is the point: an app must render the versions that were tested or
    nothing, never a silently altered prompt.
    """


class ExecutionError(PromptlibError):
    """A call to a deployment failed; carries what an operator needs to trace it."""

    def __init__(
        self,
        message: str,
        *,
        deployment: str,
        status: int | None = None,
        request_id: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.reason = message
        self.deployment = deployment
        self.status = status
        self.request_id = request_id
        self.attempts = attempts
        details = [f"deployment {deployment!r}"]
        if status is not None:
            details.append(f"HTTP {status}")
        if attempts > 1:
            details.append(f"{attempts} attempts")
        if request_id:
            details.append(f"request id {request_id}")
        super().__init__(f"{message} ({', '.join(details)})")


class AuthenticationFailed(ExecutionError):
    """The deployment refused the credentials (401/403)."""

    exit_code = 2


class RateLimited(ExecutionError):
    """The deployment kept answering 429 after every retry."""


class ContentBlocked(ExecutionError):
    """The service's safety system refused the prompt; an outcome, never retried."""

    def __init__(
        self,
        message: str,
        *,
        deployment: str,
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
        categories: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, deployment=deployment, status=status, request_id=request_id)
        self.code = code
        self.categories = categories


class GoldenError(PromptlibError):
    """Golden images or their manifests are missing or inconsistent."""

"""promptlib: image-generation prompts as code.

Templates are versioned YAML with Jinja variables; a :class:`Library` finds them
by id, renders them in a sandbox and runs them against named deployments::

    import promptlib
    lib = promptlib.Library.load()
    rendered = lib.render("marketing/hero-banner", product="Trailblazer")

Names are imported on first use (PEP 562) so the command line starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from promptlib.exceptions import (
    AuthenticationFailed,
    BundleError,
    ConfigError,
    ContentBlocked,
    ExecutionError,
    GoldenError,
    LockError,
    MissingEnvironmentVariable,
    ProjectNotFound,
    PromptlibError,
    RateLimited,
    RenderError,
    ResourceLimitExceeded,
    TemplateError,
    TemplateNotFound,
    TemplateSecurityError,
    TemplateValidationError,
    UnknownDeployment,
    UntrustedEndpoint,
    UsageError,
    VariableError,
    VersionMismatch,
)

if TYPE_CHECKING:
    from promptlib._library import Library
    from promptlib.client._requests import ImageRequest
    from promptlib.client._results import FilteredImage, GeneratedImage, GenerationResult
    from promptlib.client._streaming import PartialImage
    from promptlib.config._settings import Settings
    from promptlib.models._parameters import ImageParameters
    from promptlib.models._pricing import Usage
    from promptlib.prompts._bundle import Bundle
    from promptlib.prompts._rendered import InputImage, RenderedPrompt
    from promptlib.prompts._templates import PromptTemplate

__all__ = [
    "AuthenticationFailed",
    "Bundle",
    "BundleError",
    "ConfigError",
    "ContentBlocked",
    "ExecutionError",
    "FilteredImage",
    "GeneratedImage",
    "GenerationResult",
    "GoldenError",
    "ImageParameters",
    "ImageRequest",
    "InputImage",
    "Library",
    "LockError",
    "MissingEnvironmentVariable",
    "PartialImage",
    "ProjectNotFound",
    "PromptTemplate",
    "PromptlibError",
    "RateLimited",
    "RenderError",
    "RenderedPrompt",
    "ResourceLimitExceeded",
    "Settings",
    "TemplateError",
    "TemplateNotFound",
    "TemplateSecurityError",
    "TemplateValidationError",
    "UnknownDeployment",
    "UntrustedEndpoint",
    "Usage",
    "UsageError",
    "VariableError",
    "VersionMismatch",
    "__version__",
]

_LAZY = {
    "Bundle": "promptlib.prompts._bundle",
    "FilteredImage": "promptlib.client._results",
    "GeneratedImage": "promptlib.client._results",
    "GenerationResult": "promptlib.client._results",
    "ImageParameters": "promptlib.models._parameters",
    "ImageRequest": "promptlib.client._requests",
    "Usage": "promptlib.models._pricing",
    "InputImage": "promptlib.prompts._rendered",
    "PartialImage": "promptlib.client._streaming",
    "Library": "promptlib._library",
    "PromptTemplate": "promptlib.prompts._templates",
    "RenderedPrompt": "promptlib.prompts._rendered",
    "Settings": "promptlib.config._settings",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("promptlib")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'promptlib' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

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

from .exceptions import (
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
    from ._bundle import Bundle
    from ._config import Settings
    from ._library import Library
    from ._parameters import ImageParameters
    from ._pricing import Usage
    from ._rendered import InputImage, RenderedPrompt
    from ._requests import ImageRequest
    from ._results import FilteredImage, GeneratedImage, GenerationResult
    from ._streaming import PartialImage
    from ._templates import PromptTemplate

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
    "Bundle": "._bundle",
    "FilteredImage": "._results",
    "GeneratedImage": "._results",
    "GenerationResult": "._results",
    "ImageParameters": "._parameters",
    "ImageRequest": "._requests",
    "Usage": "._pricing",
    "InputImage": "._rendered",
    "PartialImage": "._streaming",
    "Library": "._library",
    "PromptTemplate": "._templates",
    "RenderedPrompt": "._rendered",
    "Settings": "._config",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("promptlib")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'promptlib' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

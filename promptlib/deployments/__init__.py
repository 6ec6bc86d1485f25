"""Deployment kinds: each turns a promptlib.yaml entry into an :class:`Endpoint`.

The HTTP client is the same for every kind; only the URL, query, body ``model``
field, auth and transport differ. Adding a kind means adding a module here.
"""

from __future__ import annotations

from dataclasses import replace

from promptlib.client._endpoint import Endpoint
from promptlib.config._deployment_entries import AzureOpenAIDeployment, EmulatorDeployment, OpenAIDeployment
from promptlib.config._settings import Settings
from promptlib.deployments.azure_openai import azure_endpoint, check_azure
from promptlib.deployments.emulator import emulator_endpoint
from promptlib.deployments.openai import check_openai, openai_endpoint

__all__ = ["Endpoint", "check_deployment", "endpoint_for"]


def check_deployment(settings: Settings, name: str) -> None:
    """Everything `endpoint_for` refuses (shape, trust, scope) without reading a key; ConfigError if any."""
    config = settings.deployment(name)
    if isinstance(config, AzureOpenAIDeployment):
        check_azure(settings, name, config)
    elif isinstance(config, OpenAIDeployment):
        check_openai(settings, name, config)


def endpoint_for(settings: Settings, name: str) -> Endpoint:
    """Resolve a named deployment (env references included) into something to call.

    Every kind gets its model's capabilities and prices from the model table (with the project's
    ``models:``); a deployment's own ``prices:`` still win.
    """
    config = settings.deployment(name)
    spec = settings.model_spec(name)
    if isinstance(config, EmulatorDeployment):
        endpoint = emulator_endpoint(name, config, spec)
    elif isinstance(config, AzureOpenAIDeployment):
        endpoint = azure_endpoint(settings, name, config)
    else:
        assert isinstance(config, OpenAIDeployment)
        endpoint = openai_endpoint(settings, name, config)
    return replace(endpoint, capabilities=spec, price=settings.price(name))

"""OpenAI's public API, or a compatible gateway: `{base_url}/images/...` with `model`."""

from __future__ import annotations

from promptlib.client._auth import ApiKeyAuth
from promptlib.client._endpoint import Endpoint
from promptlib.config._deployment_entries import OpenAIDeployment
from promptlib.config._settings import Settings
from promptlib.config._trust import TrustPolicy
from promptlib.deployments.urls import EndpointShapeError, understand_base_url
from promptlib.exceptions import ConfigError, UntrustedEndpoint


def openai_endpoint(settings: Settings, name: str, config: OpenAIDeployment) -> Endpoint:
    base = check_openai(settings, name, config)
    key = settings.env_value(name, config.auth.env)
    return Endpoint(
        name=name,
        kind="openai",
        model=config.model,
        base_url=base,
        body_model=config.model,
        auth=ApiKeyAuth(lambda: key, header="authorization"),
        output_formats=frozenset({"png", "jpeg", "webp"}),
        max_concurrency=config.max_concurrency,
        requests_per_minute=config.requests_per_minute,
        price=config.prices.to_price() if config.prices is not None else None,
        timeout=config.timeout,
    )


def check_openai(settings: Settings, name: str, config: OpenAIDeployment) -> str:
    """The base URL, once it is known to be trusted with the key."""
    line = settings.line_of("deployments", name, "base_url")
    try:
        base = understand_base_url(settings.resolve(name, config.base_url))
    except EndpointShapeError as exc:
        raise ConfigError(f"deployment {name!r}: base_url {exc}", path=settings.deployments_path, line=line) from None
    problem = TrustPolicy.from_environment().endpoint_problem(base, "openai")
    if problem is not None:
        raise UntrustedEndpoint(f"deployment {name!r}: base_url {problem}", path=settings.deployments_path, line=line)
    return base

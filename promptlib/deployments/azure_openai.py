"""Azure OpenAI: the dated `deployments` path (default) or the `v1` path, on trusted Azure hosts only."""

from __future__ import annotations

from urllib.parse import quote

from promptlib.client._auth import ApiKeyAuth, EntraTokenAuth
from promptlib.client._endpoint import Endpoint
from promptlib.config._deployment_entries import ApiKeyAuthConfig, AzureOpenAIDeployment
from promptlib.config._settings import Settings
from promptlib.config._trust import TrustPolicy
from promptlib.deployments.urls import ApiStyle, EndpointShapeError, UnderstoodEndpoint, understand_endpoint
from promptlib.exceptions import ConfigError, UntrustedEndpoint

V1_API_VERSIONS = ("v1", "preview")


def azure_endpoint(settings: Settings, name: str, config: AzureOpenAIDeployment) -> Endpoint:
    root, style = check_azure(settings, name, config)
    if style == "v1":
        base, body_model = f"{root}/openai/v1", config.deployment
        query = {"api-version": config.api_version} if "api_version" in config.model_fields_set else {}
    else:
        base, body_model = f"{root}/openai/deployments/{quote(config.deployment, safe='')}", None
        query = {"api-version": config.api_version}
    return Endpoint(
        name=name,
        kind="azure-openai",
        model=config.model,
        base_url=base,
        query=query,
        body_model=body_model,
        auth=_auth(settings, name, config),
        output_formats=frozenset({"png", "jpeg"}),
        max_concurrency=config.max_concurrency,
        requests_per_minute=config.requests_per_minute,
        price=config.prices.to_price() if config.prices is not None else None,
        timeout=config.timeout,
    )


def check_azure(settings: Settings, name: str, config: AzureOpenAIDeployment) -> tuple[str, ApiStyle]:
    """The resource root and URL style, once the endpoint and the Entra scope are known to be trusted."""
    understood, style = understood_azure(settings, name, config)
    policy = TrustPolicy.from_environment()
    problem = policy.endpoint_problem(understood.root, "azure-openai")
    if problem is not None:
        raise UntrustedEndpoint(
            f"deployment {name!r}: endpoint {problem}",
            path=settings.deployments_path,
            line=settings.line_of("deployments", name, "endpoint"),
        )
    if not isinstance(config.auth, ApiKeyAuthConfig):
        scope_problem = policy.scope_problem(config.auth.scope)
        if scope_problem is not None:
            raise UntrustedEndpoint(
                f"deployment {name!r}: Entra scope {config.auth.scope!r} {scope_problem}",
                path=settings.deployments_path,
                line=settings.line_of("deployments", name, "auth"),
            )
    return understood.root, style


def understood_azure(
    settings: Settings, name: str, config: AzureOpenAIDeployment
) -> tuple[UnderstoodEndpoint, ApiStyle]:
    """The endpoint as promptlib reads it (root and URL style), or a ConfigError that never quotes it."""
    line = settings.line_of("deployments", name, "endpoint")
    try:
        understood = understand_endpoint(settings.resolve(name, config.endpoint))
    except EndpointShapeError as exc:
        raise ConfigError(f"deployment {name!r}: endpoint {exc}", path=settings.deployments_path, line=line) from None
    explicit = config.api_style if "api_style" in config.model_fields_set else None
    if explicit is not None and understood.implied_style not in (None, explicit):
        raise ConfigError(
            f"deployment {name!r}: the endpoint ends in /openai/v1 but api_style is {explicit}; drop /openai/v1 "
            "from the endpoint or set api_style: v1", path=settings.deployments_path, line=line,
        )  # fmt: skip
    style: ApiStyle = explicit or understood.implied_style or "deployments"
    if style == "v1" and "api_version" in config.model_fields_set and config.api_version not in V1_API_VERSIONS:
        raise ConfigError(
            f"deployment {name!r}: the v1 API takes api_version v1 or preview, not {config.api_version!r} (dated "
            "versions belong to api_style: deployments)",
            path=settings.deployments_path, line=settings.line_of("deployments", name, "api_version"),
        )  # fmt: skip
    return understood, style


def _auth(settings: Settings, name: str, config: AzureOpenAIDeployment) -> ApiKeyAuth | EntraTokenAuth:
    if isinstance(config.auth, ApiKeyAuthConfig):
        key = settings.env_value(name, config.auth.env)
        return ApiKeyAuth(lambda: key, header="api-key")
    return EntraTokenAuth(scope=config.auth.scope)

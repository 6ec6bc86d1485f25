"""Azure OpenAI: the dated ``deployments`` path (default) or the ``v1`` path."""

from __future__ import annotations

from urllib.parse import quote

from .._auth import ApiKeyAuth, EntraTokenAuth
from .._config import ApiKeyAuth as ApiKeyAuthConfig
from .._config import AzureOpenAIDeployment, Settings
from ..exceptions import ConfigError
from .base import Endpoint


def azure_endpoint(settings: Settings, name: str, config: AzureOpenAIDeployment) -> Endpoint:
    root = settings.resolve(name, config.endpoint).rstrip("/")
    if not root.startswith(("https://", "http://")):
        raise ConfigError(
            f"deployment {name!r}: endpoint must start with https:// (got {root[:40]!r})", path=settings.config_path
        )
    deployments_base = f"{root}/openai/deployments/{quote(config.deployment, safe='')}"
    dated_query = {"api-version": config.api_version}
    edit_base: str | None = None
    edit_query: dict[str, str] | None = None
    if config.api_style == "v1":
        base, query, body_model = f"{root}/openai/v1", {}, config.deployment
        # /openai/v1/images/edits is not in Azure's published v1 spec; the dated path is documented.
        edit_base, edit_query = deployments_base, dated_query
    else:
        base, query, body_model = deployments_base, dated_query, None
    if isinstance(config.auth, ApiKeyAuthConfig):
        key = settings.resolve(name, "${env:" + config.auth.env + "}")
        auth: ApiKeyAuth | EntraTokenAuth = ApiKeyAuth(lambda: key, header="api-key")
    else:
        auth = EntraTokenAuth(scope=config.auth.scope)
    return Endpoint(
        name=name,
        kind="azure-openai",
        model=config.model,
        base_url=base,
        query=query,
        body_model=body_model,
        edit_base_url=edit_base,
        edit_query=edit_query,
        auth=auth,
        output_formats=frozenset({"png", "jpeg"}),
        max_concurrency=config.max_concurrency,
        requests_per_minute=config.requests_per_minute,
        price=config.prices.to_price() if config.prices is not None else None,
        timeout=config.timeout,
    )

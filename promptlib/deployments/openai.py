"""OpenAI's public API, or a compatible gateway: ``{base_url}/images/...`` with ``model``."""

from __future__ import annotations

from .._auth import ApiKeyAuth
from .._config import OpenAIDeployment, Settings
from ..exceptions import ConfigError
from .base import Endpoint


def openai_endpoint(settings: Settings, name: str, config: OpenAIDeployment) -> Endpoint:
    base = settings.resolve(name, config.base_url).rstrip("/")
    if not base.startswith(("https://", "http://")):
        raise ConfigError(f"deployment {name!r}: base_url must start with https://", path=settings.config_path)
    key = settings.resolve(name, "${env:" + config.auth.env + "}")
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

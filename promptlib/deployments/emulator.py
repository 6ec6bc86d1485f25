"""The built-in emulator, served in-process through httpx's ASGI transport.

Same client, URLs, headers and JSON as Azure — only the transport differs — so
everything that works here exercises the code path a real deployment uses.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from promptlib.client._endpoint import Endpoint
from promptlib.config._deployment_entries import DEFAULT_API_VERSION, EmulatorDeployment

if TYPE_CHECKING:
    from promptlib.models._table import ModelSpec

EMULATOR_HOST = "http://emulator.promptlib.invalid"

_apps: dict[tuple[Any, ...], Any] = {}
_lock = threading.Lock()


def emulator_app(name: str, config: EmulatorDeployment, spec: ModelSpec | None = None) -> Any:
    """One app per deployment configuration per process, so variants form one sequence.

    ``spec`` is the model's entry as the project sees it (with its ``models:``), so the emulator accepts
    and prices what the project declared.
    """
    from promptlib.emulator import EmulatorConfig, create_app
    from promptlib.models._table import shipped_table

    spec = spec if spec is not None else shipped_table().get(config.model)
    key = (name, config.model, config.variance, config.seed, tuple(config.block), config.faults.model_dump_json(),
           spec.entry.model_dump_json() if spec is not None else None)  # fmt: skip
    with _lock:
        app = _apps.get(key)
        if app is None:
            emulator_config = EmulatorConfig(
                variance=config.variance, seed=config.seed, block=tuple(config.block), model=config.model,
                faults=config.faults.to_emulator(), capabilities=spec,
            )  # fmt: skip
            app = _apps[key] = create_app(emulator_config)
        return app


def emulator_endpoint(name: str, config: EmulatorDeployment, spec: ModelSpec | None = None) -> Endpoint:
    from promptlib.emulator import AsyncASGITransport, SyncASGITransport

    app = emulator_app(name, config, spec)
    return Endpoint(
        name=name,
        kind="emulator",
        model=config.model,
        base_url=f"{EMULATOR_HOST}/openai/deployments/{name}",
        query={"api-version": DEFAULT_API_VERSION},
        output_formats=frozenset({"png", "jpeg"}),
        max_concurrency=config.max_concurrency,
        requests_per_minute=config.requests_per_minute,
        price=config.prices.to_price() if config.prices is not None else None,
        timeout=config.timeout,
        transport=SyncASGITransport(app),
        async_transport=AsyncASGITransport(app=app),  # honours the timeout, as a socket would
    )

"""The built-in Azure OpenAI image API emulator: promptlib's default deployment, and a real local server.

It speaks the Azure wire contract (deployment and v1 paths) and OpenAI's `/v1/images/...`, validates fields
the way the service does, and returns deterministic, prompt-driven images (see `_synthesis`):

    app = create_app(EmulatorConfig(variance=0.15, seed=1))
    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")
    httpx.Client(transport=SyncASGITransport(app), base_url="http://emulator")
    with running_emulator(EmulatorConfig(api_key="k")) as base_url: ...   # real HTTP on 127.0.0.1

`app.requests` lists what arrived (time, path, deployment/model, prompt, n, status, injected fault).

Faults on demand (`_faults`, `_ratelimit`): `EmulatorConfig(seed=1, faults=FaultConfig(latency_ms=(5, 20),
fail_rate={"429": 0.3, "drop": 0.05}, script=("429", "ok"), retry_after_ms=300, rpm=60))`.
"""

from promptlib.emulator._app import EmulatorApp, create_app
from promptlib.emulator._config import EmulatorConfig
from promptlib.emulator._faults import FAULTS, FaultConfig, parse_fail_rate, parse_latency, parse_script
from promptlib.emulator._records import RequestRecord
from promptlib.emulator._server import running_emulator, serve
from promptlib.emulator._transport import AsyncASGITransport, SyncASGITransport

__all__ = [
    "FAULTS",
    "AsyncASGITransport",
    "EmulatorApp",
    "EmulatorConfig",
    "FaultConfig",
    "RequestRecord",
    "SyncASGITransport",
    "create_app",
    "parse_fail_rate",
    "parse_latency",
    "parse_script",
    "running_emulator",
    "serve",
]

"""The built-in Azure OpenAI image API emulator: promptlib's default deployment, and a real local server.

It speaks the Azure wire contract (deployment and v1 paths) and OpenAI's `/v1/images/...`, validates fields
the way the service does, and returns deterministic, prompt-driven images (see `_synthesis`):

    app = create_app(EmulatorConfig(variance=0.15, seed=1))
    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator")
    httpx.Client(transport=SyncASGITransport(app), base_url="http://emulator")
    with running_emulator(EmulatorConfig(api_key="k")) as base_url: ...   # real HTTP on 127.0.0.1

`app.requests` lists what arrived (time, path, deployment/model, prompt, n, status).
"""

from promptlib.emulator._app import EmulatorApp, create_app
from promptlib.emulator._config import EmulatorConfig
from promptlib.emulator._records import RequestRecord
from promptlib.emulator._server import running_emulator, serve
from promptlib.emulator._transport import SyncASGITransport

__all__ = [
    "EmulatorApp",
    "EmulatorConfig",
    "RequestRecord",
    "SyncASGITransport",
    "create_app",
    "running_emulator",
    "serve",
]

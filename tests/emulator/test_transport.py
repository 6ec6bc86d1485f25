"""The sync transport lets `httpx.Client` call the app in-process, from any thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from emulator_helpers import GENERATIONS, decode

from promptlib.emulator import EmulatorConfig, SyncASGITransport, create_app


def test_sync_client_gets_the_same_responses_as_async() -> None:
    app = create_app(EmulatorConfig(api_key="k"))
    with httpx.Client(transport=SyncASGITransport(app), base_url="http://emulator", headers={"api-key": "k"}) as client:
        ok = client.post(GENERATIONS, json={"prompt": "A kite", "size": "1024x1536", "quality": "low"})
        refused = client.post(GENERATIONS, json={"prompt": "A kite", "n": 0})
    assert ok.status_code == 200 and decode(ok.json()["data"][0]["b64_json"]).size == (1024, 1536)
    assert ok.headers["x-request-id"] == ok.headers["apim-request-id"]
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "n"
    assert [r.status for r in app.requests] == [200, 400]


def test_concurrent_callers_share_one_transport() -> None:
    app = create_app(EmulatorConfig())
    transport = SyncASGITransport(app)
    with httpx.Client(transport=transport, base_url="http://emulator") as client, ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(
            lambda i: client.post(GENERATIONS, json={"prompt": f"Kite number {i}", "quality": "low"}).status_code,
            range(8),
        ))  # fmt: skip
    assert statuses == [200] * 8
    assert sorted(r.prompt or "" for r in app.requests) == sorted(f"Kite number {i}" for i in range(8))


def test_close_stops_the_private_loop_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    client = httpx.Client(transport=SyncASGITransport(create_app()), base_url="http://emulator")
    assert client.post("/nowhere").status_code == 404
    started = [t for t in threading.enumerate() if t.ident not in before and t.name == "promptlib-asgi-loop"]
    assert len(started) == 1
    client.close()
    assert not started[0].is_alive()

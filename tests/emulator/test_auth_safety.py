"""Keys are checked like Azure checks them and never echoed; blocked terms get the safety refusal."""

from __future__ import annotations

import httpx
import pytest
from emulator_helpers import EDITS, GENERATIONS, png_bytes
from PIL import Image

from promptlib.emulator import EmulatorApp, EmulatorConfig, create_app
from promptlib.emulator._errors import UNAUTHORIZED_MESSAGE

pytestmark = pytest.mark.anyio

KEY = "emulator-test-key-3f9a"


@pytest.fixture
def keyed_app() -> EmulatorApp:
    return create_app(EmulatorConfig(api_key=KEY))


async def _post(app: EmulatorApp, headers: dict[str, str], path: str = GENERATIONS) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as client:
        return await client.post(path, json={"prompt": "A kite", "quality": "low"}, headers=headers)


@pytest.mark.parametrize(
    "headers", [{"api-key": KEY}, {"Authorization": f"Bearer {KEY}"}, {"authorization": f"bearer {KEY}"}]
)
async def test_key_accepted_in_either_header(keyed_app: EmulatorApp, headers: dict[str, str]) -> None:
    assert (await _post(keyed_app, headers)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"api-key": "wrong-key"}, {"Authorization": "Bearer wrong-key"}, {"Authorization": KEY}, {"api-key": ""}],
)
async def test_missing_or_wrong_key_is_azures_401(keyed_app: EmulatorApp, headers: dict[str, str]) -> None:
    response = await _post(keyed_app, headers)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "401", "message": UNAUTHORIZED_MESSAGE}}
    assert response.headers["x-request-id"]
    presented = next(iter(headers.values()), "")
    everything = response.text + str(response.headers)
    assert KEY not in everything
    assert not presented or presented.split()[-1] not in everything


async def test_unknown_paths_also_need_the_key(keyed_app: EmulatorApp) -> None:
    assert (await _post(keyed_app, {}, "/anything")).status_code == 401
    assert (await _post(keyed_app, {"api-key": KEY}, "/anything")).status_code == 404


async def test_refused_requests_are_logged_without_headers(keyed_app: EmulatorApp) -> None:
    await _post(keyed_app, {"api-key": "wrong-key"})
    (record,) = keyed_app.requests
    assert record.status == 401
    assert "wrong-key" not in repr(record) and KEY not in repr(keyed_app.config)


@pytest.mark.parametrize(
    "prompt",
    ["A GUN on a table", "gun", "a toy-gun", "the Forbidden fruit", "the forbidden\n  fruit of the tree"],
)
async def test_blocked_terms_get_the_safety_refusal(client: httpx.AsyncClient, prompt: str) -> None:
    response = await client.post(GENERATIONS, json={"prompt": prompt})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"], error["type"]) == ("moderation_blocked", None, "image_generation_user_error")
    assert error["message"].startswith("Your request was rejected by the safety system.")
    assert response.headers["x-request-id"] in error["message"]


@pytest.mark.parametrize("prompt", ["It has begun", "gunmetal grey car", "forbidden fruits", "fruit forbidden"])
async def test_blocking_matches_whole_words_only(client: httpx.AsyncClient, prompt: str) -> None:
    assert (await client.post(GENERATIONS, json={"prompt": prompt, "quality": "low"})).status_code == 200


async def test_blocked_terms_apply_to_edits(client: httpx.AsyncClient) -> None:
    files = [("image", ("i.png", png_bytes(Image.new("RGB", (64, 64))), "image/png"))]
    response = await client.post(EDITS, data={"prompt": "Add a gun"}, files=files)
    assert response.status_code == 400 and response.json()["error"]["code"] == "moderation_blocked"

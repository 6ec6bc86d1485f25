"""promptlib.testing and the fixtures the plugin always provides: a served emulator, offline mode."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest
from project_helpers import LOGO_ID, Project

from promptlib import AuthenticationFailed, Library
from promptlib.testing import DEFAULT_KEY_ENV, NetworkAccessBlocked, ServedEmulator, offline

TEMPLATE = """\
version: 1
parameters: {size: 1024x1024, quality: low}
variables:
  subject: {type: string, required: true}
template: A flat badge icon of {{ subject }}.
"""


def _app_project(root: Path, emulator: ServedEmulator) -> Path:
    """What an app repo looks like when it points a deployment at a served emulator."""
    (root / "prompts").mkdir(parents=True)
    (root / "prompts" / "badge.yaml").write_text(TEMPLATE)
    config = {"default_deployment": "served", "deployments": {"served": emulator.deployment_config()}}
    (root / "promptlib.yaml").write_text(json.dumps(config))  # JSON is YAML
    return root


def test_library_generates_through_a_served_emulator(
    promptlib_emulator: ServedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployment entry reaches the emulator as an Azure resource; its request log shows the call."""
    monkeypatch.setenv(DEFAULT_KEY_ENV, promptlib_emulator.api_key or "")

    with Library.load(_app_project(tmp_path, promptlib_emulator)) as library:
        result = library.generate("badge", subject="a red crane")

    assert result.images[0].data.startswith(b"\x89PNG")
    [record] = promptlib_emulator.requests
    assert (record.deployment, record.status) == ("gpt-image-2", 200)
    assert record.prompt == "A flat badge icon of a red crane."


def test_served_emulator_checks_the_key(
    promptlib_emulator: ServedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong key is refused the way Azure refuses it, so an app's auth handling can be tested."""
    monkeypatch.setenv(DEFAULT_KEY_ENV, "not-the-key")

    with Library.load(_app_project(tmp_path, promptlib_emulator)) as library, pytest.raises(AuthenticationFailed):
        library.generate("badge", subject="a red crane")

    assert [r.status for r in promptlib_emulator.requests] == [401]


def test_openai_sdk_can_use_the_served_emulator(promptlib_emulator: ServedEmulator) -> None:
    """The official SDK's AzureOpenAI client works against it unchanged."""
    openai = pytest.importorskip("openai")
    client = openai.AzureOpenAI(
        azure_endpoint=promptlib_emulator.base_url,
        api_key=promptlib_emulator.api_key,
        api_version="2025-04-01-preview",
        max_retries=0,
    )

    response = client.images.generate(model="gpt-image-15", prompt="a red crane badge", size="1024x1024")

    assert base64.b64decode(response.data[0].b64_json).startswith(b"\x89PNG")
    assert promptlib_emulator.requests[0].prompt == "a red crane badge"


def test_offline_blocks_real_requests_without_leaking_the_query(promptlib_emulator: ServedEmulator) -> None:
    """Inside the block a request fails loudly, naming method, host and path (not the query); after it,
    the same request goes through again."""
    url = f"{promptlib_emulator.base_url}/openai/v1/images/generations?api-key=secret"

    with offline(), pytest.raises(NetworkAccessBlocked) as blocked:
        httpx.post(url, json={})

    message = str(blocked.value)
    assert f"POST {promptlib_emulator.base_url}/openai/v1/images/generations" in message
    assert "secret" not in message
    assert promptlib_emulator.requests == []
    assert httpx.post(url, json={}).status_code == 401


@pytest.mark.anyio
async def test_offline_blocks_async_requests(promptlib_emulator: ServedEmulator) -> None:
    """Async clients are covered too."""
    with offline():
        async with httpx.AsyncClient() as client:
            with pytest.raises(NetworkAccessBlocked):
                await client.get(promptlib_emulator.base_url)
    assert promptlib_emulator.requests == []


def test_offline_can_allow_a_host(promptlib_emulator: ServedEmulator) -> None:
    """``allow_hosts`` lets a served emulator on loopback through."""
    with offline(allow_hosts=["127.0.0.1"]):
        response = httpx.post(f"{promptlib_emulator.base_url}/openai/v1/images/generations", json={})

    assert response.status_code == 401
    assert len(promptlib_emulator.requests) == 1


def test_offline_keeps_the_in_process_emulator(project: Project) -> None:
    """The default ``kind: emulator`` deployment needs no network, so it works offline."""
    with offline(), project.library() as library:
        result = library.generate(LOGO_ID)

    assert result.images[0].data.startswith(b"\x89PNG")


def test_offline_stops_a_real_deployment_at_once(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """An Azure deployment fails with NetworkAccessBlocked itself: not retried, not wrapped."""
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://contoso.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "k")

    where = r"POST https://contoso\.openai\.azure\.com/openai/deployments/"
    with offline(), project.library() as library, pytest.raises(NetworkAccessBlocked, match=where):
        library.generate(LOGO_ID, deployment="dev")


def test_offline_covers_the_openai_sdk(promptlib_emulator: ServedEmulator) -> None:
    """The openai SDK is blocked too (from version 3 on it sends through httpx2, not httpx)."""
    openai = pytest.importorskip("openai")
    client = openai.AzureOpenAI(
        azure_endpoint=promptlib_emulator.base_url,
        api_key=promptlib_emulator.api_key,
        api_version="2025-04-01-preview",
        max_retries=0,
    )

    with offline(), pytest.raises((NetworkAccessBlocked, openai.APIConnectionError)) as failed:
        client.images.generate(model="gpt-image-15", prompt="a red crane badge")

    # openai 3 lets the error through; older versions wrap it in APIConnectionError.
    assert isinstance(failed.value, NetworkAccessBlocked) or isinstance(failed.value.__cause__, NetworkAccessBlocked)
    assert promptlib_emulator.requests == []

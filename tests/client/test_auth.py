"""Authentication on the wire: API keys, and Entra ID bearer tokens from a credential (sync or async).

The credentials are small classes of our own that return azure.core AccessTokens and count their calls; the
HTTP goes to an httpx.MockTransport that records headers, or to the emulator served on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import gc
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import httpx
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from deployments.helpers import (
    FAST,
    Recorder,
    Send,
    azure_yaml,
    endpoint_from_yaml,
    error_body,
    make_project,
    ok_body,
    request_for,
)

from promptlib import Library
from promptlib.client._auth import ApiKeyAuth, EntraTokenAuth
from promptlib.client._client import ImagesClient
from promptlib.config._settings import load_settings
from promptlib.core._redact import redact
from promptlib.deployments import Endpoint, endpoint_for
from promptlib.emulator import EmulatorConfig, running_emulator
from promptlib.exceptions import AuthenticationFailed, ConfigError, MissingEnvironmentVariable

#: Retries and their waits as in production: these tests time the client's own back-off.
pytestmark = pytest.mark.usefixtures("real_retries")

DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
ENTRA = "{type: entra}"


class Credential:
    """Hands out ``token-1``, ``token-2``, … each valid for ``lifetime`` seconds; records every call."""

    def __init__(self, lifetime: float = 3600, prefix: str = "token", delay: float = 0.0) -> None:
        self.lifetime = lifetime
        self.prefix = prefix
        self.delay = delay
        self.calls: list[tuple[str, ...]] = []
        self._lock = threading.Lock()

    def _next(self, scopes: tuple[str, ...]) -> AccessToken:
        with self._lock:
            self.calls.append(scopes)
            number = len(self.calls)
        return AccessToken(f"{self.prefix}-{number}", int(time.time() + self.lifetime))

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        if self.delay:
            time.sleep(self.delay)
        return self._next(scopes)


class AsyncCredential(Credential):
    async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:  # type: ignore[override]
        if self.delay:
            await anyio.sleep(self.delay)
        return self._next(scopes)


def _entra_endpoint(tmp_path: Path, credential: object, recorder: Recorder, auth: str = ENTRA) -> Endpoint:
    endpoint = endpoint_from_yaml(tmp_path, azure_yaml("prod", api_style="v1", auth=auth), "prod")
    assert isinstance(endpoint.auth, EntraTokenAuth)
    entra = EntraTokenAuth(credential=credential, scope=endpoint.auth.scope)
    return dataclasses.replace(endpoint, auth=entra, **recorder.transports())


def _bearers(recorder: Recorder) -> list[str]:
    return [seen.request.headers["authorization"] for seen in recorder.seen]


# -- Entra ID ----------------------------------------------------------------------------------------------------


def test_entra_requests_carry_a_bearer_token_and_no_api_key(tmp_path: Path) -> None:
    credential, recorder = Credential(), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    client.generate(request_for(client.endpoint))

    (seen,) = recorder.seen
    assert seen.request.headers["authorization"] == "Bearer token-1"
    assert "api-key" not in seen.request.headers
    assert credential.calls == [(DEFAULT_SCOPE,)]


def test_a_valid_token_is_reused(tmp_path: Path) -> None:
    credential, recorder = Credential(lifetime=3600), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    for _ in range(3):
        client.generate(request_for(client.endpoint))

    assert _bearers(recorder) == ["Bearer token-1"] * 3
    assert len(credential.calls) == 1


@pytest.mark.parametrize("lifetime", [-10, 60], ids=["expired", "expires-within-the-margin"])
def test_an_expired_or_nearly_expired_token_is_refreshed(tmp_path: Path, lifetime: float) -> None:
    credential, recorder = Credential(lifetime=lifetime), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    for _ in range(3):
        client.generate(request_for(client.endpoint))

    assert _bearers(recorder) == ["Bearer token-1", "Bearer token-2", "Bearer token-3"]


def test_a_401_refreshes_the_token_once(tmp_path: Path) -> None:
    credential = Credential()
    recorder = Recorder(replies=[httpx.Response(401, json=error_body("401", "Token expired")),
                                 httpx.Response(200, json=ok_body())])  # fmt: skip
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    result = client.generate(request_for(client.endpoint))

    assert _bearers(recorder) == ["Bearer token-1", "Bearer token-2"]
    assert len(result.images) == 1


def test_a_token_that_keeps_being_refused_is_an_authentication_failure(tmp_path: Path) -> None:
    credential = Credential()
    recorder = Recorder(replies=[httpx.Response(401, json=error_body("401", "Wrong audience"))])
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    with pytest.raises(AuthenticationFailed, match=r"Wrong audience; check the key or token \(deployment 'prod', HTTP"):
        client.generate(request_for(client.endpoint))

    assert recorder.count == 2  # the request, and one retry with a fresh token: never the retry policy's attempts


def test_threads_starting_together_fetch_one_token(tmp_path: Path) -> None:
    credential, recorder = Credential(delay=0.05), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: client.generate(request_for(client.endpoint)), range(4)))

    assert len(credential.calls) == 1
    assert set(_bearers(recorder)) == {"Bearer token-1"}


def test_the_scope_is_configurable(tmp_path: Path) -> None:
    credential, recorder = Credential(), Recorder()
    auth = "{type: entra, scope: 'https://ai.azure.com/.default'}"
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder, auth=auth), FAST)

    client.generate(request_for(client.endpoint))

    assert credential.calls == [("https://ai.azure.com/.default",)]


def test_entra_config_uses_default_azure_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``auth: {type: entra}`` in promptlib.yaml: azure-identity's DefaultAzureCredential, the default scope."""
    import azure.identity

    made: list[Credential] = []

    def default_credential(**kwargs: object) -> Credential:
        made.append(Credential(prefix="dac"))
        return made[-1]

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", default_credential)
    make_project(tmp_path, azure_yaml("prod", auth=ENTRA))
    endpoint = endpoint_for(load_settings(tmp_path), "prod")
    recorder = Recorder()

    assert isinstance(endpoint.auth, EntraTokenAuth)
    assert endpoint.auth.scope == DEFAULT_SCOPE
    ImagesClient(dataclasses.replace(endpoint, **recorder.transports()), FAST).generate(request_for(endpoint))

    assert _bearers(recorder) == ["Bearer dac-1"]
    assert made[0].calls == [(DEFAULT_SCOPE,)]


@pytest.mark.anyio
async def test_an_async_credential_works_with_agenerate(tmp_path: Path) -> None:
    credential, recorder = AsyncCredential(), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    await client.agenerate(request_for(client.endpoint))
    await client.agenerate(request_for(client.endpoint))

    assert _bearers(recorder) == ["Bearer token-1", "Bearer token-1"]
    assert credential.calls == [(DEFAULT_SCOPE,)]
    assert "api-key" not in recorder.seen[0].request.headers


@pytest.mark.anyio
async def test_an_async_credential_refreshes_an_expired_token(tmp_path: Path) -> None:
    credential, recorder = AsyncCredential(lifetime=-1), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    await client.agenerate(request_for(client.endpoint))
    await client.agenerate(request_for(client.endpoint))

    assert _bearers(recorder) == ["Bearer token-1", "Bearer token-2"]


@pytest.mark.anyio
async def test_a_sync_credential_works_with_agenerate(tmp_path: Path) -> None:
    credential, recorder = Credential(), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    await client.agenerate(request_for(client.endpoint))

    assert _bearers(recorder) == ["Bearer token-1"]


def test_an_async_credential_with_sync_generate_says_what_to_do(tmp_path: Path) -> None:
    credential, recorder = AsyncCredential(), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ConfigError, match=r"this credential is async; use the async API \(agenerate\)"):
            client.generate(request_for(client.endpoint))
        gc.collect()

    assert recorder.count == 0
    assert not [w for w in caught if "never awaited" in str(w.message)]  # the refused coroutine was closed


def test_tokens_are_masked_once_used(tmp_path: Path) -> None:
    credential, recorder = Credential(prefix="eyJsecret-token"), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    client.generate(request_for(client.endpoint))

    assert redact("header was Bearer eyJsecret-token-1") == "header was Bearer ***"
    assert "eyJsecret" not in repr(client.endpoint.auth)


def test_entra_against_the_served_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator takes ``Authorization: Bearer`` as Azure does; a wrong token is refused with 401."""
    with running_emulator(EmulatorConfig(api_key="entra-token-abcdef")) as url:
        make_project(tmp_path, azure_yaml("prod", endpoint=url, auth=ENTRA))
        endpoint = endpoint_for(load_settings(tmp_path), "prod")

        good = dataclasses.replace(endpoint, auth=EntraTokenAuth(credential=Credential(prefix="entra-token-abcdef")))
        # Credential hands out "entra-token-abcdef-1": wrong by one suffix, so it must be refused.
        bad = dataclasses.replace(endpoint, auth=EntraTokenAuth(credential=Credential(prefix="entra-token-x")))

        class Exact(Credential):
            def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
                self.calls.append(scopes)
                return AccessToken("entra-token-abcdef", int(time.time()) + 3600)

        exact = dataclasses.replace(endpoint, auth=EntraTokenAuth(credential=Exact()))
        clients = [ImagesClient(e, FAST) for e in (exact, bad, good)]
        try:
            result = clients[0].generate(request_for(endpoint))
            with pytest.raises(AuthenticationFailed, match="HTTP 401"):
                clients[1].generate(request_for(endpoint))
            with pytest.raises(AuthenticationFailed):
                clients[2].generate(request_for(endpoint))
        finally:
            for client in clients:
                client.close()

    assert result.images[0].size == (1024, 1024)


# -- API keys ----------------------------------------------------------------------------------------------------


def test_api_key_auth_reads_the_configured_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAGES_KEY", "key-from-images-key")
    endpoint = endpoint_from_yaml(tmp_path, azure_yaml("dev", auth="{type: api-key, env: IMAGES_KEY}"), "dev")
    recorder = Recorder()

    ImagesClient(dataclasses.replace(endpoint, **recorder.transports()), FAST).generate(request_for(endpoint))

    assert isinstance(endpoint.auth, ApiKeyAuth)
    assert recorder.seen[0].request.headers["api-key"] == "key-from-images-key"
    assert "key-from-images-key" not in repr(endpoint) + repr(endpoint.auth)


def test_a_missing_key_variable_names_deployment_and_variable(tmp_path: Path) -> None:
    with pytest.raises(MissingEnvironmentVariable) as caught:
        endpoint_from_yaml(tmp_path, azure_yaml("dev"), "dev")

    assert "deployment 'dev' needs environment variable AZURE_OPENAI_API_KEY, which is not set" in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_deployment_without_its_key_does_not_break_others(tmp_path: Path) -> None:
    make_project(tmp_path, azure_yaml("dev"))
    library = Library.load(tmp_path)

    result = library.generate("tile")  # the default `local` emulator needs no key

    assert result.deployment == "local"
    with pytest.raises(MissingEnvironmentVariable, match="AZURE_OPENAI_API_KEY"):
        library.generate("tile", deployment="dev")


SIGNED_OUT = (
    "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
    "Attempted credentials:\n\tEnvironmentCredential: EnvironmentCredential authentication unavailable.\n"
    "To mitigate this issue, please refer to the troubleshooting guidelines here at https://aka.ms/azsdk/python/identity"
)


class SignedOut(Credential):
    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.calls.append(scopes)
        raise ClientAuthenticationError(SIGNED_OUT)


class AsyncSignedOut(Credential):
    async def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:  # type: ignore[override]
        self.calls.append(scopes)
        raise ClientAuthenticationError(SIGNED_OUT)


NO_TOKEN = (
    "no Entra ID token: ClientAuthenticationError: DefaultAzureCredential failed to retrieve a token from the "
    "included credentials.; sign in (az login) or check the managed identity, tenant and scope (deployment 'prod')"
)


@pytest.mark.anyio
async def test_no_token_is_an_authentication_failure_for_the_deployment(tmp_path: Path, send: Send) -> None:
    credential, recorder = SignedOut(), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    with pytest.raises(AuthenticationFailed) as caught:
        await send(client, request_for(client.endpoint))

    assert str(caught.value) == NO_TOKEN  # one line, though the credential's message has several
    assert caught.value.exit_code == 2
    assert recorder.count == 0
    assert len(credential.calls) == 1  # not retried: signing in takes a person


@pytest.mark.anyio
async def test_no_token_from_an_async_credential_likewise(tmp_path: Path) -> None:
    credential, recorder = AsyncSignedOut(), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    with pytest.raises(AuthenticationFailed) as caught:
        await client.agenerate(request_for(client.endpoint))

    assert str(caught.value) == NO_TOKEN
    assert (recorder.count, len(credential.calls)) == (0, 1)


@pytest.mark.anyio
async def test_tasks_starting_together_fetch_one_token(tmp_path: Path) -> None:
    credential, recorder = AsyncCredential(delay=0.05), Recorder()
    client = ImagesClient(_entra_endpoint(tmp_path, credential, recorder), FAST)

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(client.agenerate, request_for(client.endpoint))

    assert len(credential.calls) == 1  # e.g. one `az account get-access-token`, not four
    assert _bearers(recorder) == ["Bearer token-1"] * 4

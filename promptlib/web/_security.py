"""The guard around a local server that writes into a git checkout: who may talk to it, and what it may write.

A page on any other site the author visits can make their browser send requests to `127.0.0.1:8090`, and a
DNS-rebinding name can make those requests look same-origin. So every request must name an allowed `Host`
(400 otherwise), every state-changing request must come from this origin (`Sec-Fetch-Site`, else `Origin`
against `Host`: 403), and a server bound beyond loopback needs a token (Jupyter-style `?token=`, exchanged for
an HttpOnly SameSite=Strict cookie, or `Authorization: Bearer`). Every response carries a CSP that allows
scripts, styles and images from this origin only. Writes go through `WriteGuard`: only template, lock, suite
and golden paths, resolved inside the project, atomically, and only if the file is still the one the page
loaded (`FileChanged`, a 409).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptlib.core._atomic import atomic_write_bytes
from promptlib.exceptions import UsageError

TOKEN_COOKIE = "promptlib_token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
CSP = (
    "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: What the Playground and Review may write, relative to the project root (`**` is any depth of folders).
WRITABLE = (
    re.compile(r"prompts/(?:[^/]+/)*[^/]+\.yaml"),
    re.compile(r"prompts/prompts\.lock"),
    re.compile(r"evals/(?:[^/]+/)*[^/]+\.yaml"),
    re.compile(r"evals/goldens/(?:[^/]+/)+[^/]+"),
)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class AccessPolicy:
    """Where the server listens and who may use it; built by `access_policy`, which refuses unsafe binds."""

    bind: str
    port: int
    token: str | None
    allowed_hosts: frozenset[str]

    def url(self, path: str = "/") -> str:
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "::") else self.bind
        shown = f"[{host}]" if ":" in host else host
        query = f"?{urlencode({'token': self.token})}" if self.token else ""
        return f"http://{shown}:{self.port}{path}{query}"


def access_policy(
    bind: str = "127.0.0.1", port: int = 8090, token: str | None = None, extra_hosts: Iterable[str] = ()
) -> AccessPolicy:
    """The policy for a bind address; a non-loopback bind without a token is a usage error (exit 2)."""
    token = token or None
    if not is_loopback(bind) and token is None:
        raise UsageError(
            f"--host {bind} lets other machines reach the playground, which writes into this checkout; "
            "give it a secret with --token TOKEN (or PROMPTLIB_PLAYGROUND_TOKEN), or bind 127.0.0.1"
        )
    hosts = {*LOOPBACK_NAMES, *(h.lower() for h in extra_hosts)}
    if bind not in ("0.0.0.0", "::"):
        hosts.add(bind.strip("[]").lower())
    return AccessPolicy(bind, port, token, frozenset(hosts))


def host_name(value: str) -> str:
    """The host part of a Host header: `[::1]:8090` → `::1`, `Example.COM:80` → `example.com`."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def same_origin(headers: Headers) -> bool:
    """Go 1.25's CrossOriginProtection rule: Sec-Fetch-Site, else Origin against Host, else (no browser) allow."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return True
    return origin.split("://", 1)[-1].lower() == headers.get("host", "").lower()


class SecurityMiddleware:
    """Host allow-list, token, same-origin writes and security headers, in front of every route.

    Pure ASGI rather than `BaseHTTPMiddleware`, so streamed responses (server-sent events) pass through as
    they are produced.
    """

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, self._with_headers(send))
            return
        await self.app(scope, receive, self._with_headers(send))

    def _refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        if host_name(headers.get("host", "")) not in self.policy.allowed_hosts:
            return PlainTextResponse("unknown Host header: open the playground by the URL it printed", 400)
        if self.policy.token is not None:
            refusal = self._token_refusal(scope, headers)
            if refusal is not None:
                return refusal
        if scope["method"] not in SAFE_METHODS and not same_origin(headers):
            return PlainTextResponse("cross-site request refused", 403)
        return None

    def _token_refusal(self, scope: Scope, headers: Headers) -> Response | None:
        token = self.policy.token or ""
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        offered = dict(query).get("token")
        if offered is not None and scope["method"] in SAFE_METHODS and _equal(offered, token):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            redirect = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), 303)
            redirect.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", path="/")
            return redirect
        bearer = headers.get("authorization", "")
        cookie = _cookie(headers.get("cookie", ""), TOKEN_COOKIE)
        if _equal(cookie, token) or (bearer.startswith("Bearer ") and _equal(bearer[7:], token)):
            return None
        return PlainTextResponse("this playground needs its token: open the URL it printed (…?token=…)", 403)

    @staticmethod
    def _with_headers(send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        return sending


def _equal(offered: str | None, token: str) -> bool:
    return offered is not None and hmac.compare_digest(offered.encode(), token.encode())


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class WriteRefused(Exception):
    """A write outside what the web app may touch; the message names the path and the rule."""


class FileChanged(Exception):
    """The file on disk is not the one the page loaded (someone else saved it): reload before saving."""


def sha256_of(path: Path) -> str:
    """sha256 of a file's bytes, or of nothing when it does not exist (a new file's "version")."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return hashlib.sha256(b"").hexdigest()


class WriteGuard:
    """Writes confined to `WRITABLE` paths inside the project, atomic, and refused when the file moved on."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def target(self, relative: str) -> Path:
        """The resolved path for a project-relative path, or WriteRefused."""
        parts = relative.replace("\\", "/").split("/")
        if relative.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise WriteRefused(f"{relative!r} is not a plain path inside the project")
        if not any(rule.fullmatch(relative) for rule in WRITABLE):
            raise WriteRefused(
                f"{relative!r} is not a file the playground may write (only prompts/**.yaml, prompts/prompts.lock, "
                "evals/**.yaml and evals/goldens/**)"
            )
        path = self.root / relative
        for ancestor in [path, *path.parents]:
            if ancestor == self.root:
                break
            if ancestor.is_symlink():
                raise WriteRefused(f"{relative!r} goes through a symbolic link; the playground writes real files only")
        if not path.resolve().is_relative_to(self.root):
            raise WriteRefused(f"{relative!r} resolves outside the project")
        return path

    def write(self, relative: str, data: bytes, *, expected_sha256: str | None = None) -> Path:
        """Write atomically; with `expected_sha256`, only if the file still has those bytes (else FileChanged)."""
        path = self.target(relative)
        if expected_sha256 is not None and not hmac.compare_digest(sha256_of(path), expected_sha256):
            raise FileChanged(f"{relative} changed on disk since this page loaded; reload it and apply your edit again")
        atomic_write_bytes(path, data)
        return path

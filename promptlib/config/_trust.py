"""Where a secret may go: the trust boundary between a pull request and the CI job that runs it.

`promptlib.yaml` arrives in pull requests, so an endpoint in it is a claim, not a fact. A key or an Entra
token is sent only to hosts that cannot belong to the PR's author: Azure's own OpenAI hosts (matched on
the parsed host, never by substring), OpenAI's API, loopback, and hosts on an allow-list that only the CI
environment can set (`PROMPTLIB_ALLOWED_HOSTS`; a file in the repository would be writable by the PR).
Plain http goes to loopback only. Entra tokens are minted only for the Cognitive Services / AI Foundry
audiences unless `PROMPTLIB_ALLOWED_SCOPES` adds one, so a PR cannot ask for an Azure Resource Manager token.

URLs are parsed with httpx, the parser that sends the request, so the check and the wire cannot disagree
about which host a URL names.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import httpx

ALLOWED_HOSTS_ENV = "PROMPTLIB_ALLOWED_HOSTS"
ALLOWED_SCOPES_ENV = "PROMPTLIB_ALLOWED_SCOPES"

#: Azure OpenAI / Foundry resource hosts: public cloud, Azure Government (.us) and Azure China (.cn).
AZURE_HOST_SUFFIXES: tuple[str, ...] = (
    ".openai.azure.com",
    ".cognitiveservices.azure.com",
    ".services.ai.azure.com",
    ".openai.azure.us",
    ".cognitiveservices.azure.us",
    ".openai.azure.cn",
    ".cognitiveservices.azure.cn",
)
OPENAI_HOSTS: frozenset[str] = frozenset({"api.openai.com"})
#: The audiences Azure OpenAI accepts tokens for (reference: azure-images-api.md §6).
ENTRA_SCOPES: frozenset[str] = frozenset(
    {
        "https://cognitiveservices.azure.com/.default",
        "https://ai.azure.com/.default",
        "https://cognitiveservices.azure.us/.default",
    }
)
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PATTERN = re.compile(r"^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$")

Kind = Literal["azure-openai", "openai"]


def is_loopback(host: str) -> bool:
    """`localhost`, 127.0.0.0/8 and ::1: the machine itself, where plain http cannot be overheard."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _azure_host(host: str) -> bool:
    """A host in one of Azure's OpenAI DNS zones (`<resource>.openai.azure.com`, …), whoever owns the resource."""
    return any(host.endswith(suffix) and _dns_name(host[: -len(suffix)]) for suffix in AZURE_HOST_SUFFIXES)


def _dns_name(host: str) -> bool:
    return bool(host) and len(host) <= 253 and all(_LABEL.match(label) for label in host.split("."))


@dataclass(frozen=True)
class TrustPolicy:
    """The hosts and scopes secrets may go to: the built-in ones plus what the environment allows."""

    extra_hosts: tuple[str, ...] = ()
    extra_scopes: frozenset[str] = frozenset()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TrustPolicy:
        env = os.environ if environ is None else environ
        hosts = tuple(h.strip().lower() for h in re.split(r"[,\s]+", env.get(ALLOWED_HOSTS_ENV, "")) if h.strip())
        scopes = frozenset(s.strip() for s in re.split(r"[,\s]+", env.get(ALLOWED_SCOPES_ENV, "")) if s.strip())
        return cls(extra_hosts=hosts, extra_scopes=scopes)

    def allows_host(self, host: str, port: int | None) -> bool:
        """Whether `host` (lower case) is on the environment's allow-list (`host`, `host:port`, `*.domain`)."""
        for entry in self.extra_hosts:
            if not _PATTERN.match(entry):
                continue
            name, _, wanted_port = entry.partition(":")
            if wanted_port and port != int(wanted_port):
                continue
            if name.startswith("*."):
                if host.endswith(name[1:]) and _dns_name(host[: -len(name) + 1]):
                    return True
            elif host == name:
                return True
        return False

    def endpoint_problem(self, url: str, kind: Kind) -> str | None:
        """Why a secret may not be sent to `url` for a deployment of `kind`, or None when it may.

        The message never quotes `url`: it may have come from an environment variable holding a secret.
        """
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            return "is not a valid URL"
        scheme, host = parsed.scheme, (parsed.host or "").lower().rstrip(".")
        if scheme not in ("https", "http") or not host:
            return "must be an https:// URL"
        if parsed.userinfo:
            return "must not carry a user name or password (user@host)"
        if is_loopback(host):
            return None
        if scheme != "https":
            return "must use https:// (plain http is allowed only to localhost / 127.0.0.1 / [::1])"
        if not _dns_name(host) and not self.allows_host(host, parsed.port):
            return "must name a host, not an address"
        if self.allows_host(host, parsed.port) or host in OPENAI_HOSTS or _azure_host(host):
            return None
        if kind == "azure-openai":
            return (
                "is not an Azure OpenAI host (*.openai.azure.com, *.cognitiveservices.azure.com, "
                f"*.services.ai.azure.com or a sovereign cloud's); for a gateway, set {ALLOWED_HOSTS_ENV} in the CI "
                "environment (not in the repository)"
            )
        return (
            f"is neither api.openai.com nor an Azure OpenAI host; for a gateway or proxy, set {ALLOWED_HOSTS_ENV} "
            "to its host in the CI environment (not in the repository)"
        )

    def scope_problem(self, scope: str) -> str | None:
        """Why an Entra token may not be requested for `scope`, or None when it may."""
        if scope in ENTRA_SCOPES or scope in self.extra_scopes:
            return None
        allowed = ", ".join(sorted(ENTRA_SCOPES))
        return (
            f"is not an Azure OpenAI audience ({allowed}); to allow it, set {ALLOWED_SCOPES_ENV} in the CI environment"
        )

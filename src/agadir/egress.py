"""Default-deny egress: every outbound connection passes one allow-list check first.

Loopback is not egress (it never leaves the machine) and is always allowed. Anything else must
be named in ``settings.egress_allow`` as a host name, an IP address, or a CIDR network. The check
runs in an httpx transport, so it applies to every request and redirect *before* a socket opens.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable

import httpx

from agadir.errors import EgressDeniedError

# Environment switches that keep hub-aware libraries from reaching the network.
OFFLINE_SWITCHES = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
    "VLLM_NO_USAGE_STATS": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def apply_offline_switches() -> dict[str, str]:
    """Set the hub libraries' offline switches (operator-set values win) and return them."""
    for key, value in OFFLINE_SWITCHES.items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in OFFLINE_SWITCHES}


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class EgressPolicy:
    """The allow-list in force. `check(host)` raises `EgressDeniedError` for anything else."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in allow:
            item = item.strip().lower()
            if not item:
                continue
            try:
                self.networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.hosts.add(item)

    def allows(self, host: str) -> bool:
        host = host.lower().strip("[]")
        if _is_loopback(host) or host in self.hosts:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def check(self, host: str) -> None:
        if not self.allows(host):
            raise EgressDeniedError(
                f"Outbound connection to '{host}' refused: egress is denied by default. "
                f"If this host is inside your boundary, add it to `egress_allow` in agadir.toml "
                f"(or AGADIR_EGRESS_ALLOW='[\"{host}\"]').",
                code="egress_denied",
            )

    def describe(self) -> str:
        allowed = sorted(self.hosts) + [str(n) for n in self.networks]
        return "deny all but loopback" + (f" and {', '.join(allowed)}" if allowed else "")


class EgressGuardTransport(httpx.AsyncBaseTransport):
    """An httpx transport that refuses non-allow-listed hosts before connecting."""

    def __init__(self, policy: EgressPolicy, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.policy.check(request.url.host)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def guarded_client(policy: EgressPolicy, **kwargs: object) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` whose every request goes through the egress check."""
    return httpx.AsyncClient(transport=EgressGuardTransport(policy), **kwargs)  # type: ignore[arg-type]

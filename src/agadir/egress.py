"""Default-deny egress: every outbound connection passes one allow-list check first.

Loopback is not egress (it never leaves the machine) and is always allowed. Anything else must
be named in ``settings.egress_allow`` as a host name, an IP address, or a CIDR network. The check
runs in an httpx transport, so it applies to every request and redirect *before* a socket opens;
the database URL is checked the same way before the store connects (`guard_database_url`).

``localhost`` and ``*.localhost`` names are pinned to 127.0.0.1 here rather than handed to a
resolver: RFC 6761 reserves them for loopback, but a resolver may still forward them to DNS, which
would both leak the name and let DNS decide where a "loopback" connection goes.

What this module does not handle: connections opened by code that bypasses it (a library with its
own socket); the test suite's network guard catches those.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from typing import TypeVar

import httpx
import httpx2
from sqlalchemy.engine import make_url

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


LOOPBACK_ADDRESS = "127.0.0.1"
# Enough for every upstream and database host a deployment names; bounded so that a stream of
# distinct hosts (redirects to random names) cannot grow it without limit.
_DECISION_CACHE_SIZE = 1024


def is_localhost_name(host: str) -> bool:
    """`localhost` and the names under it (RFC 6761): loopback by definition, never resolved."""
    host = host.lower().rstrip(".")
    return host in ("localhost", "localhost.localdomain") or host.endswith(".localhost")


def pinned_host(host: str) -> str:
    """The address to connect to for `host`: loopback for localhost names, else `host` itself."""
    return LOOPBACK_ADDRESS if is_localhost_name(host) else host


def _is_loopback(host: str) -> bool:
    if is_localhost_name(host):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class EgressPolicy:
    """The allow-list in force. `check(host)` raises `EgressDeniedError` for anything else."""

    def __init__(self, allow: Iterable[str] = ()) -> None:
        self._decisions: dict[str, bool] = {}
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
        """Whether `host` may be reached; decided once per host (the policy never changes)."""
        decision = self._decisions.get(host)
        if decision is None:
            decision = self._decide(host)
            if len(self._decisions) >= _DECISION_CACHE_SIZE:
                self._decisions.clear()
            self._decisions[host] = decision
        return decision

    def _decide(self, host: str) -> bool:
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
        request.url = guarded_url(self.policy, request.url)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class EgressGuardTransport2(httpx2.AsyncBaseTransport):
    """The same guard for httpx2, the HTTP library under the `openai` client."""

    def __init__(self, policy: EgressPolicy, inner: httpx2.AsyncBaseTransport) -> None:
        self.policy = policy
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request.url = guarded_url(self.policy, request.url)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


_Url = TypeVar("_Url", httpx.URL, httpx2.URL)


def guarded_url(policy: EgressPolicy, url: _Url) -> _Url:
    """Check `url`'s host; a localhost name becomes 127.0.0.1 (the Host header keeps the name)."""
    host = url.host
    policy.check(host)
    return url.copy_with(host=LOOPBACK_ADDRESS) if is_localhost_name(host) else url


def guarded_client(
    policy: EgressPolicy, *, limits: httpx.Limits | None = None, **kwargs: object
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` whose every request goes through the egress check."""
    inner = httpx.AsyncHTTPTransport(limits=limits) if limits else None
    transport = EgressGuardTransport(policy, inner)
    return httpx.AsyncClient(transport=transport, **kwargs)  # type: ignore[arg-type]


def _query_hosts(value: str | tuple[str, ...] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [h.strip() for item in items for h in item.split(",") if h.strip()]


def guard_database_url(url: str, policy: EgressPolicy) -> str:
    """Check every host a database URL (or libpq's environment) names; pin localhost names.

    SQLite URLs pass unchanged. For PostgreSQL, libpq connects to the URL's host, to the `host` /
    `hostaddr` query parameters (comma lists allowed), or else to $PGHOST / $PGHOSTADDR; each must
    be loopback, a Unix socket directory, or allow-listed. Returns the URL to connect to.
    """
    if not url.startswith(("postgresql", "postgres:")):
        return url
    parsed = make_url(url)
    query = dict(parsed.query)
    from_url = _query_hosts(parsed.host) + _query_hosts(query.get("host"))
    addresses = _query_hosts(query.get("hostaddr"))
    if not from_url and not addresses:  # libpq falls back on its environment
        from_env = _query_hosts(os.environ.get("PGHOST"))
        addresses = _query_hosts(os.environ.get("PGHOSTADDR"))
        if any(is_localhost_name(h) for h in from_env):
            query["host"] = ",".join(from_env)  # pinned below, like a host in the URL
        from_url = from_env
    for host in from_url + addresses:
        if not host.startswith(("/", "@")):  # a Unix socket directory never leaves the machine
            policy.check(host)
    pinned = parsed
    if parsed.host and is_localhost_name(parsed.host):
        pinned = parsed.set(host=LOOPBACK_ADDRESS)
    hosts = _query_hosts(query.get("host"))
    if any(is_localhost_name(h) for h in hosts):
        query["host"] = ",".join(pinned_host(h) for h in hosts)
        pinned = pinned.set(query=query)
    if pinned is parsed:
        return url  # nothing to pin: the URL exactly as the operator wrote it
    return pinned.render_as_string(hide_password=False)

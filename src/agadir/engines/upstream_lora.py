"""LoRA adapters on vLLM replicas of an upstream: make every replica serve the configured ones.

vLLM servers started with `--enable-lora` and `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True` load an
adapter on `POST /v1/load_lora_adapter {lora_name, lora_path}` and list it in `/v1/models`.
Replicas of one model may have been started with different `--lora-modules`, or restarted and
lost what was loaded at run time: at gateway start each replica is asked what it serves, and
the adapters it lacks are loaded. A replica that is down or refuses is reported (log and
`/metrics`), never fatal: the replicas that have the adapter serve it, and a request that lands
on one without it gets vLLM's 404.

What this does not handle: a replica that restarts after the gateway started (its run-time
adapters are gone until the next gateway start; start vLLM with `--lora-modules` for those).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx2

from agadir.engines.upstream_replicas import Replica, ReplicaSet

log = logging.getLogger("agadir.upstream")
_LOAD_TIMEOUT_S = 120.0


@dataclass
class AdapterReport:
    """What one replica had, what was loaded into it, and what failed (with vLLM's reason)."""

    replica: str
    present: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


async def reconcile_adapters(
    replicas: ReplicaSet, adapters: Mapping[str, str]
) -> list[AdapterReport]:
    """Load into each replica the `adapters` (name -> path) it does not list; one report each."""
    return list(await asyncio.gather(*(_one(replicas, r, adapters) for r in replicas.replicas)))


async def _one(
    replicas: ReplicaSet, replica: Replica, adapters: Mapping[str, str]
) -> AdapterReport:
    report = AdapterReport(replica.url)
    body = await replicas.probe(replica)
    cards = body.get("data") if body else None
    if not isinstance(cards, list):
        report.failed = dict.fromkeys(adapters, "the replica did not answer GET /v1/models")
        name = replicas.config.name
        log.warning("upstream %s: replica %s down, adapters not checked", name, replica.url)
        return report
    listed = {str(c.get("id")) for c in cards if isinstance(c, dict)}
    for name, path in adapters.items():
        if name in listed:
            report.present.append(name)
            continue
        reason = await _load(replicas, replica, name, path)
        if reason is None:
            report.loaded.append(name)
        else:
            report.failed[name] = reason
    level = logging.WARNING if report.failed else logging.INFO
    log.log(
        level,
        "upstream %s: replica %s adapters present %s, loaded %s, failed %s",
        replicas.config.name,
        replica.url,
        report.present,
        report.loaded,
        report.failed,
    )
    return report


async def _load(replicas: ReplicaSet, replica: Replica, name: str, path: str) -> str | None:
    """None when the replica loaded the adapter, else why not."""
    try:
        response = await replica.http.post(
            f"{replica.url}/load_lora_adapter",
            json={"lora_name": name, "lora_path": path},
            headers=replicas.auth(),
            timeout=_LOAD_TIMEOUT_S,
        )
    except httpx2.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if response.status_code == 200:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"

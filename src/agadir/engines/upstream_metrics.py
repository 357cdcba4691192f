"""Per-replica upstream metrics on `/metrics`, read from the replica sets at scrape time (a
managed vLLM's child is one replica, and its liveness and restarts are reported too).

A collector rather than counters bumped per request: the request path only increments plain
integers on the `Replica`, and Prometheus reads them when it scrapes (nothing to do per request
beyond that, and nothing to keep in sync).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from agadir.engines.manager import EngineManager

_LABELS = ["model", "replica"]


class UpstreamReplicaCollector(Collector):
    def __init__(self, engines: EngineManager) -> None:
        self.engines = engines

    def collect(self) -> Iterator[Metric]:
        from agadir.engines.upstream import UpstreamEngine

        up = GaugeMetricFamily(
            "agadir_upstream_replica_up", "1 when the replica is in rotation.", labels=_LABELS
        )
        outstanding = GaugeMetricFamily(
            "agadir_upstream_replica_outstanding", "Requests in flight.", labels=_LABELS
        )
        requests = CounterMetricFamily(
            "agadir_upstream_replica_requests", "Requests sent (tries).", labels=_LABELS
        )
        failures = CounterMetricFamily(
            "agadir_upstream_replica_failures", "Failed tries.", labels=_LABELS
        )
        retries = CounterMetricFamily(
            "agadir_upstream_replica_retries",
            "Failed tries retried on another replica.",
            labels=_LABELS,
        )
        ejections = CounterMetricFamily(
            "agadir_upstream_replica_ejections", "Times taken out of rotation.", labels=_LABELS
        )
        seconds = CounterMetricFamily(
            "agadir_upstream_replica_seconds", "Time spent in completed requests.", labels=_LABELS
        )
        adapters = GaugeMetricFamily(
            "agadir_upstream_replica_adapters",
            "LoRA adapters per replica at start: present, loaded by Agadir, or failed to load.",
            labels=[*_LABELS, "state"],
        )
        vllm_up = GaugeMetricFamily(
            "agadir_vllm_up", "1 while the managed vLLM child answers.", labels=["model"]
        )
        vllm_restarts = CounterMetricFamily(
            "agadir_vllm_restarts", "Starts of the managed vLLM after the first.", labels=["model"]
        )
        for name, loaded in self.engines.loaded().items():
            process = getattr(loaded, "process", None)  # a managed vLLM (engines.vllm_managed)
            if process is not None and getattr(loaded, "owns_process", False):
                vllm_up.add_metric([name], 1.0 if process.ready else 0.0)
                vllm_restarts.add_metric([name], process.restarts)
            engine = getattr(loaded, "upstream", loaded)  # it serves through an upstream engine
            if not isinstance(engine, UpstreamEngine):
                continue
            for report in engine.adapter_reports:
                for state, count in (
                    ("present", len(report.present)),
                    ("loaded", len(report.loaded)),
                    ("failed", len(report.failed)),
                ):
                    adapters.add_metric([name, report.replica, state], count)
            for r in engine.replicas.replicas:
                labels = [name, r.url]
                up.add_metric(labels, 1.0 if r.in_rotation else 0.0)
                outstanding.add_metric(labels, r.outstanding)
                requests.add_metric(labels, r.requests)
                failures.add_metric(labels, r.failures)
                retries.add_metric(labels, r.retries)
                ejections.add_metric(labels, r.ejections)
                seconds.add_metric(labels, r.latency_sum_s)
        yield from (up, outstanding, requests, failures, retries, ejections, seconds, adapters)
        yield from (vllm_up, vllm_restarts)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # names depend on nothing at registration; skip auto-describe

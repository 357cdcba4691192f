"""Prefix-cache counters of the llama.cpp engines on `/metrics`, read at scrape time.

A collector, as for the upstream replicas: the scheduler thread bumps plain integers and
Prometheus reads them when it scrapes, so the decode loop never touches prometheus_client.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from agadir.engines.llamacpp_prefix import CacheStats
from agadir.engines.manager import EngineManager


class PrefixCacheCollector(Collector):
    def __init__(self, engines: EngineManager) -> None:
        self.engines = engines

    def collect(self) -> Iterator[Metric]:
        families = {
            "lookups": CounterMetricFamily(
                "agadir_prefix_cache_lookups", "Requests admitted by the engine.", labels=["model"]
            ),
            "hits": CounterMetricFamily(
                "agadir_prefix_cache_hits",
                "Requests that reused an evaluated prompt prefix.",
                labels=["model"],
            ),
            "reused_tokens": CounterMetricFamily(
                "agadir_prefix_cache_reused_tokens",
                "Prompt tokens taken from the cache instead of evaluated.",
                labels=["model"],
            ),
            "prompt_tokens": CounterMetricFamily(
                "agadir_prefix_cache_prompt_tokens",
                "Prompt tokens of the admitted requests (reused or evaluated).",
                labels=["model"],
            ),
        }
        for name, engine in self.engines.loaded().items():
            read = getattr(engine, "prefix_cache_stats", None)
            stats = read() if callable(read) else None
            if not isinstance(stats, CacheStats):
                continue
            for key, family in families.items():
                family.add_metric([name], getattr(stats, key))
        yield from families.values()

    def describe(self) -> Iterator[Metric]:
        return iter(())  # nothing to describe before engines load; skip auto-describe

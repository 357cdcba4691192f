"""Prometheus metrics, one registry per app (no global state, so tests can build many apps)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "agadir_requests",
            "HTTP requests served.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "agadir_request_latency_seconds",
            "Time to the full response.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.ttft = Histogram(
            "agadir_time_to_first_token_seconds",
            "Streaming: time to the first token.",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tokens_in = Counter(
            "agadir_prompt_tokens", "Prompt tokens processed.", ["model"], registry=self.registry
        )
        self.tokens_out = Counter(
            "agadir_completion_tokens", "Tokens generated.", ["model"], registry=self.registry
        )
        self.in_flight = Gauge(
            "agadir_requests_in_flight", "Requests being processed.", registry=self.registry
        )
        self.queue_depth = Gauge(
            "agadir_engine_queue_depth",
            "Generations waiting for a free engine slot.",
            ["model"],
            registry=self.registry,
        )

    def record_tokens(self, model: str, prompt: int, completion: int) -> None:
        self.tokens_in.labels(model).inc(prompt)
        self.tokens_out.labels(model).inc(completion)

    def watch_queue(self, model: str, depth: Callable[[], float]) -> None:
        """Report an engine's waiting-queue length at scrape time."""
        self.queue_depth.labels(model).set_function(depth)

    def render(self) -> bytes:
        return generate_latest(self.registry)

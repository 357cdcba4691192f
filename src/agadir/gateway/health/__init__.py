"""Liveness, Prometheus metrics."""

"""Scorers: turn one sample and the endpoint's cached answer into per-metric statistics."""

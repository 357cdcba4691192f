"""Knowledge bases: ingest documents, index them (BM25 + vectors), retrieve, cite, erase.

Pipeline: `extract` (file -> `ExtractedDocument`) -> `chunking` (sentence-aware spans with page
and character offsets) -> `index` (SQLite FTS5 + dense vectors) -> `retrieval` (hybrid, RRF)
-> `citations` (checked against stored text) -> `erasure`.
"""

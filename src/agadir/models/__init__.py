"""The model store: model files with a manifest (sha256, size, licence, source, engine)."""

from agadir.models.manifest import ModelManifest
from agadir.models.store import ModelStore, VerifyResult

__all__ = ["ModelManifest", "ModelStore", "VerifyResult"]

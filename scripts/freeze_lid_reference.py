"""Freeze what the LID classifier computes today, so a faster implementation can be held to it.

Writes two files under ``tests/lang/data/`` (read by ``tests/lang/test_lid_reference.py``):

* ``lid_reference.json``: varied and awkward lines written for this test (empty, emoji,
  mixed scripts, harakat, bidi controls, a 1 MB line given as a repeat recipe...). For each:
  its feature vector (bucket -> count, summed over n-gram orders, whole words and markers),
  the row scale, the inverse temperature, the script counts, and the probabilities of the
  artefact it was frozen with (with that artefact's sha256). The features do not depend on
  the weights, so the test can rebuild exact probabilities for a retrained artefact of the
  same format.
* ``lid_reference_dev.npz``: for every line of the shared ``lid/dev.tsv`` a 64-bit digest of
  the same feature vector, scale, temperature bucket and script counts (no text is copied),
  and the top label and probability under the frozen artefact.

Run it only when the feature definitions change on purpose (never to make a test pass):

    PYTHONPATH=src python scripts/freeze_lid_reference.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from lid_data import default_data, shared_split  # noqa: E402

from agadir.lang import _features  # noqa: E402
from agadir.lang.lid import LidModel, load_model, probabilities  # noqa: E402

OUT = ROOT / "tests" / "lang" / "data"
ARTEFACT = ROOT / "src" / "agadir" / "lang" / "lid_model.npz"

#: Lines written for this reference (no data set text). A dict is a repeat recipe for lines
#: too long to store: ``{"repeat": s, "times": n}``.
LINES: list[str | dict[str, Any]] = [
    "",
    " ",
    "\n\t\r",
    "😀😀😀",
    "😀 salam 😀",
    "123 456 7,5%",
    "https://agadir.ma/x?y=1",
    "a",
    "ab",
    "ا",
    "اب",
    "ana@example.ma #tag @me 2024",
    "salam 3afak, fin kayn l'hotel? 2024",
    "wach nta mzyan? ana 7mdlah",
    "SALAM KHOUYA",
    "Bonjour, je voudrais réserver une chambre pour deux nuits.",
    "Where is the train station, please?",
    "¿Dónde está la estación de tren?",
    "azul fell-awen, amek tellid?",
    "qu'est-ce que c'est l'hôtel-de-ville",
    "واش عندك شي وقت دابا؟",
    "بغيت نمشي للسوق غدا",
    "شنو سميتك؟",
    "ڭاع ما فهمتش",
    "هل تستطيع مساعدتي؟",
    "هَلْ يُمْكِنُكَ أَنْ تُسَاعِدَنِي؟",
    "مـــرحـــبـــا بكم",
    "إنّ العِلْمَ نُورٌ",
    "راني نحوس عليك بصح",
    "مش عايز كده دلوقتي",
    "الذي سوف لن ليس",
    "ديال دابا شنو واخا",
    "\u200fمرحبا\u200e بيك\u200d",
    "گ ی ک ئ ؤ أ إ آ ٱ ى",
    "٣٤٥ درهم فقط",
    "ⴰⵣⵓⵍ ⴼⵍⴰⵡⵏ",
    "ⵜⴰⵎⴰⵣⵉⵖⵜ ⵜⵓⴳⴰ",
    "salam واش ⵜⴰⵎⴰⵣⵉⵖⵜ hello",
    "Привет, как дела?",
    "你好世界 hello",
    "Привет مرحبا",
    "𝐀𝐁𝐂 𝑥𝑦𝑧 salam",
    "e\u0301te\u0301 cafe\u0301",
    "İstanbul ΣΊΣΥΦΟΣ straße",
    "line\nwith\ttabs\rinside",
    "ڤ پ چ ژ",
    "ۖ ۗ ۘ قرآن ۚ",
    "a\u00a0b\u2003c مرحبا",
    "واش" * 150 + " ok",
    " ".join(["بزاف"] * 120),
    {"repeat": "ديال ", "times": 200_000},
    {"repeat": "salam 3afak ", "times": 90_000},
]


def texts() -> list[str]:
    """`LINES` with the repeat recipes expanded."""
    return [x if isinstance(x, str) else x["repeat"] * x["times"] for x in LINES]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def line_features(model: LidModel, lines: list[str]) -> dict[str, Any]:
    """Per-line feature vectors (training path: `_features.feature_matrix` before scaling)."""
    batch = _features.encode(lines, fold=model.features >= 2)
    mats, scale = _features.order_matrices(
        batch, model.bits, model.words, markers=model.features >= 2, web=model.features >= 3
    )
    total = mats[0]
    for mat in mats[1:]:
        total = total + mat
    total = total[:, : 1 << model.bits].tocsr()
    total.sort_indices()
    return {
        "rows": [
            (total.indices[a:b].astype(np.int64), total.data[a:b].astype(np.int64))
            for a, b in zip(total.indptr[:-1], total.indptr[1:], strict=True)
        ],
        "scale": scale,
        "inv_temperature": model.inverse_temperature(lines),
        "scripts": _features.script_counts(batch),
    }


def digest(cols: npt.NDArray[np.int64], counts: npt.NDArray[np.int64], *extra: Any) -> int:
    """64-bit digest of one line's features (the test recomputes it the same way)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(cols.astype("<i8").tobytes())
    h.update(counts.astype("<i8").tobytes())
    h.update(repr(extra).encode())
    return int.from_bytes(h.digest(), "little")


def feature_digests(feats: dict[str, Any]) -> npt.NDArray[np.uint64]:
    """`digest` of every line of a `line_features` result."""
    return np.array(
        [
            digest(cols, counts, float(scale), float(inv_t), scripts.tolist())
            for (cols, counts), scale, inv_t, scripts in zip(
                feats["rows"],
                feats["scale"],
                feats["inv_temperature"],
                feats["scripts"],
                strict=True,
            )
        ],
        dtype=np.uint64,
    )


def main() -> None:
    model = load_model()
    OUT.mkdir(parents=True, exist_ok=True)
    meta = {
        "artefact_sha256": sha256(ARTEFACT),
        "bits": model.bits,
        "words": model.words,
        "features": model.features,
        "labels": list(model.labels),
    }
    lines = texts()
    feats = line_features(model, lines)
    p, und = probabilities(lines, model)
    entries = []
    for i, line in enumerate(LINES):
        cols, counts = feats["rows"][i]
        entries.append(
            {
                "text": line,
                "cols": cols.tolist(),
                "counts": counts.tolist(),
                "scale": float(feats["scale"][i]),
                "inv_temperature": float(feats["inv_temperature"][i]),
                "scripts": feats["scripts"][i].tolist(),
                "undetermined": bool(und[i]),
                "probabilities": [float(x) for x in p[i]],
            }
        )
    (OUT / "lid_reference.json").write_text(
        json.dumps({**meta, "lines": entries}, ensure_ascii=False, indent=0) + "\n",
        encoding="utf-8",
    )
    dev_path = default_data() / "lid" / "dev.tsv"
    dev = shared_split(default_data(), "dev").texts
    feats = line_features(model, dev)
    p, und = probabilities(dev, model)
    digests = feature_digests(feats)
    np.savez_compressed(
        OUT / "lid_reference_dev.npz",
        digests=digests,
        top=np.argmax(p, axis=1).astype(np.int16),
        top_p=p.max(axis=1),
        undetermined=und,
        dev_sha256=np.array(sha256(dev_path)),
        artefact_sha256=np.array(meta["artefact_sha256"]),
    )
    print(f"froze {len(LINES)} lines and {len(dev)} dev digests into {OUT}")


if __name__ == "__main__":
    main()

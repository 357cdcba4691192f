"""Rebuild `src/agadir/lang/lid_weblex.npz` (and its NOTICE) from FineWeb-2's word lists.

Reads ``fineweb2/wordlists/{ary_Arab,arb_Arab}.txt`` of the shared data (FineWeb-2's
``misc/precision_filtering/wordlists-0.85``), folds every word as LID features fold text
(`agadir.lang._fold.fold_text`), and keeps for each list the 32-bit key of the word's hash
(`agadir.lang.lid_weblex.word_key`), sorted and delta-encoded: no word text is packaged.
Words that fold to nothing or to several words (punctuation inside) are skipped; a key in both
lists is kept in neither (`agadir.lang.lid_weblex.encode_lists`). Deterministic: the same lists
give the same bytes' content (npz members compare equal).

    python scripts/build_lid_weblex.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from build_fineweb2_assets import COMMIT, SOURCE  # noqa: E402
from lid_data import default_data  # noqa: E402

from agadir.lang._fold import fold_text  # noqa: E402
from agadir.lang.lid_markers import word_hash  # noqa: E402
from agadir.lang.lid_weblex import ARTEFACT, LISTS, encode_lists, word_key  # noqa: E402

OUT = ROOT / "src" / "agadir" / "lang"
NOTICE = f"""# FineWeb-2 word lists (LID web lexicon)

`{ARTEFACT}` is derived from FineWeb-2 ({SOURCE}, commit {COMMIT}),
Copyright the FineWeb-2 authors (Hugging Face), licensed under the Apache License 2.0
(https://www.apache.org/licenses/LICENSE-2.0).

- Source files: `misc/precision_filtering/wordlists-0.85/{{{",".join(LISTS)}}}.txt`.
- Modified by the Agadir authors: each word folded (`agadir.lang._fold.fold_text`) and
  replaced by a 32-bit key of its hash (`agadir.lang.lid_weblex.word_key`);
  words in both lists removed; sorted and delta-encoded. No word text is stored.

Rebuilt by `scripts/build_lid_weblex.py`; read by `agadir.lang.lid_weblex`.
"""


def list_keys(path: Path) -> set[int]:
    """Keys of the folded single words of one word list."""
    keys = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        folded = fold_text(line.strip()).strip()
        if folded and " " not in folded:
            keys.add(word_key(word_hash(folded)))
    return keys


def lists_keys(data: Path) -> dict[str, set[int]]:
    """Keys of every list in `LISTS`, from the shared data folder ``data``."""
    folder = data / "fineweb2" / "wordlists"
    return {name: list_keys(folder / f"{name}.txt") for name in LISTS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    keys = lists_keys(args.data)
    encoded = encode_lists(keys)
    np.savez_compressed(args.out / ARTEFACT, **encoded)  # type: ignore[arg-type]
    (args.out / "NOTICE.md").write_text(NOTICE, encoding="utf-8")
    shared = len(set.intersection(*keys.values()))
    sizes = ", ".join(f"{name} {len(encoded[name])}" for name in LISTS)
    size = (args.out / ARTEFACT).stat().st_size / 1e3
    print(f"wrote {args.out / ARTEFACT} ({size:.0f} kB): {sizes} keys; {shared} in both, dropped")


if __name__ == "__main__":
    main()

"""Rebuild the FineWeb-2 files packaged in `src/agadir/corpus/fineweb2/` from a FineWeb-2 copy.

The corpus builder needs FineWeb-2's per-language thresholds and its Darija precision word list
on any install, so the part it reads ships with the package (like the LID model), and this
script is how it got there:

* ``thresholds.json``: for each config in `FINEWEB2_CONFIGS`, the keys of ``configs/{name}.yml``
  that `QualitySettings` reads (`FINEWEB2_KEYS`), values unchanged;
* ``ary_Arab.txt``: ``wordlists/ary_Arab.txt``, one word a line, blank lines and repeats removed;
* ``NOTICE.md``: source, commit, licence and what was taken.

    python scripts/build_fineweb2_assets.py [--data ../shared/data/fineweb2]

The output is deterministic (sorted keys, fixed layout): rerunning on the same data changes no
byte, which `tests/corpus/test_packaged_fineweb2.py` checks against the shared copy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from agadir.corpus.fineweb2_assets import DARIJA_WORDLIST, FOLDER, THRESHOLDS  # noqa: E402
from agadir.corpus.quality import (  # noqa: E402
    FINEWEB2_CONFIGS,
    FINEWEB2_KEYS,
    read_fineweb2_config,
)

OUT = ROOT / "src" / "agadir" / "corpus" / FOLDER
SOURCE = "github.com/huggingface/fineweb-2"
COMMIT = "d0defb24f193bb9a5a11b8b14524a03c4858e1b6"

NOTICE = f"""# FineWeb-2 thresholds and word list

Derived from FineWeb-2 ({SOURCE}, commit {COMMIT}),
Copyright the FineWeb-2 authors (Hugging Face), licensed under the Apache License 2.0
(https://www.apache.org/licenses/LICENSE-2.0).

- `{THRESHOLDS}`: from `configs/{{name}}.yml` for {", ".join(FINEWEB2_CONFIGS)}, only the keys
  {", ".join(FINEWEB2_KEYS)}; values unchanged.
- `{DARIJA_WORDLIST}`: `misc/precision_filtering/wordlists-0.85/ary_Arab.txt`, blank lines and
  repeated words removed.

Modified by the Agadir authors: selection and format only. Rebuilt by
`scripts/build_fineweb2_assets.py`; read by `agadir.corpus.quality` and `agadir.corpus.precision`.
"""


def thresholds(data: Path) -> dict[str, object]:
    configs = {}
    for name in FINEWEB2_CONFIGS:
        raw = read_fineweb2_config(data / "configs", name)
        missing = [k for k in FINEWEB2_KEYS if k not in raw and k != "stopwords"]
        if missing:
            raise SystemExit(f"configs/{name}.yml lacks {missing}: not a FineWeb-2 config?")
        configs[name] = {k: raw[k] for k in FINEWEB2_KEYS if k in raw}
    return {"source": SOURCE, "commit": COMMIT, "licence": "Apache-2.0", "configs": configs}


def wordlist(data: Path) -> str:
    lines = (data / "wordlists" / DARIJA_WORDLIST).read_text(encoding="utf-8").splitlines()
    words = dict.fromkeys(w.strip() for w in lines if w.strip())
    return "".join(f"{w}\n" for w in words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/fineweb2")
    parser.add_argument("--out", type=Path, default=OUT, help="(tests write elsewhere)")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(exist_ok=True)
    body = json.dumps(thresholds(args.data), ensure_ascii=False, indent=1, sort_keys=True)
    (out / THRESHOLDS).write_text(body + "\n", encoding="utf-8")
    (out / DARIJA_WORDLIST).write_text(wordlist(args.data), encoding="utf-8")
    (out / "NOTICE.md").write_text(NOTICE, encoding="utf-8")
    for name in (THRESHOLDS, DARIJA_WORDLIST, "NOTICE.md"):
        print(f"{out / name}: {(out / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()

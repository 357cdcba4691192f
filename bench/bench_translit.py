"""Arabizi -> Arabic on ../shared/data/parallel/doda_imagenet_arabizi-arabic.dev.tsv.

Compares, on the same pairs in one run: `agadir.lang.arabizi_to_arabic` as it is now, the same
function as committed on ``--baseline`` (default ``main``; its modules and artefacts are written
to bench/out/baseline/, which git ignores, and imported from there), and the PyPI packages
`darija-tools` and `arabizi`. Character error rate =
Levenshtein(hyp, ref) / len(ref), summed over the set; both sides have Arabic diacritics
(shadda...) and tatweel removed first, because the references mark gemination inconsistently
and no system predicts it. Exact match uses the same comparison.

Per word-frequency bucket: pairs whose Latin and Arabic sides have the same number of words are
split into words, and each word is put in a bucket by how often its Latin form occurs in the
DODa Arabizi training sentences (unseen, 1-9, 10+); exact match and CER are given per bucket.
Also the issue's common-word table, oracle@5 (reference among our 5 candidates) and lines per
CPU second (process time of a first, cold pass: robust to other load on a shared machine).

    python bench/bench_translit.py [--data ../shared/data] [--baseline main] [--show 20]
"""

from __future__ import annotations

import argparse
import csv
import importlib
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from build_translit_lexicon import doda_words  # noqa: E402
from git_baseline import committed_file  # noqa: E402
from lid_data import default_data  # noqa: E402

from agadir.lang.arabizi import arabizi_to_arabic  # noqa: E402

_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
OUT = ROOT / "bench" / "out"
#: The issue's table: Arabizi -> what a Moroccan writes.
COMMON = [("safi", "صافي"), ("sahbi", "صاحبي"), ("chokran", "شكرا"),
          ("salam 3likom", "السلام عليكم")]  # fmt: skip
BUCKETS = (("unseen", 0, 0), ("1-9", 1, 9), ("10+", 10, 10**9))


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def canon(text: str) -> str:
    return " ".join(_MARKS.sub("", text).split())


def scores(hyps: list[str], refs: list[str]) -> tuple[float, float]:
    """(CER, exact match) of canonical hypotheses against canonical references."""
    errors = sum(levenshtein(h, r) for h, r in zip(hyps, refs, strict=True))
    chars = max(sum(len(r) for r in refs), 1)
    exact = statistics.mean(h == r for h, r in zip(hyps, refs, strict=True)) if refs else 0.0
    return errors / chars, exact


#: The transliterator's modules and artefacts, copied from the baseline ref side by side.
_BASE_FILES = ("arabizi.py", "charlm.py", "translit_lexicon.py", "translit_lm.npz",
               "translit_lexicon.npz")  # fmt: skip


def baseline_module(ref: str) -> ModuleType | None:
    """`agadir.lang.arabizi` with its LM and lexicon code and artefacts as committed on git
    ``ref``, imported as a separate package under bench/out/ (which git ignores), or None."""
    name = "agadir_base_" + re.sub(r"\W", "_", ref)
    pkg = OUT / "baseline" / name
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    for file in _BASE_FILES:
        blob = committed_file(ref, f"src/agadir/lang/{file}")
        if blob is None:
            if file == "arabizi.py":
                return None
            continue
        if file.endswith(".py"):
            text = blob.decode("utf-8")
            for mod in ("charlm", "translit_lexicon"):
                text = text.replace(f"agadir.lang.{mod}", f"{name}.{mod}")
            blob = text.replace('files("agadir.lang")', f'files("{name}")').encode("utf-8")
        (pkg / file).write_bytes(blob)
    sys.path.insert(0, str(pkg.parent))
    return importlib.import_module(f"{name}.arabizi")


def run(name: str, fn: Callable[[str], str], pairs: list[tuple[str, str]],
        freq: Counter[str]) -> dict[str, object]:  # fmt: skip
    t0 = time.process_time()
    hyps = [canon(fn(src)) for src, _ in pairs]
    dt = time.process_time() - t0
    refs = [canon(ref) for _, ref in pairs]
    cer, exact = scores(hyps, refs)
    out: dict[str, object] = {"system": name, "cer": cer, "exact": exact, "lps": len(pairs) / dt}
    out["n_exact"] = sum(h == r for h, r in zip(hyps, refs, strict=True))
    words: dict[str, tuple[list[str], list[str]]] = {b[0]: ([], []) for b in BUCKETS}
    for (src, _), hyp, ref in zip(pairs, hyps, refs, strict=True):
        latin, h_words, r_words = src.split(), hyp.split(), ref.split()
        if not len(latin) == len(h_words) == len(r_words):
            continue
        for lw, hw, rw in zip(latin, h_words, r_words, strict=True):
            n = freq.get(lw, 0) or freq.get(lw.lower(), 0)
            bucket = next(b for b, lo, hi in BUCKETS if lo <= n <= hi)
            words[bucket][0].append(hw)
            words[bucket][1].append(rw)
    for bucket, (bucket_hyps, bucket_refs) in words.items():
        out[bucket] = (*scores(bucket_hyps, bucket_refs), len(bucket_refs))
    common = [canon(fn(src)) == canon(ref) for src, ref in COMMON]
    out["common"] = sum(common)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--baseline", default="main", help="git ref of the code to compare with")
    ap.add_argument("--show", type=int, default=0, help="print this many of our errors")
    args = ap.parse_args()
    path = args.data / "parallel" / "doda_imagenet_arabizi-arabic.dev.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    pairs = [(r[0], r[1]) for r in rows if len(r) >= 2]
    freq = doda_words(args.data)

    systems: list[tuple[str, Callable[[str], str]]] = [
        ("agadir.lang (this branch)", lambda s: arabizi_to_arabic(s)[0][0]),
    ]
    base = baseline_module(args.baseline)
    if base is not None:
        systems.append(
            (f"agadir.lang ({args.baseline})", lambda s: base.arabizi_to_arabic(s)[0][0])
        )
    try:
        import darija_tools

        systems.append(("darija-tools " + darija_tools.__version__, darija_tools.to_arabic))
    except ImportError:
        print("darija-tools not installed: pip install darija-tools")
    try:
        import arabizi

        systems.append(("arabizi " + arabizi.__version__, arabizi.transliterate))
    except ImportError:
        print("arabizi not installed: pip install arabizi")

    results = [run(name, fn, pairs, freq) for name, fn in systems]
    top5 = statistics.mean(
        canon(ref) in {canon(c) for c, _ in arabizi_to_arabic(src, n=5)} for src, ref in pairs
    )
    print(f"Arabizi -> Arabic, {len(pairs)} DODa dev pairs ({path.name})\n")
    head = " | ".join(f"exact / CER, {b} words (n)" for b, _, _ in BUCKETS)
    print(
        f"| system | CER | exact match | {head} | common words (of {len(COMMON)}) | lines/CPU s |"
    )
    print("|---|---:|---:|" + "---:|" * len(BUCKETS) + "---:|---:|")
    for r in results:
        cells = " | ".join(
            f"{r[b][1]:.3f} / {r[b][0]:.3f} ({r[b][2]})"  # type: ignore[index]
            for b, _, _ in BUCKETS
        )
        print(
            f"| {r['system']} | {r['cer']:.3f} | {r['exact']:.3f} "
            f"({r['n_exact']}/{len(pairs)}) | {cells} | {r['common']} "
            f"| {r['lps']:.0f} |"
        )
    print(f"\nagadir.lang oracle@5 (reference among 5 candidates): {top5:.3f}")
    if args.show:
        for src, ref in pairs[: args.show]:
            hyp = arabizi_to_arabic(src)[0][0]
            if canon(hyp) != canon(ref):
                print(src, "|", canon(ref), "|", canon(hyp))


if __name__ == "__main__":
    main()

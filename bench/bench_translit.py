"""Arabizi -> Arabic on ../shared/data/parallel/doda_imagenet_arabizi-arabic.dev.tsv.

Compares `agadir.lang.arabizi_to_arabic` with the PyPI packages `darija-tools` and `arabizi` on
the same pairs in one run. Character error rate = Levenshtein(hyp, ref) / len(ref), summed over
the set; both sides have Arabic diacritics (shadda...) and tatweel removed first, because the
references mark gemination inconsistently and no system predicts it. Exact match uses the same
comparison. Also reports oracle@5 (reference among our 5 candidates) and lines/s.

    python bench/bench_translit.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from agadir.lang.arabizi import arabizi_to_arabic  # noqa: E402

_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")


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


def evaluate(
    name: str, fn: Callable[[str], str], pairs: list[tuple[str, str]]
) -> dict[str, object]:
    t0 = time.perf_counter()
    hyps = [canon(fn(src)) for src, _ in pairs]
    dt = time.perf_counter() - t0
    refs = [canon(ref) for _, ref in pairs]
    errors = sum(levenshtein(h, r) for h, r in zip(hyps, refs, strict=True))
    chars = sum(len(r) for r in refs)
    exact = statistics.mean(h == r for h, r in zip(hyps, refs, strict=True))
    return {"system": name, "cer": errors / chars, "exact": exact, "lps": len(pairs) / dt}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--show", type=int, default=0, help="print this many of our errors")
    args = ap.parse_args()
    path = args.data / "parallel" / "doda_imagenet_arabizi-arabic.dev.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    pairs = [(r[0], r[1]) for r in rows if len(r) >= 2]

    systems: list[tuple[str, Callable[[str], str]]] = [
        ("agadir.lang", lambda s: arabizi_to_arabic(s)[0][0]),
    ]
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

    results = [evaluate(name, fn, pairs) for name, fn in systems]
    top5 = statistics.mean(
        canon(ref) in {canon(c) for c, _ in arabizi_to_arabic(src, n=5)} for src, ref in pairs
    )
    print(f"Arabizi -> Arabic, {len(pairs)} DODa dev pairs ({path.name})\n")
    print("| system | CER | exact match | lines/s |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['system']} | {r['cer']:.3f} | {r['exact']:.3f} | {r['lps']:.0f} |")
    print(f"\nagadir.lang oracle@5 (reference among 5 candidates): {top5:.3f}")
    if args.show:
        for src, ref in pairs[: args.show]:
            hyp = arabizi_to_arabic(src)[0][0]
            if canon(hyp) != canon(ref):
                print(src, "|", canon(ref), "|", canon(hyp))


if __name__ == "__main__":
    main()

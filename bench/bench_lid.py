"""LID on ../shared/data/lid/dev.tsv: agadir.lang vs py3langid, same lines, one run.

Reports per-label F1, macro-F1 over the 12 labels, accuracy on lines of <= 5 words, and batch
throughput on one core (median of 5 runs over the whole dev set). py3langid labels are mapped
ary->ary_Arab (Arabic script) / ary_Latn (Latin), ar->arb_Arab, arz->arz_Arab, kab->ber_Latn,
fr/en/es->fra/eng/spa_Latn; anything else counts as wrong.

    OMP_NUM_THREADS=1 python bench/bench_lid.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from train_lid import f1_report, read_tsv  # noqa: E402

from agadir.lang.labels import LABELS  # noqa: E402
from agadir.lang.lid import best_labels, load_model  # noqa: E402

_PY3 = {"ar": "arb_Arab", "arz": "arz_Arab", "kab": "ber_Latn", "fr": "fra_Latn",
        "en": "eng_Latn", "es": "spa_Latn"}  # fmt: skip


def py3langid_labels(texts: list[str]) -> tuple[list[str], float]:
    import py3langid

    t0 = time.perf_counter()
    out = []
    for t in texts:
        code = py3langid.classify(t)[0]
        if code == "ary":
            out.append("ary_Latn" if t[:1].isascii() else "ary_Arab")
        else:
            out.append(_PY3.get(code, "und"))
    return out, len(texts) / (time.perf_counter() - t0)


def main() -> None:
    gold, texts = read_tsv(ROOT.parent / "shared" / "data" / "lid" / "dev.tsv")
    load_model()
    ours = best_labels(texts)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        best_labels(texts)
        times.append(time.perf_counter() - t0)
    lps = len(texts) / statistics.median(times)
    theirs, lps3 = py3langid_labels(texts)
    short = [i for i, t in enumerate(texts) if len(t.split()) <= 5]
    rows = [("agadir.lang", ours, lps), ("py3langid", theirs, lps3)]
    print(f"LID on dev.tsv: {len(texts)} lines, {len(short)} of <= 5 words\n")
    print("| system | macro-F1 | " + " | ".join(LABELS) + " | acc <=5 words | lines/s |")
    print("|---|" + "---:|" * (len(LABELS) + 3))
    for name, pred, speed in rows:
        rep = f1_report(gold, pred)
        acc_short = statistics.mean(pred[i] == gold[i] for i in short)
        cells = " | ".join(f"{rep[lab]:.3f}" for lab in LABELS)
        print(f"| {name} | {rep['macro']:.3f} | {cells} | {acc_short:.3f} | {speed:,.0f} |")


if __name__ == "__main__":
    main()

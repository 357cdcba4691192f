"""LID on the shared dev split and on short everyday lines: this branch vs main vs py3langid.

One run, same lines for every system:

* ``dev.tsv`` as is, and its Arabic-script lines with harakat stripped / randomly added
  (seeded): MSA must stay MSA whether or not it is vocalised;
* ``dev crops``: one <= 3-word and one 4-8-word window of every long dev line (seeded);
* ``DODa dev, Arabic script``: the DODa dev Arabizi sentences written in Arabic script by our
  full transliterator (lexicon + character model; training used the character model alone,
  so spellings differ a little), mixed with the other Arabic-script dev lines;
* ``hand-written``: short everyday lines written for this benchmark (`HAND`), never trained on.

For each: macro-F1 over the labels present, F1 of ary_Arab / arb_Arab / arq_Arab / arz_Arab,
ary_Arab F1 on lines of <= 3 words, and expected calibration error (ECE). Then batch
throughput on one core (median of 7 runs over the whole dev set, ``best_labels`` and the
public ``identify_batch`` with top-3 lists) with the 1-minute load average, and a confusion
matrix of this branch on dev (``docs/img/lid_confusion.png``) plus a reliability plot
(``docs/img/lid_calibration.png``). The main model is ``git show main:.../lid_model.npz``,
written to bench/out/ (git-ignored). py3langid labels are mapped ary->ary_Arab (Arabic script)
/ ary_Latn (Latin), ar->arb_Arab, arz->arz_Arab, kab->ber_Latn, fr/en/es->fra/eng/spa_Latn.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python bench/bench_lid.py [--baseline main]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from git_baseline import committed_file  # noqa: E402
from lid_data import Rows, crops, default_data, doda_translit, shared_split  # noqa: E402
from lid_eval import ece, f1_report, label_f1, predict  # noqa: E402
from lid_plots import calibration_png, confusion_png  # noqa: E402

from agadir.lang import lid_markers  # noqa: E402
from agadir.lang.labels import script_of  # noqa: E402
from agadir.lang.lid import (  # noqa: E402
    LidModel,
    best_labels,
    identify_batch,
    load_model,
    load_model_file,
)

OUT = ROOT / "bench" / "out"
_PY3 = {"ar": "arb_Arab", "arz": "arz_Arab", "kab": "ber_Latn", "fr": "fra_Latn",
        "en": "eng_Latn", "es": "spa_Latn"}  # fmt: skip
_MARKS = ["\u064e", "\u064f", "\u0650", "\u0652", "\u0651", "\u064b", "\u0640"]
#: Short everyday lines written for this benchmark (not from any data set or test split).
HAND: list[tuple[str, str]] = [
    ("ary_Arab", "واش عندك شي وقت دابا؟"), ("ary_Arab", "بغيت نمشي للسوق غدا"),
    ("ary_Arab", "شنو سميتك؟"), ("ary_Arab", "ڭاع ما فهمتش"), ("ary_Arab", "فين غادي؟"),
    ("ary_Arab", "مزيان بزاف"), ("ary_Arab", "عافاك عاونيني"), ("ary_Arab", "ماكاينش مشكل"),
    ("ary_Arab", "كنبغيك بزاف"), ("ary_Arab", "شحال هادي؟"), ("ary_Arab", "واخا نتلاقاو من بعد"),
    ("ary_Arab", "ديالي هادا"), ("ary_Arab", "راني جاي دابا"), ("ary_Arab", "الله يعطيك الصحة"),
    ("ary_Arab", "سير تقرا"), ("ary_Arab", "علاش ما جيتيش البارح؟"),
    ("arb_Arab", "هل تستطيع مساعدتي؟"), ("arb_Arab", "أين تقع المحطة؟"),
    ("arb_Arab", "شكرا جزيلا لك"), ("arb_Arab", "ماذا تريد أن تأكل؟"),
    ("arb_Arab", "لم أفهم السؤال"), ("arb_Arab", "سأعود بعد قليل"),
    ("arb_Arab", "هَلْ يُمْكِنُكَ أَنْ تُسَاعِدَنِي؟"), ("arb_Arab", "الطقس جميل اليوم"),
    ("arz_Arab", "انت عامل ايه؟"), ("arz_Arab", "مش عارف اعمل ايه دلوقتي"),
    ("arz_Arab", "عايز اروح البيت"), ("arz_Arab", "ازيك يا صاحبي"),
    ("arq_Arab", "واش راك خويا؟"), ("arq_Arab", "راني نحوس عليك"),
    ("arq_Arab", "بصح ماكانش الوقت"), ("arq_Arab", "هاذي تاعي"),
]  # fmt: skip


def main_model(ref: str) -> LidModel | None:
    """The LID artefact committed on git ``ref``, written to bench/out/."""
    path = OUT / f"lid_model_{ref.replace('/', '_')}.npz"
    blob = committed_file(ref, "src/agadir/lang/lid_model.npz")
    if blob is None:
        return None
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return load_model_file(path)


@contextmanager
def markers_of(ref: str) -> Iterator[None]:
    """Score with the marker-word lists committed on ``ref`` (the baseline artefact was
    trained with them; the shared marker features depend on the lists, not on the weights)."""
    blob = committed_file(ref, "src/agadir/lang/lid_markers.py")
    if blob is None:
        yield
        return
    source = blob.decode("utf-8")
    scope: dict[str, object] = {"__name__": "baseline_markers"}
    exec(compile(source, f"{ref}:lid_markers.py", "exec"), scope)  # our own file at ``ref``
    theirs = scope.get("MARKERS")
    saved = dict(lid_markers.MARKERS)
    if not isinstance(theirs, dict):
        yield
        return
    lid_markers.MARKERS.clear()
    lid_markers.MARKERS.update(theirs)
    lid_markers.marker_table.cache_clear()
    lid_markers.marker_probe.cache_clear()
    try:
        yield
    finally:
        lid_markers.MARKERS.clear()
        lid_markers.MARKERS.update(saved)
        lid_markers.marker_table.cache_clear()
        lid_markers.marker_probe.cache_clear()


def baseline_predict(model: LidModel, ref: str, texts: list[str]) -> tuple[list[str], np.ndarray]:
    """`predict` with the baseline's artefact and marker lists."""
    with markers_of(ref):
        return predict(model, texts)


def py3langid_predict(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """py3langid's labels mapped to ours, with its normalised probability (for ECE)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    out, conf = [], []
    for t in texts:
        code, score = identifier.classify(t)
        if code == "ary":
            out.append("ary_Latn" if t[:1].isascii() else "ary_Arab")
        else:
            out.append(_PY3.get(code, "und"))
        conf.append(float(score))
    return out, np.array(conf)


def harakat(rows: Rows, add: bool) -> Rows:
    """Arabic-script rows with every mark stripped, or with marks added after ~1 letter in 3."""
    rng = random.Random("1234-harakat")
    texts = []
    for text in rows.texts:
        chars = [c for c in text if c not in _MARKS and not "\u064b" <= c <= "\u0652"]
        if add:
            chars = [c + (rng.choice(_MARKS) if "\u0621" <= c <= "\u064a" and
                          rng.random() < 0.35 else "") for c in chars]  # fmt: skip
        texts.append("".join(chars))
    return Rows(rows.labels, texts, rows.sources, rows.crop)


def sets(data: Path) -> dict[str, Rows]:
    dev = shared_split(data, "dev")
    arabic = dev.subset([script_of(x) == 2 for x in dev.labels])
    other_arabic = dev.subset([script_of(x) == 2 and x != "ary_Arab" for x in dev.labels])
    n = len(HAND)
    return {
        "dev.tsv": dev,
        "dev Arabic-script, harakat stripped": harakat(arabic, add=False),
        "dev Arabic-script, harakat added": harakat(arabic, add=True),
        "dev crops (<= 8 words)": crops(dev, "1234-crop-dev"),
        "DODa dev, Arabic script": doda_translit(data, "dev", lexicon=True) + other_arabic,
        "hand-written short lines": Rows(
            [lab for lab, _ in HAND], [t for _, t in HAND], ["hand"] * n, [False] * n
        ),
    }


def lines_per_second(
    fn: Callable[[Sequence[str]], object], texts: list[str], runs: int = 7
) -> float:
    """Median throughput of ``fn`` over the whole list (one warm-up call first)."""
    fn(texts)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(texts)
        times.append(time.perf_counter() - t0)
    return len(texts) / statistics.median(times)


def bucket_ece(texts: list[str], correct: np.ndarray, conf: np.ndarray) -> str:
    """ECE within each length bucket (``-`` for an empty one): one temperature cannot fit all."""
    n_words = np.array([len(t.split()) for t in texts])
    cells = []
    for lo, hi in ((0, 3), (4, 8), (9, 10**9)):
        mask = (n_words >= lo) & (n_words <= hi)
        cells.append(f"{ece(correct[mask], conf[mask]):.3f}" if mask.any() else "-")
    return " / ".join(cells)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--baseline", default="main")
    args = ap.parse_args()
    ours = load_model()
    systems: list[tuple[str, Callable[[list[str]], tuple[list[str], np.ndarray]]]] = [
        ("agadir.lang (this branch)", lambda t: predict(ours, t))
    ]
    base = main_model(args.baseline)
    if base is not None:
        systems.append(
            (f"agadir.lang ({args.baseline})", lambda t: baseline_predict(base, args.baseline, t))
        )
    try:
        import py3langid  # noqa: F401

        systems.append(("py3langid", py3langid_predict))
    except ImportError:
        print("py3langid not installed: pip install py3langid")
    cols = ("ary_Arab", "arb_Arab", "arq_Arab", "arz_Arab")
    print(
        "| set | system | macro-F1 | " + " | ".join(cols)
        + " | ary_Arab <=3 words | ECE | ECE <=3 / 4-8 / >8 words |"
    )  # fmt: skip
    print("|---|---|---:|" + "---:|" * len(cols) + "---:|---:|---:|")
    dev_pred: list[str] = []
    dev_conf = np.zeros(0)
    for title, rows in sets(args.data).items():
        short = [i for i, t in enumerate(rows.texts) if len(t.split()) <= 3]
        for name, fn in systems:
            pred, conf = fn(rows.texts)
            rep = f1_report(rows.labels, pred)
            short_f1 = label_f1([rows.labels[i] for i in short], [pred[i] for i in short],
                                "ary_Arab")  # fmt: skip
            has_short = any(rows.labels[i] == "ary_Arab" for i in short)
            correct = np.array([g == p for g, p in zip(rows.labels, pred, strict=True)])
            cells = " | ".join(f"{rep[c]:.3f}" if c in rows.labels else "-" for c in cols)
            short_cell = f"{short_f1:.3f}" if has_short else "-"
            print(
                f"| {title} | {name} | {rep['macro']:.3f} | {cells} | {short_cell} "
                f"| {ece(correct, conf):.3f} | {bucket_ece(rows.texts, correct, conf)} |"
            )
            if title == "dev.tsv" and name.endswith("(this branch)"):
                dev_pred, dev_conf = pred, conf
    dev = shared_split(args.data, "dev")
    lps = lines_per_second(best_labels, dev.texts)
    lps_top3 = lines_per_second(identify_batch, dev.texts)
    with markers_of(args.baseline):
        base_lps = lines_per_second(lambda t: best_labels(t, base), dev.texts) if base else 0.0
    print(
        f"\nthis branch: `identify_batch` (top-3 lists) {lps_top3:,.0f} lines/s, `best_labels` "
        f"{lps:,.0f} lines/s; {args.baseline} `best_labels` {base_lps:,.0f} lines/s (medians of "
        f"7 over {len(dev.texts)} lines; 1-min load average {os.getloadavg()[0]:.2f} on "
        f"{os.cpu_count()} cores)."
    )
    confusion_png(dev.labels, dev_pred, ROOT / "docs" / "img" / "lid_confusion.png")
    correct = np.array([g == p for g, p in zip(dev.labels, dev_pred, strict=True)])
    calibration_png(correct, dev_conf, ROOT / "docs" / "img" / "lid_calibration.png")
    print("plots: docs/img/lid_confusion.png, docs/img/lid_calibration.png")


if __name__ == "__main__":
    main()

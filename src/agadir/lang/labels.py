"""The label set of Moroccan language identification and the script each label is written in.

Labels are ISO 639-3 + ISO 15924 (``ary_Arab``); ``und`` is returned for text that has no
letters, is written in another script, or that the model cannot place with confidence.
"""

from __future__ import annotations

from typing import Final

LABELS: Final[tuple[str, ...]] = (
    "ary_Arab",
    "ary_Latn",
    "arb_Arab",
    "fra_Latn",
    "eng_Latn",
    "spa_Latn",
    "zgh_Tfng",
    "ber_Latn",
    "taq_Tfng",
    "taq_Latn",
    "arq_Arab",
    "arz_Arab",
)
UND: Final = "und"

#: Script codes used by the feature extractor: 1 Latin, 2 Arabic, 3 Tifinagh, 4 any other script.
SCRIPT_LATN: Final = 1
SCRIPT_ARAB: Final = 2
SCRIPT_TFNG: Final = 3
SCRIPT_OTHER: Final = 4


def script_of(label: str) -> int:
    """Script code of a label (``ary_Arab`` -> `SCRIPT_ARAB`)."""
    suffix = label.rsplit("_", 1)[-1]
    return {"Latn": SCRIPT_LATN, "Arab": SCRIPT_ARAB, "Tfng": SCRIPT_TFNG}.get(suffix, SCRIPT_OTHER)

"""`agadir tokenizer extend` end to end on a tiny model, and its refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.tune.test_cli_errors import agadir


def _text_file(shared: Path, label: str, path: Path, n: int = 300) -> Path:
    rows = (shared / "lid" / "train.tsv").read_text(encoding="utf-8").splitlines()
    lines = [r.split("\t", 1)[1] for r in rows if r.startswith(label + "\t")][:n]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_extend_writes_a_loadable_model(
    tiny_model: Callable[[str], Path], shared: Path, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tiny = tiny_model("llama")
    tfng = _text_file(shared, "zgh_Tfng", tmp_path / "zgh_Tfng.txt")
    arab = _text_file(shared, "ary_Arab", tmp_path / "ary_Arab.txt")
    out = tmp_path / "ext"
    done = agadir(
        "tokenizer", "extend", "--base", str(tiny), "--corpus", str(tfng), "--corpus",
        str(arab), "--target", "zgh_Tfng", "--target", "ary_Arab", "--merges", "30",
        "-o", str(out), home=tmp_path / "home",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "zgh_Tfng" in done.stdout and "new tokens" in done.stderr
    marker = json.loads((out / "agadir_extension.json").read_text())
    tok = AutoTokenizer.from_pretrained(str(out))
    model = AutoModelForCausalLM.from_pretrained(str(out))
    assert marker["vocab_size"] == len(tok) == marker["base_size"] + marker["new_tokens"]
    weight: Any = model.get_input_embeddings().weight
    assert weight.shape[0] >= len(tok)
    assert marker["init"]["from_pieces"] == marker["new_tokens"] > 0


def test_extend_refusals(shared: Path, tmp_path: Path) -> None:
    tfng = _text_file(shared, "zgh_Tfng", tmp_path / "zgh_Tfng.txt", 20)
    home = tmp_path / "home"
    bad_script = agadir(
        "tokenizer", "extend", "--corpus", str(tfng), "--target", "kab_Cyrl", "-o",
        str(tmp_path / "o"), home=home,
    )  # fmt: skip
    assert bad_script.returncode == 2
    assert "script 'Cyrl' not supported" in bad_script.stderr
    ambiguous = agadir(
        "tokenizer", "extend", "--corpus", str(tmp_path / "zgh_Tfng.txt"), "--corpus",
        str(tmp_path / "zgh_Tfng.txt"), "--target", "zgh_Tfng", "--target", "ary_Latn", "-o",
        str(tmp_path / "o"), home=home,
    )  # fmt: skip
    assert ambiguous.returncode == 2
    assert "no text for target ary_Latn" in ambiguous.stderr
    missing = agadir(
        "tokenizer", "extend", "--corpus", str(tmp_path / "nope"), "--target", "zgh_Tfng",
        "-o", str(tmp_path / "o"), home=home,
    )  # fmt: skip
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert not (tmp_path / "o").exists()

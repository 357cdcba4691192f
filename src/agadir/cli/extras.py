"""Which optional extra brings a missing module, so a command can say what to install.

Why: `agadir corpus build` without the `corpus` extra used to end in a raw
`ModuleNotFoundError: No module named 'datatrove'`; a user should read the exact command that
fixes it instead. The map lists the top-level modules of each extra in pyproject.toml.
"""

from __future__ import annotations

import sys

EXTRA_OF_MODULE = {
    **dict.fromkeys(
        ("datatrove", "xxhash", "tokenizers", "pyarrow", "yaml", "matplotlib", "warcio"), "corpus"
    ),
    "ray": "ray",
    **dict.fromkeys(("trl", "peft", "transformers", "datasets", "torch"), "tune"),
    **dict.fromkeys(("psycopg", "pgserver"), "postgres"),
    "vllm": "gpu",
}


def missing_extra_message(exc: ModuleNotFoundError) -> str | None:
    """The fix for a module an extra provides; None for any other missing module (a bug)."""
    top = (exc.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is None:
        return None
    return (
        f"this command needs the optional `{extra}` extra (module {top!r} is not installed). "
        f"Install it with: {sys.executable} -m pip install 'agadir[{extra}]' "
        f"(from a source checkout: pip install -e '.[{extra}]')"
    )

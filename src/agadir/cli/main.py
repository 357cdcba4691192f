"""Entry point of the `agadir` command: assembles the command groups.

Each group lives in its own module and exposes a `typer.Typer` named ``app``; this module only
wires them together and maps `AgadirError` to a message and a non-zero exit code.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from agadir.errors import AgadirError

app = typer.Typer(
    name="agadir",
    help="Agadir: a sovereign AI stack for Morocco on open-weight models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    """Attach command groups. Imports are here so `agadir --help` stays fast."""
    from agadir.cli import (
        audit,
        chat,
        config_cmd,
        corpus,
        doctor,
        kb,
        keys,
        models,
        serve,
        tenants,
        tokenizer,
        tune,
    )
    from agadir.cli import eval as eval_cmd
    from agadir.cli import lang as lang_cmd

    serve.register(app)
    chat.register(app)
    doctor.register(app)
    app.add_typer(models.app, name="models")
    app.add_typer(config_cmd.app, name="config")
    app.add_typer(lang_cmd.app, name="lang")
    app.add_typer(tenants.app, name="tenants")
    app.add_typer(keys.app, name="keys")
    app.add_typer(audit.app, name="audit")
    app.add_typer(corpus.app, name="corpus")
    app.add_typer(kb.app, name="kb")
    app.add_typer(eval_cmd.app, name="eval")
    app.add_typer(tune.app, name="tune")
    app.add_typer(tokenizer.app, name="tokenizer")


def main() -> None:
    """Run the CLI; expected failures print what to do and exit non-zero, never a traceback.

    Usage errors are reported by typer/click itself (exit 2); `AgadirError`s raised by services
    are printed here as one line with the fix (exit 2).
    """
    from rich.markup import escape

    # one line whatever the terminal's width: scripts and tests match on the message
    err = Console(stderr=True, soft_wrap=True)
    _register()
    try:
        app()
    except AgadirError as exc:  # escaped: "[vllm]" or "agadir[gpu]" in a fix is text, not markup
        err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        sys.exit(2)
    except ModuleNotFoundError as exc:  # an optional extra is not installed: name the fix
        from agadir.cli.extras import missing_extra_message

        message = missing_extra_message(exc)
        if message is None:
            raise
        err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()

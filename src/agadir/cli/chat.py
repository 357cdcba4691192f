"""`agadir chat`: a streaming terminal chat against a running `agadir serve`.

It speaks plain HTTP to the server (the same API any client uses), so it also works against a
server on another machine inside the boundary. Commands: `/reset`, `/exit` (or Ctrl-D).

Keys behave as in a shell: the prompt has line editing and a history kept across sessions
(GNU readline, `$AGADIR_HOME/chat_history`); Ctrl-C stops the reply being written, and a
second Ctrl-C (or Ctrl-D) at the prompt exits.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from agadir.config import load_settings
from agadir.errors import EngineUnavailableError, InvalidRequestError

HISTORY_LINES = 1000


def _stream(
    client: httpx.Client,
    url: str,
    payload: dict[str, Any],
    console: Console,
    reply: list[str],
) -> None:
    """Print the reply as it streams, collecting its pieces in `reply`. A Ctrl-C
    (KeyboardInterrupt) propagates after the stream is closed, which tells the server to stop
    generating; what was printed so far stays in `reply`."""
    with client.stream("POST", url, json=payload) as response:
        if response.status_code != 200:
            body = json.loads(response.read() or b"{}")
            message = body.get("error", {}).get("message", response.text)
            raise InvalidRequestError(f"server answered {response.status_code}: {message}")
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for choice in json.loads(line[6:]).get("choices", []):
                piece = choice.get("delta", {}).get("content") or ""
                reply.append(piece)
                console.print(piece, end="", markup=False, highlight=False)
    console.print()


def enable_line_editing(history_file: Path) -> Callable[[], None]:
    """Turn on readline editing and history for `input()`; return what saves the history.

    Without readline (some minimal builds) the prompt still works, only without editing."""
    try:
        import readline
    except ImportError:  # pragma: no cover - CPython on Linux/macOS ships it
        return lambda: None
    readline.set_history_length(HISTORY_LINES)
    with contextlib.suppress(OSError):  # first run, or unreadable: start an empty history
        readline.read_history_file(history_file)

    def save() -> None:
        with contextlib.suppress(OSError):  # losing the history never fails the chat
            history_file.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history_file)
            history_file.chmod(0o600)  # what people typed may be sensitive

    return save


class ChatSession:
    """The conversation loop, with the terminal (`read_line`) and the HTTP client injected."""

    def __init__(
        self,
        client: httpx.Client,
        base: str,
        model: str,
        *,
        console: Console,
        read_line: Callable[[str], str] = input,
        system: str | None = None,
        max_tokens: int = 512,
    ) -> None:
        self.client = client
        self.base = base
        self.model = model
        self.console = console
        self.read_line = read_line
        self.system = system
        self.max_tokens = max_tokens
        self.history: list[dict[str, str]] = self._fresh()

    def _fresh(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}] if self.system else []

    def run(self) -> None:
        """Read, send, print, until /exit, Ctrl-D, or two Ctrl-C in a row."""
        interrupted = False
        while True:
            try:
                text = self.read_line("> ")
            except EOFError:
                self.console.print()
                return
            except KeyboardInterrupt:
                if interrupted:
                    self.console.print()
                    return
                interrupted = True
                self.console.print("\n[dim](Ctrl-C again or Ctrl-D to exit)[/]")
                continue
            interrupted = False
            command = text.strip()
            if command in ("/exit", "/quit"):
                return
            if command == "/reset":
                self.history = self._fresh()
                continue
            if not command:
                continue
            interrupted = self.ask(text)

    def ask(self, text: str) -> bool:
        """Send one user turn; True when Ctrl-C stopped the reply (kept, marked, in history)."""
        self.history.append({"role": "user", "content": text})
        payload = {
            "model": self.model,
            "messages": self.history,
            "stream": True,
            "max_tokens": self.max_tokens,
        }
        reply: list[str] = []
        try:
            _stream(self.client, f"{self.base}/chat/completions", payload, self.console, reply)
        except KeyboardInterrupt:
            self.console.print("\n[dim](reply stopped; Ctrl-C again or Ctrl-D to exit)[/]")
            self.history.append({"role": "assistant", "content": "".join(reply)})
            return True
        except httpx.ConnectError as exc:
            self.history.pop()
            raise EngineUnavailableError(
                f"No Agadir server at {self.base}. Start one with `agadir serve` (or pass --url)."
            ) from exc
        self.history.append({"role": "assistant", "content": "".join(reply)})
        return False


def register(app: typer.Typer) -> None:
    @app.command()
    def chat(
        model: Annotated[str | None, typer.Option(help="Model to talk to.")] = None,
        url: Annotated[str | None, typer.Option(help="Server base URL (…/v1).")] = None,
        system: Annotated[str | None, typer.Option(help="System prompt.")] = None,
        api_key: Annotated[
            str | None, typer.Option(envvar="AGADIR_API_KEY", help="API key, if required.")
        ] = None,
        max_tokens: Annotated[int, typer.Option(help="Longest reply, in tokens.")] = 512,
    ) -> None:
        """Chat in the terminal with streaming replies (Ctrl-C stops a reply, twice exits)."""
        settings = load_settings()
        base = (url or f"http://{settings.host}:{settings.port}/v1").rstrip("/")
        model = model or settings.model
        console = Console()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        save_history = enable_line_editing(settings.home / "chat_history")
        console.print(
            f"[dim]{model} at {base} — /reset clears, Ctrl-C stops a reply, "
            "/exit or Ctrl-D quits[/]"
        )
        with httpx.Client(headers=headers, timeout=httpx.Timeout(600, connect=5)) as client:
            session = ChatSession(
                client, base, model, console=console, system=system, max_tokens=max_tokens
            )
            try:
                session.run()
            finally:
                save_history()

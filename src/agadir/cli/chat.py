"""`agadir chat`: a streaming terminal chat against a running `agadir serve`.

It speaks plain HTTP to the server (the same API any client uses), so it also works against a
server on another machine inside the boundary. Commands: `/reset`, `/exit` (or Ctrl-D).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from agadir.config import load_settings
from agadir.errors import EngineUnavailableError, InvalidRequestError


def _stream(client: httpx.Client, url: str, payload: dict[str, Any], console: Console) -> str:
    reply: list[str] = []
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
    return "".join(reply)


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
        """Chat in the terminal with streaming replies."""
        settings = load_settings()
        base = (url or f"http://{settings.host}:{settings.port}/v1").rstrip("/")
        model = model or settings.model
        console = Console()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        history: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []
        console.print(f"[dim]{model} at {base} — /reset clears, /exit or Ctrl-D quits[/]")
        with httpx.Client(headers=headers, timeout=httpx.Timeout(600, connect=5)) as client:
            while True:
                try:
                    text = console.input("[bold cyan]> [/]")
                except EOFError:
                    console.print()
                    return
                if text.strip() in ("/exit", "/quit"):
                    return
                if text.strip() == "/reset":
                    history = history[:1] if system else []
                    continue
                if not text.strip():
                    continue
                history.append({"role": "user", "content": text})
                payload = {
                    "model": model,
                    "messages": history,
                    "stream": True,
                    "max_tokens": max_tokens,
                }
                try:
                    reply = _stream(client, f"{base}/chat/completions", payload, console)
                except httpx.ConnectError as exc:
                    raise EngineUnavailableError(
                        f"No Agadir server at {base}. Start one with `agadir serve` "
                        "(or pass --url)."
                    ) from exc
                history.append({"role": "assistant", "content": reply})

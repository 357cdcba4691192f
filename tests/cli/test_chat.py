"""`agadir chat` against a real server (echo model): line editing, Ctrl-C and Ctrl-D."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
from rich.console import Console

from agadir.cli.chat import ChatSession, enable_line_editing
from tests.servers import RunningServer


def _script(*lines: str | type[BaseException]) -> Callable[[str], str]:
    """A user at the prompt: each call types the next line or presses a key (an exception)."""
    queue = iter(lines)

    def read_line(_prompt: str) -> str:
        line = next(queue)
        if isinstance(line, type):
            raise line()
        return line

    return read_line


def _session(
    server: RunningServer, console: Console, *lines: str | type[BaseException]
) -> ChatSession:
    client = httpx.Client(headers=server.headers, timeout=60)
    return ChatSession(
        client,
        f"{server.base_url}/v1",
        "echo",
        console=console,
        read_line=_script(*lines),
    )


def test_ctrl_c_at_the_prompt_twice_exits_and_reset_clears(server: RunningServer) -> None:
    out = io.StringIO()
    session = _session(
        server,
        Console(file=out),
        "salam a sahbi",
        "/reset",
        "labas",
        KeyboardInterrupt,
        KeyboardInterrupt,
    )
    session.run()  # returns: a second Ctrl-C exits
    assert "salam a sahbi" in out.getvalue() and "Ctrl-C again" in out.getvalue()
    assert [m["content"] for m in session.history] == ["labas", "labas"]


def test_ctrl_d_exits(server: RunningServer) -> None:
    session = _session(server, Console(file=io.StringIO()), "salam", EOFError)
    session.run()
    assert [m["role"] for m in session.history] == ["user", "assistant"]


class _CtrlCOnReply(io.StringIO):
    """A terminal where the user presses Ctrl-C as the first words of the reply appear."""

    pressed = False

    def write(self, text: str) -> int:
        if "one" in text and not self.pressed:
            self.pressed = True
            raise KeyboardInterrupt
        return super().write(text)


def test_ctrl_c_stops_the_reply_and_a_second_one_exits(server: RunningServer) -> None:
    out = _CtrlCOnReply()
    session = _session(
        server, Console(file=out), "one two three four", KeyboardInterrupt, "never read"
    )
    session.run()  # the reply's Ctrl-C counts as the first: the prompt's Ctrl-C exits
    assert "reply stopped" in out.getvalue()
    assert session.history[0] == {"role": "user", "content": "one two three four"}
    assert session.history[1]["role"] == "assistant"
    assert "four" not in session.history[1]["content"]  # cut before the end


def test_history_file_is_written_private(tmp_path: pytest.TempPathFactory) -> None:
    import readline

    path = tmp_path / "chat_history"  # type: ignore[operator]
    save = enable_line_editing(path)
    readline.add_history("wach kayn chi jdid?")
    save()
    assert "wach kayn chi jdid?" in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600


def _read_until(fd: int, marker: bytes, seen: bytearray) -> None:
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, f"no {marker!r} in {bytes(seen)!r}"
        try:
            seen.extend(os.read(fd, 4096))
        except OSError:  # the child closed the terminal
            break


def test_line_editing_in_a_real_terminal(server: RunningServer) -> None:
    """Typed in a pty: the Left arrow moves the cursor, so the echo model returns the edit."""
    master, slave = pty.openpty()
    env = {**os.environ, "AGADIR_HOME": str(server.home), "AGADIR_API_KEY": server.admin_key}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agadir.cli.main",
            "chat",
            "--model",
            "echo",
            "--url",
            f"{server.base_url}/v1",
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    seen = bytearray()
    try:
        _read_until(master, b"> ", seen)
        os.write(master, b"salam\x1b[D\x1b[Dxx\r")  # "sal|am": insert "xx" two to the left
        _read_until(master, b"salxxam\r\n", seen)
        # Ctrl-D only once the reply is over and the next prompt is up: sent mid-reply, the
        # terminal would swallow it as the line discipline's EOF before readline reads again
        answered = seen.index(b"salxxam\r\n") + len(b"salxxam\r\n")
        while b"> " not in seen[answered:]:
            _read_until(master, b"> ", tail := bytearray())
            seen.extend(tail)
        os.write(master, b"\x04")  # Ctrl-D
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert (server.home / "chat_history").read_text().strip().endswith("salxxam")

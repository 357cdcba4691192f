"""`vllm serve` as a supervised child process: started, waited for, restarted, stopped.

One thread owns the child: it waits for it to exit and, unless Agadir is stopping it, starts it
again after a back-off that doubles on each failed start (up to 60 s) and resets after a start
that answered. Between an exit and the next answer `ready` is false, and the engine refuses
requests with a 503 instead of letting them hang on a closed port.

The child runs in its own process group (vLLM forks engine-core and worker processes), so
stopping it signals the whole group: SIGTERM, then SIGKILL after `stop_grace_s`. Its stdout and
stderr go to a log file whose last lines are quoted when it fails to start. What this module
does not handle: a gateway killed with SIGKILL, which cannot stop its children (atexit covers
every other way out; `agadir serve` under systemd stops the whole unit's cgroup).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from agadir.errors import EngineUnavailableError

log = logging.getLogger("agadir.vllm")
_POLL_S = 0.25
_MAX_BACKOFF_S = 60.0
_TAIL_LINES = 20


class VllmProcess:
    def __init__(
        self,
        command: Callable[[], list[str]],
        *,
        port: int,
        log_path: Path,
        env: Mapping[str, str],
        startup_timeout_s: float,
        stop_grace_s: float,
        restart_backoff_s: float,
    ) -> None:
        self._command = command  # asked at each start: a restart serves what is registered now
        self.argv: list[str] = []
        self.port = port
        self.log_path = log_path
        self._env = dict(env)
        self._startup_timeout_s = startup_timeout_s
        self._stop_grace_s = stop_grace_s
        self._backoff_s = restart_backoff_s
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()  # spawning and stopping never interleave
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.restarts = 0  # starts after the first (for /metrics and tests)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the child and wait until it answers, then supervise it (blocking; call it
        off the event loop). Raises with the log's last lines when it exits or never answers."""
        atexit.register(self.stop)
        try:
            self._spawn()
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self._supervisor = threading.Thread(target=self._supervise, name="vllm-supervisor")
        self._supervisor.daemon = True
        self._supervisor.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                raise EngineUnavailableError("vLLM is being stopped.")
            self.argv = self._command()
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("ab") as out:
                out.write(f"\n--- agadir: starting {' '.join(self.argv)}\n".encode())
                out.flush()
                self._proc = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=self._env,
                    start_new_session=True,  # its own process group, signalled as one
                )

    def _wait_ready(self) -> None:
        proc = self._proc
        assert proc is not None
        deadline = time.monotonic() + self._startup_timeout_s
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self._stopping.is_set():
                    raise EngineUnavailableError("vLLM was stopped while starting.")
                code = proc.poll()
                if code is not None:
                    raise EngineUnavailableError(
                        f"vLLM exited with code {code} before it answered. {self._hint()}"
                    )
                try:
                    if client.get(f"{self.url}/models").status_code == 200:
                        self._ready.set()
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(_POLL_S)
        raise EngineUnavailableError(
            f"vLLM did not answer on {self.url} within {self._startup_timeout_s:g} s "
            f"(vllm.startup_timeout_s). {self._hint()}"
        )

    def _hint(self) -> str:
        return (
            f"Its log is {self.log_path}; last lines:\n{self.tail()}\n"
            "Check the [vllm] settings (gpu_memory_utilization, max_model_len, "
            "tensor_parallel_size) and that the model folder loads with `vllm serve` by hand."
        )

    def tail(self, lines: int = _TAIL_LINES) -> str:
        try:
            text = self.log_path.read_bytes()[-16384:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _supervise(self) -> None:
        backoff = self._backoff_s
        while not self._stopping.is_set():
            proc = self._proc
            assert proc is not None
            code = proc.wait()
            if self._stopping.is_set():
                return
            self._ready.clear()
            self._kill_group(proc)  # leftovers of the group (engine-core, workers)
            log.error("vLLM exited with code %s; restarting in %.1f s", code, backoff)
            if self._stopping.wait(backoff):
                return
            try:
                self.restarts += 1
                self._spawn()
                self._wait_ready()
                backoff = self._backoff_s
                log.warning("vLLM restarted (pid %s)", self.pid)
            except EngineUnavailableError as exc:
                log.error("vLLM restart failed: %s", exc.message)
                if self._proc is not None:
                    self._kill_group(self._proc)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)

    def stop(self) -> None:
        """Stop the child and its group (SIGTERM, SIGKILL after the grace); idempotent."""
        with self._lock:
            self._stopping.set()
            self._ready.clear()
            proc = self._proc
        if proc is not None:
            self._terminate(proc)
        supervisor = self._supervisor
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(timeout=5)
        atexit.unregister(self.stop)

    def _terminate(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=self._stop_grace_s)
            except subprocess.TimeoutExpired:
                log.warning("vLLM ignored SIGTERM for %.0f s: killing it", self._stop_grace_s)
        self._kill_group(proc)

    @staticmethod
    def _kill_group(proc: subprocess.Popen[bytes]) -> None:
        _signal_group(proc.pid, signal.SIGKILL)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process in D state
            log.error("vLLM process %s did not die after SIGKILL", proc.pid)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # the group id is the child's pid (start_new_session)

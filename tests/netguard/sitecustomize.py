"""Test-suite network guard, loaded into every Python process the tests start.

Any TCP/UDP connection to an address outside loopback raises and is logged to the file named
by AGADIR_NETGUARD_LOG; the session fails if that file is not empty. This is how the suite
proves that a full run opens no connection outside the machine.
"""

from __future__ import annotations

import ipaddress
import os
import socket

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _allowed(sock: socket.socket, address: object) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return True  # unix sockets (PostgreSQL's) never leave the machine
    host = str(address[0]) if isinstance(address, tuple) else str(address)
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(address: object) -> None:
    log = os.environ.get("AGADIR_NETGUARD_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {address!r}\n")
    raise OSError(f"test network guard: connection to {address!r} outside loopback refused")


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _allowed(self, address):
        _refuse(address)
    _connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _allowed(self, address):
        _refuse(address)
    return _connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]

"""Run a server as a child that never outlives the CLI that started it.

The child gets a process group of its own (the dev server's reloader spawns workers into it);
SIGINT/SIGTERM/SIGHUP sent to the CLI are forwarded to the whole group; when the child exits,
stragglers of the group are stopped. For a CLI killed outright (SIGKILL, where no handler
runs), a watchdog process waits on a pipe only the CLI holds and stops the group when it
closes; on Linux the child also gets PR_SET_PDEATHSIG.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

#: Seconds a stopped group gets to exit after SIGTERM before SIGKILL.
GRACE = 10.0

_WATCHDOG = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
pgid, fd, grace = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
while os.read(fd, 1):
    pass
def alive():
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False
if alive():
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive():
        os.killpg(pgid, signal.SIGKILL)
"""


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be bound (e.g. "Address already in use"), or None when free.
    Binds the way uvicorn does (SO_REUSEADDR), so a socket in TIME_WAIT is not a false alarm."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"cannot resolve {host!r}: {error}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            return error.strerror or str(error)
    return None


def die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies (Linux only)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop_group(pgid: int, grace: float = GRACE) -> None:
    """SIGTERM the group, then SIGKILL whatever is left after ``grace`` seconds."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def run_supervised(argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> int:
    """Run ``argv`` until it exits; return its exit code (128 + N when signal N ended it)."""
    child = subprocess.Popen(  # noqa: S603 (argv is ours)
        list(argv), env=dict(env), cwd=cwd, start_new_session=True, preexec_fn=die_with_parent
    )
    pgid = child.pid
    read_end, write_end = os.pipe()
    watchdog = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", _WATCHDOG, str(pgid), str(read_end), str(GRACE)],
        pass_fds=(read_end,),
        start_new_session=True,
    )
    os.close(read_end)
    signals_seen = 0

    def forward(signum: int, _frame: object) -> None:
        nonlocal signals_seen
        signals_seen += 1
        with contextlib.suppress(ProcessLookupError):  # a second Ctrl-C means now
            os.killpg(pgid, signum if signals_seen == 1 else signal.SIGKILL)

    previous = {
        sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        code = child.wait()
    finally:
        _stop_group(pgid)
        os.close(write_end)  # the watchdog finds the group gone and exits
        watchdog.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code

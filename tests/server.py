"""Run the real `langgraph dev` server as a subprocess, the way a user would, on a free port.

The server runs in its own working directory (its `.langgraph_api/` registry lands there) with a
copy of the project's langgraph.json whose paths point back into the repository.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from server.settings import RESOLVED_URL_ENV

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_config(workdir: Path, *, without_auth: bool = False) -> Path:
    """langgraph.json with every './' path made absolute, written into ``workdir``.

    ``without_auth`` drops the ``auth`` and ``http`` sections (the http app holds the gate that
    requires credentials): the graphs on our checkpointer as a stock `langgraph dev` serves them,
    with no authentication (for benchmarks, and a deployment from before authentication)."""
    config = json.loads((ROOT / "langgraph.json").read_text())
    if without_auth:
        config.pop("auth", None)
        config.pop("http", None)

    def absolute(value):
        if isinstance(value, str) and value.startswith("./"):
            return str(ROOT / value[2:])
        if isinstance(value, dict):
            return {k: absolute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [absolute(v) for v in value]
        return value

    config = absolute(config)
    config["dependencies"] = [str(ROOT)]
    # Graphs shaped like common user graphs, served next to the product's own.
    for name in ("sync_nested", "slow"):
        config["graphs"][name] = f"{ROOT / 'tests' / 'graphs' / name}.py:graph"
    path = workdir / "langgraph.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def _aliases(env: dict[str, str]) -> dict[str, str]:
    """``extra_env`` as Settings keyword arguments (they are the fields' aliases)."""
    return {k: v for k, v in env.items() if k.isupper()}


def wait_until_ok(url, process, log, what: str, timeout: float, stop=None) -> None:
    """Wait until the server at ``url`` answers ``GET /ok``; RuntimeError with its ``log()`` when
    ``process`` exits first or ``timeout`` seconds pass (after ``stop()``, when given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}):\n{log()}")
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    if stop is not None:
        stop()
    raise RuntimeError(f"{what} did not answer in {timeout}s:\n{log()}")


class LangGraphServer:
    """A `langgraph dev --no-reload` subprocess on a free port; restartable, killable."""

    def __init__(
        self,
        database_url: str,
        workdir: Path,
        extra_env: dict[str, str] | None = None,
        *,
        without_auth: bool = False,
    ):
        from tests.accounts import make_user

        self.database_url = database_url
        #: the user the tests act as by default (every API call needs credentials)
        self.user = make_user(database_url)
        self.workdir = workdir
        self.extra_env = extra_env or {}
        #: serve without the project's ``auth`` section (a stock `langgraph dev`)
        self.without_auth = without_auth
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        from server.settings import Settings

        config = project_config(self.workdir, without_auth=self.without_auth)
        env = {
            **os.environ,
            # what `adlaan dev` sets (server/cli.py), from the same settings
            **Settings(**_aliases(self.extra_env)).server_environment("127.0.0.1"),
            RESOLVED_URL_ENV: self.database_url,
            "LANGSMITH_TRACING": "false",
            "LANGCHAIN_TRACING_V2": "false",
            "LANGGRAPH_CLI_NO_ANALYTICS": "1",
            "PYTHONUNBUFFERED": "1",
            # test modules share a server and an address: the rate limit is for floods
            # (tests/integration/test_rate_limit.py sets small limits through extra_env)
            "RATE_LIMIT_PER_USER": "1000000",
            "RATE_LIMIT_PER_CLIENT": "1000000",
            **self.extra_env,
        }
        langgraph = str(Path(sys.executable).parent / "langgraph")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                langgraph,
                "dev",
                "--no-browser",
                "--no-reload",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--config",
                str(config),
            ],
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_ok(self.url, self.process, self.log, "langgraph dev", timeout, self.stop)

    def client(self, user=None):
        """A `langgraph_sdk` client on this server acting as ``user`` (default: ``self.user``)."""
        return (user or self.user).client(self.url)

    @property
    def headers(self) -> dict[str, str]:
        """Credentials of the default user, for plain HTTP calls."""
        return self.user.headers

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def _signal(self, sig: int) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)

    def stop(self) -> None:
        """Graceful stop (SIGTERM), as Ctrl-C or a supervisor would."""
        if not self.process:
            return
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, an OOM kill, a power cut."""
        if not self.process:
            return
        self._signal(signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

"""Run the real `adlaan serve` as a subprocess on a free port, as a deployment would.

Like ``tests.server.LangGraphServer`` (same configuration file, users, stop and kill), but the
production server: langgraph-runtime-pg on PostgreSQL and Redis (``server/runtime/pg.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from server.runtime import pg
from server.settings import RESOLVED_URL_ENV, Settings
from tests.server import LangGraphServer, _aliases, free_port, project_config, wait_until_ok

#: Why tests of `adlaan serve` skip, when they do (the lead installs the runtime in `make setup`).
SKIP_REASON = (
    "langgraph-runtime-pg is not installed (`adlaan serve` needs it: docs/serving.md, 'Installing')"
)


def redis_url(db: int) -> str:
    """Redis for the tests (``TEST_REDIS_URL``, default the local one) on database ``db``."""
    base = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
    return f"{base}/{db}"


def redis_available(url: str) -> bool:
    """Whether Redis answers at ``url`` (a PING)."""
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def skip_reason(url: str) -> str | None:
    """Why `adlaan serve` cannot be tested here, or None."""
    if not pg.available():
        return SKIP_REASON
    if not redis_available(url):
        return f"no Redis answers at {url} (set TEST_REDIS_URL)"
    return None


class ServeServer(LangGraphServer):
    """An `adlaan serve` subprocess on a free port; restartable, killable."""

    def __init__(
        self,
        database_url: str,
        workdir: Path,
        redis: str,
        extra_env: dict[str, str] | None = None,
        *,
        workers: int = 1,
        user=None,
        config: dict | None = None,
    ):
        # not LangGraphServer.__init__: it makes a user, and the database may be empty until
        # the server has migrated it (the fixture makes the users then)
        self.database_url, self.workdir, self.extra_env = database_url, workdir, extra_env or {}
        self.user, self.without_auth = user, False
        self.port, self.process = free_port(), None
        self.log_path = workdir / "server.log"
        self.redis = redis
        self.workers = workers
        #: top-level langgraph.json keys set over the project's (e.g. ``webhooks``)
        self.config_overrides = config or {}

    def launch(self) -> None:
        """Start the process without waiting for it to answer (``wait_ready`` does)."""
        config = project_config(self.workdir)
        if self.config_overrides:
            config.write_text(
                json.dumps({**json.loads(config.read_text()), **self.config_overrides}, indent=2)
            )
        env = {
            **os.environ,
            **Settings(**_aliases(self.extra_env)).server_environment("127.0.0.1"),
            RESOLVED_URL_ENV: self.database_url,
            "REDIS_URL": self.redis,
            "LANGSMITH_TRACING": "false",
            "LANGCHAIN_TRACING_V2": "false",
            "PYTHONUNBUFFERED": "1",
            # test modules share a server and an address: the rate limit is for floods
            # (tests/integration/test_rate_limit.py sets small limits through extra_env)
            "RATE_LIMIT_PER_USER": "1000000",
            "RATE_LIMIT_PER_CLIENT": "1000000",
            **self.extra_env,
        }
        adlaan = str(Path(sys.executable).parent / "adlaan")
        argv = [adlaan, "serve", "--port", str(self.port), "--config", str(config)]
        argv += ["--workers", str(self.workers)]
        self.process = subprocess.Popen(
            argv,
            cwd=self.workdir,
            env=env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        assert self.process is not None
        wait_until_ok(self.url, self.process, self.log, "adlaan serve", timeout, self.stop)

    def start(self, timeout: float = 90.0) -> None:
        self.launch()
        self.wait_ready(timeout)

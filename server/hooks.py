"""Composition of the hooks: the plugin manager with the built-in mirror and the allowed
third-party plugins, the dispatcher that delivers to them, and where it runs.

By default (``HOOKS_DISPATCHER=process``) the server runs its dispatcher as a child process
(``DispatcherProcess``, ``python -m server.hooks``): the deliveries' work then never holds up
the server's event loop, nor the loop the deliveries. The server restarts the child when it
dies, stops it when the server stops, and records the metrics the child sends it (the mirror's
lag, the plugins' failures) as its own, so ``/metrics`` and the admin stats are unchanged.
``HOOKS_DISPATCHER=server`` runs the dispatcher in the server's event loop instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hooks import metrics as hook_metrics
from hooks.builtin.mirror import Mirror
from hooks.dispatcher import Dispatcher
from hooks.manager import get_plugin_manager
from server.settings import RESOLVED_URL_ENV, Settings, get_settings
from server.supervise import die_with_parent
from store.db import DISPATCHER_OPTIONS, DictPool, make_async_pool, mask_url

logger = logging.getLogger("adlaan.hooks")

#: The project's root: where ``python -m server.hooks`` finds the ``server`` package.
ROOT = Path(__file__).resolve().parents[1]


def make_dispatcher(pool: DictPool, settings: Settings) -> Dispatcher:
    """A dispatcher for the built-in mirror plus the plugins ``HOOKS_ALLOW`` names."""
    pm = get_plugin_manager(builtins=[("mirror", Mirror(pool))], allow=settings.allowed_plugins())
    # four threads' events at once: their round trips overlap, and the app's pool (10) keeps
    # room for requests (bench/mirror.py measured it)
    return Dispatcher(pool, pm, max_attempts=settings.hooks_max_attempts, concurrency=4)


def make_pool(url: str, settings: Settings, *, size: int = 8) -> DictPool:
    """A dispatcher's own pool (``adlaan hooks worker``, the server's child process), unopened.
    Its statements take arrays (a round's events, threads, messages): PostgreSQL planned each
    again at every execution, about a sixth of its work in a round of a few events, so they
    are planned once; its commits do not wait for the disk (``store.db.DISPATCHER_OPTIONS``
    says why that loses nothing). Neither behind PgBouncer, which takes no such options.
    Connections are not checked on checkout (a round trip each, four a round): the dispatcher
    checks the pool when the database looks unavailable (``Dispatcher.unavailable``).
    ``size``: the dispatcher builds events and reads heads concurrently; room for that and a
    write."""
    pooler = settings.database_pooler == "pgbouncer"
    return make_async_pool(
        url,
        max_size=size,
        prepare=not pooler,
        options=None if pooler else DISPATCHER_OPTIONS,
        check=False,
        timeout=float(settings.db_connect_timeout),
        name="adlaan-hooks",
    )


async def deliver_forever(
    url: str,
    settings: Settings,
    stop: asyncio.Event,
    *,
    started: Callable[[Dispatcher], None] | None = None,
) -> None:
    """A dispatcher on a pool of its own, delivering until ``stop`` is set; ``started`` is
    called with it first."""
    pool = make_pool(url, settings)
    await pool.open(wait=False)
    try:
        dispatcher = make_dispatcher(pool, settings)
        if started is not None:
            started(dispatcher)
        await dispatcher.run(url, stop)
    finally:
        await pool.close()


class DispatcherProcess:
    """The server's dispatcher as a child process: started with the server, restarted when it
    exits (after ``delay`` seconds, doubling up to ``max_delay`` while it keeps dying young),
    stopped with the server (SIGTERM, then SIGKILL after ``grace`` seconds; it also dies with
    the server's process, ``die_with_parent``). Every line the child writes to its standard
    output is a metric observation (``hooks.metrics.forward_to``), recorded here."""

    def __init__(
        self, url: str, *, delay: float = 1.0, max_delay: float = 30.0, grace: float = 10.0
    ) -> None:
        self.url = url
        self.delay = delay
        self.max_delay = max_delay
        self.grace = grace

    def _environment(self) -> dict[str, str]:
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        # the URL the server resolved (the embedded PostgreSQL's, say): one database for both
        return {**os.environ, RESOLVED_URL_ENV: self.url, "PYTHONPATH": path}

    async def run(self) -> None:
        """Keep the child running until cancelled, then stop it."""
        clock = asyncio.get_running_loop().time
        delay = self.delay
        while True:
            started = clock()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "server.hooks",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                env=self._environment(),
                preexec_fn=die_with_parent,
            )
            try:
                await self._record(process)
                code = await process.wait()
            except asyncio.CancelledError:
                await self._stop(process)
                raise
            if clock() - started > 60:
                delay = self.delay
            logger.warning(
                "the hook dispatcher's process exited (%s); starting another in %.0f s",
                code,
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_delay)

    @staticmethod
    async def _record(process: asyncio.subprocess.Process) -> None:
        """Record the child's metric observations until it closes its output."""
        if process.stdout is None:
            return
        async for line in process.stdout:
            try:
                observation: Any = json.loads(line)
            except ValueError:
                observation = None
            if not hook_metrics.record(observation):
                logger.debug("not a metric from the hook dispatcher's process: %r", line[:200])

    async def _stop(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), self.grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


def child() -> None:
    """``python -m server.hooks``: the dispatcher of the server that started this process
    (``DispatcherProcess``), on the database it resolved. Metric observations go to the standard output,
    a line each; anything else printed goes to the standard error, with the logs."""
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s [hooks %(process)d] %(name)s: %(message)s",
    )

    def send(observation: dict[str, Any]) -> None:
        try:
            channel.write(json.dumps(observation) + "\n")
        except OSError:  # the server is gone: so is this process's reason to be
            os._exit(0)

    hook_metrics.forward_to(send)
    settings = get_settings()
    url = os.environ[RESOLVED_URL_ENV]

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        task = asyncio.create_task(deliver_forever(url, settings, stop))
        await stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    logger.info("hook dispatcher process delivering from %s", mask_url(url))
    asyncio.run(main())


if __name__ == "__main__":
    child()

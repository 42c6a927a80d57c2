"""The server's dispatcher as a child process (``HOOKS_DISPATCHER=process``, the default;
server/hooks.py): the real `langgraph dev` starts it, the mirror is written through it, its
metrics reach the server's ``/metrics``, a killed child is replaced, and none outlives the server.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import psutil
import psycopg
import pytest

from tests.accounts import make_user
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration


def _children(server: LangGraphServer) -> list[psutil.Process]:
    """The server's hook dispatcher processes (``python -m server.hooks``)."""
    assert server.process is not None
    root = psutil.Process(server.process.pid)
    found = []
    for process in root.children(recursive=True):
        try:
            if process.cmdline()[-2:] == ["-m", "server.hooks"] and not _gone(process):
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


def _gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


async def _until(check, within: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"not within {within}s: {what}"
        await asyncio.sleep(0.2)


def _mirrored(database_url: str, thread_id: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.thread_id = %s AND m.is_current",
            (thread_id,),
        ).fetchone()
    return row[0] if row else 0


async def _turn_mirrored(client, database_url: str, thread: str, text: str) -> None:
    """A drafter turn on ``thread``, then wait until the mirror holds its current messages."""
    input_ = {"messages": [{"role": "user", "content": text}]}
    await client.runs.wait(thread, "drafter", input=input_)
    state = await client.threads.get_state(thread)
    current = len(state["values"]["messages"])
    await _until(lambda: _mirrored(database_url, thread) == current, what=f"mirrored: {text}")


def _lag_count(server: LangGraphServer, admin) -> float:
    answer = httpx.get(f"{server.url}/metrics", headers=admin.headers, timeout=10)
    assert answer.status_code == 200, answer.text
    total = 0.0
    for line in answer.text.splitlines():
        if line.startswith("adlaan_mirror_lag_seconds_count{") and 'plugin="mirror"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_the_dispatcher_runs_in_a_child_process_the_server_keeps(database_url: str, tmp_path):
    server = LangGraphServer(database_url, tmp_path)
    server.start()
    admin = make_user(database_url, admin=True)
    try:
        await _until(lambda: len(_children(server)) == 1, what="one dispatcher process")
        (first,) = _children(server)
        client = server.client()
        thread = (await client.threads.create())["thread_id"]
        await _turn_mirrored(client, database_url, thread, "I need to draft an NDA")
        # the child's observations are the server's metrics
        await _until(lambda: _lag_count(server, admin) >= 1, what="the lag observed")

        # a dispatcher that dies is replaced, and delivers
        os.kill(first.pid, signal.SIGKILL)
        await _until(
            lambda: [p.pid for p in _children(server)] not in ([], [first.pid]),
            within=60,
            what="a new dispatcher process",
        )
        await _turn_mirrored(client, database_url, thread, "Make it for California jurisdiction")
        (second,) = _children(server)
    finally:
        server.stop()
    # stopping the server stops its dispatcher
    await _until(lambda: _gone(second), what="the dispatcher process stopped")


async def test_hooks_dispatcher_server_keeps_the_dispatcher_in_the_server(
    database_url: str, tmp_path
):
    server = LangGraphServer(database_url, tmp_path, extra_env={"HOOKS_DISPATCHER": "server"})
    server.start()
    try:
        client = server.client()
        thread = (await client.threads.create())["thread_id"]
        await _turn_mirrored(client, database_url, thread, "I need to draft an NDA")
        assert _children(server) == []
    finally:
        server.stop()

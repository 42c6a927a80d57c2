"""Upgrading a deployment that ran without authentication: its threads have no owner, so nobody
sees them until an administrator assigns them (`adlaan threads assign`); nothing is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client

from tests.accounts import make_user
from tests.integration.test_mirror import wait_for_mirror
from tests.server import LangGraphServer

pytestmark = pytest.mark.integration


async def test_threads_from_before_auth_are_assigned_to_a_user(database_url, tmp_path):
    server = LangGraphServer(database_url, tmp_path, without_auth=True)
    server.start()
    try:
        anonymous = get_client(url=server.url)
        thread_id = (await anonymous.threads.create())["thread_id"]
        await anonymous.runs.wait(
            thread_id,
            "drafter",
            input={"messages": [{"role": "user", "content": "I need to draft an NDA"}]},
        )
        values = (await anonymous.threads.get_state(thread_id))["values"]
        server.stop()
        server.without_auth = False
        server.start()
        wait_for_mirror(database_url)

        alice, bob, admin = (make_user(database_url, admin=a) for a in (False, False, True))
        with pytest.raises(httpx.HTTPStatusError):
            await alice.client(server.url).threads.get(thread_id)

        env = {"ADLAAN_TOKEN": admin.api_key, "PATH": str(Path(sys.executable).parent)}
        adlaan = str(Path(sys.executable).parent / "adlaan")
        refused = subprocess.run(
            [adlaan, "threads", "assign", "--owner", alice.email, "--unowned",
             "--server", server.url, "--token", alice.api_key],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert (
            refused.returncode == 8 and "administrator" in refused.stderr
        )  # server refused (cli_errors)
        done = subprocess.run(
            [adlaan, "threads", "assign", "--owner", alice.email, "--unowned",
             "--server", server.url],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "assigned" in done.stderr

        a = alice.client(server.url)
        assert (await a.threads.get_state(thread_id))["values"] == values
        assert (await a.threads.get(thread_id))["metadata"]["owner"] == alice.id
        async with httpx.AsyncClient(base_url=server.url, headers=alice.headers) as http:
            got = (await http.get(f"/api/v1/conversations/{thread_id}")).json()
        # every message of the thread: the user's, the drafter's tool call, its result, the reply
        assert got["message_count"] == len(values["messages"]) == 4
        with pytest.raises(httpx.HTTPStatusError):
            await bob.client(server.url).threads.get(thread_id)

        server.restart()  # the assignment is durable
        a = alice.client(server.url)
        assert (await a.threads.get(thread_id))["metadata"]["owner"] == alice.id
    finally:
        server.stop()

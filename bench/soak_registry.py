"""Soak test of the crash-safe registry (not part of `make test`): SIGKILL the real server at
random moments under load, N times, and count threads lost and runs stuck (goal: 0 and 0).

    .venv/bin/python -m bench.soak_registry --kills 10 [--seed 1]

Traffic goes only to the server this script starts on 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.__main__ import admin_url
from store.migrate import migrate
from tests.server import LangGraphServer

TEXTS = ("I need to draft an NDA", "Make it for California jurisdiction", "Add a 2-year term")


async def load(server: LangGraphServer, acknowledged: dict[str, str], stop: asyncio.Event) -> None:
    """Create threads and run turns on them until ``stop``; remember what the API acknowledged."""
    client = server.client()
    while not stop.is_set():
        try:
            owner = f"soak-{uuid.uuid4().hex[:8]}"  # a tag of our own (the server sets "owner")
            thread = await client.threads.create(metadata={"soak_tag": owner})
            acknowledged[thread["thread_id"]] = owner
            for text in TEXTS[: random.randint(1, 3)]:
                await client.runs.wait(
                    thread["thread_id"],
                    "drafter",
                    input={"messages": [{"role": "user", "content": text}]},
                )
        except Exception:
            return  # the server died under us: that is the point


async def check(server: LangGraphServer, acknowledged: dict[str, str]) -> tuple[int, int]:
    """(threads lost, threads stuck busy) after a restart."""
    client = server.client()
    lost = stuck = 0
    for thread_id, owner in acknowledged.items():
        try:
            thread = await client.threads.get(thread_id)
        except Exception:
            lost += 1
            continue
        if thread["metadata"].get("soak_tag") != owner:
            lost += 1
    deadline = time.monotonic() + 30
    for thread_id in acknowledged:
        while True:
            try:
                status = (await client.threads.get(thread_id))["status"]
            except Exception:
                break
            if status != "busy":
                break
            if time.monotonic() > deadline:
                stuck += 1
                break
            await asyncio.sleep(0.5)
    return lost, stuck


async def soak(kills: int, workers: int) -> None:
    admin = admin_url()
    name = f"adlaan_soak_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    server = LangGraphServer(url, Path(tempfile.mkdtemp(prefix="adlaan-soak-")))
    server.start()
    acknowledged: dict[str, str] = {}
    total_lost = total_stuck = 0
    try:
        for round_ in range(1, kills + 1):
            stop = asyncio.Event()
            tasks = [asyncio.create_task(load(server, acknowledged, stop)) for _ in range(workers)]
            await asyncio.sleep(random.uniform(0.2, 4.0))
            server.kill()
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            server.start()
            lost, stuck = await check(server, acknowledged)
            total_lost, total_stuck = total_lost + lost, total_stuck + stuck
            print(
                f"kill {round_}/{kills}: {len(acknowledged)} threads acknowledged so far, lost {lost}, stuck {stuck}",
                flush=True,
            )
    finally:
        server.stop()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    print(
        f"soak: {kills} kills, {len(acknowledged)} threads, lost {total_lost}, stuck {total_stuck}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak_registry")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    random.seed(args.seed)
    asyncio.run(soak(args.kills, args.workers))


if __name__ == "__main__":
    main()

"""The mirror under load: many SDK clients at once against the real ``langgraph dev`` serving
``drafter``, each on a thread of its own, once with the hook dispatcher off (``HOOKS_ENABLED=
false``, as the stock server) and once on, in the same run.

    .venv/bin/python -m bench.mirror [--clients 32] [--turns 10] [--server dev|serve]
        [--out docs/benchmarks.md]

Lag is the time from a run's response (``runs.wait`` returning) until the row of the run's last
message is in ``messages``: one poller reads every awaited message id in one statement every
``POLL`` seconds, so polling costs the server the same whatever the number of clients.
Throughput is turns per second of wall time over all clients. Afterwards every thread's mirrored
messages are checked against its state: none missing, none twice, in the state's order.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench.__main__ import admin_url, machine_speed, write_section
from store.migrate import migrate
from tests.server import LangGraphServer

ROOT = Path(__file__).resolve().parents[1]
#: The server's dispatcher's (server/hooks.py)
CONCURRENCY = 4
POLL = 0.005
TURNS = (
    "I need to draft an NDA",
    "Make it for California jurisdiction",
    "Add a 2-year term",
    "Add a non-solicitation clause",
    "Make it mutual",
)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Watcher:
    """Stamps when each awaited message id shows up in ``messages``."""

    url: str
    waiting: dict[tuple[str, str], float] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)

    def expect(self, thread_id: str, message_id: str) -> None:
        self.waiting[(thread_id, message_id)] = time.perf_counter()

    async def run(self, stop: asyncio.Event) -> None:
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            while not stop.is_set() or self.waiting:
                if self.waiting:
                    threads, ids = zip(*self.waiting, strict=True)
                    # through the indexes the mirror has (thread_id; conversation, message):
                    # polling must not cost the server being measured
                    cur = await conn.execute(
                        "SELECT w.thread_id, w.message_id "
                        "FROM unnest(%s::text[], %s::text[]) AS w(thread_id, message_id) "
                        "JOIN conversations c ON c.thread_id = w.thread_id "
                        "JOIN messages m ON m.conversation_id = c.id "
                        "AND m.message_id = w.message_id",
                        (list(threads), list(ids)),
                    )
                    now = time.perf_counter()
                    for thread_id, found in await cur.fetchall():
                        if (since := self.waiting.pop((thread_id, found), None)) is not None:
                            self.lags.append(now - since)
                await asyncio.sleep(POLL)


@dataclass
class Result:
    turns: int
    seconds: float
    latencies: list[float]
    lags: list[float]
    threads: list[str]
    #: the loads that measured the lag (the poller running): their turns and seconds
    polled_turns: int = 0
    polled_seconds: float = 0.0


async def _client(server: LangGraphServer, turns: int, watcher: Watcher | None, out: Result):
    client = server.client()
    thread_id = (await client.threads.create())["thread_id"]
    out.threads.append(thread_id)
    for i in range(turns):
        text = TURNS[i % len(TURNS)]
        start = time.perf_counter()
        values = await client.runs.wait(
            thread_id, "drafter", input={"messages": [{"role": "user", "content": text}]}
        )
        if watcher is not None:
            watcher.expect(thread_id, values["messages"][-1]["id"])
        out.latencies.append(time.perf_counter() - start)


async def load(server: LangGraphServer, clients: int, turns: int, url: str | None) -> Result:
    """``clients`` clients at once, ``turns`` turns each on a thread of its own."""
    result = Result(clients * turns, 0.0, [], [], [])
    watcher = Watcher(url) if url else None
    stop = asyncio.Event()
    polling = asyncio.create_task(watcher.run(stop)) if watcher else None
    start = time.perf_counter()
    await asyncio.gather(*(_client(server, turns, watcher, result) for _ in range(clients)))
    result.seconds = time.perf_counter() - start
    stop.set()
    if polling:
        await asyncio.wait_for(polling, 60)
        result.lags = watcher.lags  # type: ignore[union-attr]
    return result


async def check(server: LangGraphServer, url: str, threads: list[str]) -> str:
    """Every thread's mirrored current messages are its state's, once each, in its order."""
    client = server.client()
    problems = 0
    with psycopg.connect(url) as conn:
        for thread_id in threads:
            state = await client.threads.get_state(thread_id)
            expected = [m["id"] for m in state["values"]["messages"]]
            rows = conn.execute(
                "SELECT m.message_id FROM messages m JOIN conversations c "
                "ON c.id = m.conversation_id WHERE c.thread_id = %s AND m.is_current "
                "ORDER BY m.position",
                (thread_id,),
            ).fetchall()
            mirrored = [r[0] for r in rows]
            problems += mirrored != expected
    return f"{len(threads) - problems} of {len(threads)} threads mirrored exactly"


@dataclass
class Drain:
    """Where the time of a delivery goes: the hooks-off run's backlog, delivered by one
    dispatcher outside the server, one event after another, timing its two parts."""

    events: int = 0
    seconds: float = 0.0
    load: float = 0.0  # building the event: the checkpoint read and decoded, the thread's head
    write: float = 0.0  # the mirror's transactions
    batches: int = 0  # how many (one per batch of events)
    cpu: float = 0.0  # the dispatcher's process time
    rounds: Rounds | None = None  # the same backlog again, in small rounds and in large


async def drain(url: str) -> Drain:
    from hooks.builtin.mirror import Mirror
    from hooks.dispatcher import Dispatcher
    from hooks.manager import get_plugin_manager
    from server.hooks import make_pool
    from server.settings import Settings

    timing = Drain()

    class Timed(Dispatcher):
        inside = False  # in ``events``, whose time counts once

        async def events(self, rows):
            start, self.inside = time.perf_counter(), True
            try:
                return await super().events(rows)
            finally:
                self.inside = False
                timing.load += time.perf_counter() - start

        async def event(self, row, **kwargs):
            start = time.perf_counter()
            try:
                return await super().event(row, **kwargs)
            finally:
                if not self.inside:
                    timing.load += time.perf_counter() - start

        async def call(self, plugin_name, event):
            start = time.perf_counter()
            try:
                return await super().call(plugin_name, event)
            finally:
                timing.write += time.perf_counter() - start

        def _together(self, plugin_name):
            method = super()._together(plugin_name)
            if method is None:
                return None

            async def timed(events):
                start = time.perf_counter()
                try:
                    return await method(events=events)
                finally:
                    timing.write += time.perf_counter() - start
                    timing.batches += 1

            return timed

    pool = make_pool(url, Settings(), size=4)  # the dispatcher's own pool
    await pool.open(wait=True)
    try:
        pm = get_plugin_manager(builtins=[("mirror", Mirror(pool))])
        dispatcher = Timed(pool, pm, concurrency=CONCURRENCY)
        await dispatcher.ensure_cursors()
        start, cpu = time.perf_counter(), time.process_time()
        timing.events = await dispatcher.drain()
        timing.seconds = time.perf_counter() - start
        timing.cpu = time.process_time() - cpu
    finally:
        await pool.close()
    return timing


@dataclass
class Rounds:
    """A round's fixed cost: the same backlog delivered again in small rounds and in large."""

    small: int = 3
    large: int = 200
    #: batch size -> (events, rounds, the dispatcher's CPU ms an event, PostgreSQL's ms an event)
    by_size: dict[int, tuple[int, int, float, float]] = field(default_factory=dict)

    def fixed_ms(self) -> tuple[float, float]:
        """CPU ms a round costs beyond its events: (the dispatcher's, PostgreSQL's)."""
        (_, _, d_small, p_small), (_, _, d_large, p_large) = (
            self.by_size[self.small],
            self.by_size[self.large],
        )
        return (d_small - d_large) * self.small, (p_small - p_large) * self.small


async def round_cost(url: str) -> Rounds:
    """Deliver the hooks-off server's backlog again (the cursor reset, the mirror's tables
    emptied) in rounds of ``small`` events, then of ``large``, counting the dispatcher's CPU
    and that of the database's PostgreSQL backends (``bench.serve.consumers``)."""
    from bench.serve import CpuMeter, consumers
    from hooks.builtin.mirror import Mirror
    from hooks.dispatcher import Dispatcher
    from hooks.manager import get_plugin_manager
    from server.hooks import make_pool
    from server.settings import Settings

    rounds = Rounds()
    database = make_url(url).database or ""
    for size in (rounds.small, rounds.large):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE hook_cursors SET last_event_id = 0, attempts = 0")
            conn.execute("TRUNCATE messages, documents, conversations, audit_logs CASCADE")
        pool = make_pool(url, Settings(), size=4)  # the dispatcher's own pool
        await pool.open(wait=True)
        try:
            pm = get_plugin_manager(builtins=[("mirror", Mirror(pool))])
            dispatcher = Dispatcher(
                pool, pm, concurrency=CONCURRENCY, batch_size=size, together=min(size, 32)
            )
            await dispatcher.ensure_cursors()
            meter = CpuMeter(consumers(database, {}))
            meter.start()
            cpu, events, count = time.process_time(), 0, 0
            while taken := await dispatcher.deliver("mirror"):
                events, count = events + taken, count + 1
            cpu = time.process_time() - cpu
            backends = meter.stop()["PostgreSQL, the benchmark's backends"]
            per = max(events, 1)
            rounds.by_size[size] = (events, count, cpu / per * 1000, backends / per * 1000)
        finally:
            await pool.close()
    return rounds


#: hooks off (the stock server); on, as the server runs them by default (the dispatcher in a
#: child process of the server's, ``HOOKS_DISPATCHER=process``); on, the dispatcher in the
#: server's event loop (``HOOKS_DISPATCHER=server``)
MODES = ("off", "on", "loop")


#: ``--server``: `langgraph dev` (``adlaan dev``), or the production server, `adlaan serve`
#: (one process each, on Redis databases of their own)
SERVERS = ("dev", "serve")
#: `adlaan serve`'s pools cut so that three servers and a worker fit a 100-connection PostgreSQL
SERVE_POOLS = {"PG_POOL_SIZE": "5", "PG_MAX_OVERFLOW": "5", "DB_POOL_SIZE": "6"}


def make_server(kind: str, label: str, url: str, workdir: Path) -> LangGraphServer:
    """The server ``label`` of the benchmark: hooks on only for ``on``."""
    env = {
        "HOOKS_ENABLED": str(label != "off").lower(),
        "HOOKS_DISPATCHER": "server" if label == "loop" else "process",
    }
    if kind == "dev":
        return LangGraphServer(url, workdir, extra_env=env)
    from tests.accounts import make_user
    from tests.serve import ServeServer, redis_url

    redis = redis_url(13 + MODES.index(label))
    return ServeServer(url, workdir, redis, {**env, **SERVE_POOLS}, user=make_user(url))


async def run(
    urls: dict[str, str], clients: int, turns: int, rounds: int, kind: str = "dev"
) -> tuple[dict[str, Result], dict[str, str], Drain]:
    """The servers up at once, each on a database of its own; ``rounds`` loads on each, the
    order rotating, so drift in the machine's other work hits them alike."""
    workdirs = {
        label: Path(tempfile.mkdtemp(prefix=f"adlaan-bench-mirror-{label}-")) for label in MODES
    }
    servers = {label: make_server(kind, label, urls[label], workdirs[label]) for label in MODES}
    results = {label: Result(0, 0.0, [], [], []) for label in MODES}
    verdicts: dict[str, str] = {}
    try:
        for server in servers.values():
            server.start()
            await load(server, 4, 2, None)  # warm up
        for i in range(rounds):
            for label in MODES[i % 3 :] + MODES[: i % 3]:
                # throughput and latency with nothing but the clients: the lag's poller (a
                # query every POLL seconds) would charge the measuring to the hooks-on servers
                got = await load(servers[label], clients, turns, None)
                total = results[label]
                total.turns += got.turns
                total.seconds += got.seconds
                total.latencies += got.latencies
                total.threads += got.threads
                print(f"{label}: {got.turns / got.seconds:,.1f} turns/s", flush=True)
                # the lag: the same load again, with the poller on the hooks-on servers; the
                # hooks-off server gets it too, so that every server has served as many turns
                # at each measurement (a `langgraph dev` slows down as its threads add up)
                polled = label != "off"
                got = await load(servers[label], clients, turns, urls[label] if polled else None)
                total.polled_turns += got.turns
                total.polled_seconds += got.seconds
                total.lags += got.lags
                total.threads += got.threads
                if not polled:
                    print(f"{label}, again: {got.turns / got.seconds:,.1f} turns/s", flush=True)
                    continue
                print(
                    f"{label}, polled: {got.turns / got.seconds:,.1f} turns/s, lag p50 "
                    f"{statistics.median(got.lags) * 1000:,.0f} ms, p99 "
                    f"{_percentile(got.lags, 0.99) * 1000:,.0f} ms",
                    flush=True,
                )
        for label in ("on", "loop"):
            verdicts[label] = await check(servers[label], urls[label], results[label].threads)
    finally:
        for server in servers.values():
            server.stop()
    backlog = await drain(urls["off"])  # what the hooks-off server left in its outbox
    print(backlog, flush=True)
    backlog.rounds = await round_cost(urls["off"])
    print(backlog.rounds, flush=True)
    return results, verdicts, backlog


START, END = "<!-- mirror:start -->", "<!-- mirror:end -->"
#: the section of ``--server serve``
SERVE_START, SERVE_END = "<!-- mirror-serve:start -->", "<!-- mirror-serve:end -->"


def render(
    results: dict[str, Result],
    verdicts: dict[str, str],
    backlog: Drain,
    clients: int,
    turns: int,
    rounds: int,
    version: str,
    kind: str = "dev",
) -> str:
    off, on, loop = (results[label] for label in MODES)
    start, end = (START, END) if kind == "dev" else (SERVE_START, SERVE_END)
    if kind == "dev":
        title, command = "", "make bench-mirror` (`.venv/bin/python -m bench.mirror"
        server = "the real `langgraph dev`"
        inside = "`adlaan dev`"
    else:
        title, command = (
            " on `adlaan serve`",
            "make bench-mirror-serve` (`.venv/bin/python -m bench.mirror --server serve",
        )
        server = "the production server, `adlaan serve` (one process each, langgraph-runtime-pg on PostgreSQL and a Redis database of its own),"
        inside = "`adlaan serve`"
    ms = 1000

    def cell(value: float | None, unit: str, base: float | None, higher: bool) -> str:
        if value is None:
            return "—"
        if base is None:
            return f"{value:,.1f} {unit}"
        ratio = value / base if higher else base / value
        return f"{value:,.1f} {unit} ({ratio:,.2f}×)"

    def row(name: str, values: list[float | None], unit: str, higher: bool = False) -> str:
        base = values[0]
        cells = [cell(values[0], unit, None, higher)] + [
            cell(v, unit, base, higher) for v in values[1:]
        ]
        return f"| {name} | {' | '.join(cells)} |"

    def p(values: list[float], q: float) -> float:
        return _percentile(values, q) * ms

    lines = [
        start,
        f"## Mirror under load{title}: {clients} concurrent clients",
        "",
        f"Produced by `{command}`) on "
        f"{datetime.now(UTC):%Y-%m-%d} ({platform.machine()}, {os.cpu_count()} cores shared with "
        f"other work, PostgreSQL {version}): {server} serving `drafter`, "
        f"{clients} `langgraph_sdk` clients at once, each on a thread of its own making {turns} "
        "turns one after another. Three servers up at once, each on a database of its own: "
        "hooks off (`HOOKS_ENABLED=false`, the stock server), hooks on as "
        f"{inside} runs them (the dispatcher in a child process the server starts, "
        "`HOOKS_DISPATCHER=process`, the default), and hooks on with the dispatcher in the "
        "server's event loop (`HOOKS_DISPATCHER=server`, as before); each loaded "
        f"{rounds} times, the order rotating (load average {os.getloadavg()[0]:,.1f} at the end "
        f"of the run; {machine_speed()}). Throughput and turn latency come from those loads, with nothing but the "
        "clients running. Each server gets a second load right after each of its loads (the "
        "same clients and turns), so that all have served as many turns whenever one is "
        "measured (a server slows down as its threads add up: with one load fewer, the "
        "hooks-off server was measured on a younger server). The lag comes from the second "
        "loads of the hooks-on servers: from `runs.wait` returning until the row of the run's "
        f"last message is in `messages` (one poller, every {POLL * 1000:.0f} ms, for all "
        "clients, through the mirror's indexes); their throughput, the poller's queries "
        "running, has its own row. In brackets: against hooks off (> 1: better).",
        "",
        "| benchmark | hooks off | hooks on (a child process, the default) | hooks on, in the "
        "server's event loop |",
        "|---|---:|---:|---:|",
        row("throughput", [r.turns / r.seconds for r in (off, on, loop)], "turns/s", True),
        row("turn latency p50", [p(r.latencies, 0.5) for r in (off, on, loop)], "ms"),
        row("turn latency p99", [p(r.latencies, 0.99) for r in (off, on, loop)], "ms"),
        row(
            "throughput, second loads (the lag polled with hooks on)",
            [r.polled_turns / r.polled_seconds for r in (off, on, loop)],
            "turns/s",
            True,
        ),
        row("mirror lag p50", [None, p(on.lags, 0.5), p(loop.lags, 0.5)], "ms"),
        row("mirror lag p99", [None, p(on.lags, 0.99), p(loop.lags, 0.99)], "ms"),
        "",
        f"- Checked after the run: from the child process, {verdicts['on']}; from the event "
        f"loop, {verdicts['loop']} (current messages once each, in the state's order); the "
        f"poller saw {len(on.lags):,} and {len(loop.lags):,} of {on.polled_turns:,} turns' last "
        "messages.",
        f"- Where a delivery's time goes: the hooks-off server left {backlog.events:,} events "
        f"({backlog.events / max(off.turns + off.polled_turns, 1):,.1f} a turn) in the outbox; one dispatcher "
        f"outside the server (as the server's: up to 200 events a round, 32 a mirror "
        f"transaction) delivered them at "
        f"{backlog.events / max(backlog.seconds, 1e-9):,.0f} events/s in {backlog.batches:,} "
        f"transactions: {backlog.load / max(backlog.events, 1) * ms:,.2f} ms an event building it "
        "(its chunk's checkpoints read and decoded, the threads' heads read), "
        f"{backlog.write / max(backlog.events, 1) * ms:,.2f} ms an event in the mirror's "
        f"transactions; {backlog.cpu / max(backlog.events, 1) * ms:,.2f} ms of the "
        "dispatcher's CPU an event (PostgreSQL's not counted).",
        *([_rounds_line(backlog.rounds)] if backlog.rounds else []),
        "- How the mirror is delivered here (`hooks/dispatcher.py`, `hooks/builtin/mirror.py`): "
        "the dispatcher's rounds start at least 50 ms apart (`linger`: a busy server's events "
        "are delivered several at a time), and up to 100 ms apart when a round took over 5 ms "
        "(ten times its duration); a round locks the cursor and takes up to 200 events "
        "after it in one statement, and hands the mirror 32 at a time (`after_events`), built "
        "from two statements (the chunk's checkpoints read at once, pending writes left out, "
        "each change applied to the value read before it, unchanged messages shared with the "
        "event before; the threads' heads). The mirror writes a chunk in one transaction: the "
        "threads' advisory locks in one statement, one tombstone check and one multi-row "
        "conversation upsert for all threads, one statement per table for the messages (each "
        "message object's row prepared once), the current flags and the document versions "
        "(a version its committed transactions stored for that conversation is not sent "
        "again, nor a message whose stored row would not change), and the audit entries. The "
        "dispatcher's own pool plans its statements once (generic plans). The notifications "
        "already received wake one drain, and a batch that is not full ends it.",
        "- Before batches (commit 689e5de: one transaction and about 15 statements an event, "
        "four threads at once), the same benchmark measured hooks on at 0.56× hooks off in the "
        "server and 0.68× with `adlaan hooks worker`, lag p50 62 ms and p99 291 ms (load "
        "average 3.5)."
        if kind == "dev"
        else "- The same code as the development server's section above; only the server and "
        "its runtime differ.",
        end,
        "",
    ]
    return "\n".join(lines)


def _rounds_line(rounds: Rounds) -> str:
    small, large = rounds.by_size[rounds.small], rounds.by_size[rounds.large]
    dispatcher, postgres = rounds.fixed_ms()
    return (
        f"- A round's fixed cost: the same backlog delivered again in rounds of {rounds.small} "
        f"events ({small[1]:,} rounds) took {small[2]:,.2f} ms of the dispatcher's CPU and "
        f"{small[3]:,.2f} ms of PostgreSQL's backends an event, against {large[2]:,.2f} and "
        f"{large[3]:,.2f} ms in rounds of {rounds.large} ({large[1]:,} rounds): a round costs "
        f"about {dispatcher:,.1f} + {postgres:,.1f} ms beyond its events. That is why, under "
        "load, the dispatcher waits up to ten times its last round's duration (at most 100 ms) "
        "before the next (`Dispatcher.apart`)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mirror")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="loads on each server, rotating")
    parser.add_argument("--server", choices=SERVERS, default="dev")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    admin = admin_url()
    names = {label: f"adlaan_bench_mirror_{label}_{uuid.uuid4().hex[:8]}" for label in MODES}
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names.values():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = conn.execute("SHOW server_version").fetchone()[0]
    urls = {
        label: make_url(admin).set(database=name).render_as_string(hide_password=False)
        for label, name in names.items()
    }
    try:
        for url in urls.values():
            migrate(url)
        results, verdicts, backlog = asyncio.run(
            run(urls, args.clients, args.turns, args.rounds, args.server)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names.values():
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    block = render(
        results, verdicts, backlog, args.clients, args.turns, args.rounds, version, args.server
    )
    print(block, flush=True)
    start, end = (START, END) if args.server == "dev" else (SERVE_START, SERVE_END)
    write_section(Path(args.out), block, start, end)


if __name__ == "__main__":
    main()

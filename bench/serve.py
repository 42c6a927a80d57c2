"""`adlaan serve` next to `langgraph dev`: an offline drafter turn through ``runs.wait`` (its
p50, one turn at a time), and turns a second with concurrent clients on one and two processes,
with where the CPU went during each throughput run.

    .venv/bin/python -m bench.serve [--turns 30] [--seconds 20] [--clients 8]
    .venv/bin/python -m bench.serve --clients 32 --duration 300     # the soak: 2 processes only

On a fresh database (``BENCH_DATABASE_URL``, an admin URL, or the embedded PostgreSQL) and Redis
(``BENCH_REDIS_URL``, default redis://127.0.0.1:6379/12); writes the "serve" section of
docs/benchmarks.md (the soak writes its own "serve-soak" section). Each turn is a new thread's
first drafter turn (offline: no LLM_MODEL).

CPU accounting: user + system CPU seconds of each server process (with its children), of the
PostgreSQL backends connected to the benchmark's database, of the other PostgreSQL processes
(its background writers, and whatever else this machine runs), of Redis, and of this client,
read with psutil at the start and end of each throughput run; "machine busy" is every core's
non-idle time over the same window (``psutil.cpu_times``), so what none of the above used is
other work on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.__main__ import machine_speed

ROOT = Path(__file__).resolve().parents[1]
START_MARK, END_MARK = "<!-- serve:start -->", "<!-- serve:end -->"
SOAK_START, SOAK_END = "<!-- serve-soak:start -->", "<!-- serve-soak:end -->"
TURN = {"messages": [{"role": "user", "content": "I need to draft an NDA"}]}


@dataclass
class Load:
    """What ``concurrency`` clients did for a while, and the CPU it took."""

    turns: int
    seconds: float
    errors: int
    latencies_ms: list[float]
    #: CPU seconds by consumer over the run (see the module's docstring), and ``"machine busy"``
    cpu: dict[str, float] = field(default_factory=dict)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(int(len(ordered) * q) - 1, 0)] if ordered else float("nan")


@dataclass
class Result:
    """What one server set-up measured."""

    name: str
    p50_ms: float
    p90_ms: float
    load: Load

    @property
    def turns_per_second(self) -> float:
        return self.load.rate

    @property
    def errors(self) -> int:
        return self.load.errors


async def _turn(client) -> None:
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "drafter", input=TURN, raise_error=True)


async def latencies(client, turns: int) -> list[float]:
    """Milliseconds of ``runs.wait`` for ``turns`` turns, one at a time (thread creation untimed)."""
    await _turn(client)  # warm-up: the graph's first import, pools
    found = []
    for _ in range(turns):
        thread = await client.threads.create()
        start = time.perf_counter()
        await client.runs.wait(thread["thread_id"], "drafter", input=TURN, raise_error=True)
        found.append((time.perf_counter() - start) * 1000)
    return found


# -- CPU accounting ---------------------------------------------------------------------------
def _cpu(process) -> float:
    times = process.cpu_times()
    return times.user + times.system


class CpuMeter:
    """CPU seconds used by named groups of processes between ``start()`` and ``stop()``.

    A group is a function returning its processes now; a process seen at the end but not at the
    start counts from zero (it started during the run); one that ended during the run is lost
    (pool connections live as long as the run)."""

    def __init__(self, groups: dict[str, Callable[[], list]]):
        self.groups = groups
        self.before: dict[str, dict[int, float]] = {}
        self.machine_before = 0.0

    @staticmethod
    def _machine() -> float:
        import psutil

        times = psutil.cpu_times()
        return sum(times) - times.idle - getattr(times, "iowait", 0.0)

    def _snapshot(self) -> dict[str, dict[int, float]]:
        import psutil

        found: dict[str, dict[int, float]] = {}
        for name, processes in self.groups.items():
            found[name] = {}
            for process in processes():
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    found[name][process.pid] = _cpu(process)
        return found

    def start(self) -> None:
        self.before = self._snapshot()
        self.machine_before = self._machine()

    def stop(self) -> dict[str, float]:
        after = self._snapshot()
        used = {
            name: sum(cpu - self.before[name].get(pid, 0.0) for pid, cpu in pids.items())
            for name, pids in after.items()
        }
        used["machine busy"] = self._machine() - self.machine_before
        return used


def tree(pid: int) -> Callable[[], list]:
    """The process ``pid`` and its descendants (uvicorn's workers, if any)."""
    import psutil

    def processes() -> list:
        try:
            root = psutil.Process(pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    return processes


def named(match: Callable[[list[str]], bool]) -> Callable[[], list]:
    """Every process whose command line ``match`` accepts."""
    import psutil

    def processes() -> list:
        found = []
        for process in psutil.process_iter(["cmdline"]):
            cmdline = process.info.get("cmdline") or []
            if cmdline and match(cmdline):
                found.append(process)
        return found

    return processes


def consumers(database: str, servers: dict[str, int]) -> dict[str, Callable[[], list]]:
    """The groups of processes a serve benchmark accounts for."""
    import psutil

    def backend(cmdline: list[str]) -> bool:  # "postgres: user database host(port) state"
        line = " ".join(cmdline)
        return line.startswith("postgres: ") and f" {database} " in line

    def other_postgres(cmdline: list[str]) -> bool:
        line = " ".join(cmdline)
        is_postgres = line.startswith("postgres: ") or "bin/postgres" in line
        return is_postgres and not backend(cmdline)

    groups = {name: tree(pid) for name, pid in servers.items()}
    groups["PostgreSQL, the benchmark's backends"] = named(backend)
    groups["PostgreSQL, other processes"] = named(other_postgres)
    groups["Redis"] = named(lambda cmdline: "redis-server" in cmdline[0])
    groups["benchmark client"] = lambda: [psutil.Process()]
    return groups


async def throughput(clients: list, seconds: float, concurrency: int) -> Load:
    """``concurrency`` loops running turns back to back for ``seconds``, spread over ``clients``
    in turn; every turn's latency (thread creation and ``runs.wait``) is kept."""
    deadline = time.monotonic() + seconds
    load = Load(0, 0.0, 0, [])

    async def loop(client) -> None:
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                await _turn(client)
                load.turns += 1
                load.latencies_ms.append((time.perf_counter() - start) * 1000)
            except Exception as error:  # counted, and shown once
                if not load.errors:
                    load.first_error = f"{type(error).__name__}: {error}"
                    print(f"error: {load.first_error}", file=sys.stderr)
                load.errors += 1

    start = time.monotonic()
    await asyncio.gather(*(loop(clients[i % len(clients)]) for i in range(concurrency)))
    load.seconds = time.monotonic() - start
    return load


def metered(meter: CpuMeter, clients: list, seconds: float, concurrency: int) -> Load:
    meter.start()
    load = asyncio.run(throughput(clients, seconds, concurrency))
    load.cpu = meter.stop()
    return load


def _result(name: str, ms: list[float], load: Load) -> Result:
    ordered = sorted(ms)
    p90 = ordered[int(len(ordered) * 0.9) - 1] if ordered else float("nan")
    return Result(name, statistics.median(ordered), p90, load)


#: one user drives every client: no login throttle, no per-user rate limit (a benchmark, not abuse)
QUIET = {
    "LOGIN_MAX_ATTEMPTS_PER_CLIENT": "100000",
    "RATE_LIMIT_PER_USER": "0",
    "RATE_LIMIT_PER_CLIENT": "0",
    "HOOKS_ENABLED": "true",
}


#: ``--small-pools``: each process's pools cut to fit a shared 100-connection PostgreSQL (two
#: processes under 32 clients hold about 70 connections with the defaults, docs/serving.md)
SMALL_POOLS = {"PG_POOL_SIZE": "5", "PG_MAX_OVERFLOW": "5", "DB_POOL_SIZE": "8"}


def _servers(url: str, redis: str, tmp: str, env: dict[str, str] | None = None) -> tuple:
    from tests.accounts import make_user
    from tests.serve import ServeServer

    user = make_user(url)
    servers = []
    for name in ("a", "b"):
        Path(tmp, name).mkdir()
        servers.append(
            ServeServer(url, Path(tmp, name), redis, {**QUIET, **(env or {})}, user=user)
        )
    return tuple(servers)


def _pid(server) -> int:
    if server.process is None:
        raise RuntimeError("the server is not running")
    return server.process.pid


def measure(url: str, redis: str, turns: int, seconds: float, concurrency: int) -> list[Result]:
    from sqlalchemy.engine import make_url

    from tests.server import LangGraphServer

    database = make_url(url).database or ""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        dev = LangGraphServer(url, Path(tmp, "dev").resolve(), QUIET)
        Path(dev.workdir).mkdir()
        dev.start()
        try:
            ms = asyncio.run(latencies(dev.client(), turns))
            meter = CpuMeter(consumers(database, {"server process A": _pid(dev)}))
            load = metered(meter, [dev.client()], seconds, concurrency)
            results.append(_result("`langgraph dev` (in-memory runtime)", ms, load))
        finally:
            dev.stop()
        a, b = _servers(url, redis, tmp)
        a.start()
        try:
            ms = asyncio.run(latencies(a.client(), turns))
            meter = CpuMeter(consumers(database, {"server process A": _pid(a)}))
            load = metered(meter, [a.client()], seconds, concurrency)
            results.append(_result("`adlaan serve`, 1 process", ms, load))
            b.start()
            ms = asyncio.run(latencies(b.client(), turns))
            servers = {"server process A": _pid(a), "server process B": _pid(b)}
            meter = CpuMeter(consumers(database, servers))
            load = metered(meter, [a.client(), b.client()], seconds, concurrency)
            results.append(_result("`adlaan serve`, 2 processes", ms, load))
        finally:
            a.stop()
            b.stop()
    return results


def soak(
    url: str, redis: str, seconds: float, concurrency: int, env: dict[str, str] | None = None
) -> Load:
    """``concurrency`` clients for ``seconds`` on two `adlaan serve` processes (half on each)."""
    from sqlalchemy.engine import make_url

    database = make_url(url).database or ""
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _servers(url, redis, tmp, env)
        try:
            a.start()
            b.start()
            for server in (a, b):
                asyncio.run(latencies(server.client(), 2))  # warm-up
            servers = {"server process A": _pid(a), "server process B": _pid(b)}
            meter = CpuMeter(consumers(database, servers))
            return metered(meter, [a.client(), b.client()], seconds, concurrency)
        finally:
            a.stop()
            b.stop()


# -- the report -------------------------------------------------------------------------------
def cpu_table(results: list[tuple[str, Load]]) -> list[str]:
    """CPU per turn and cores busy, by consumer, for each throughput run."""
    names: list[str] = []
    for _, load in results:
        names += [n for n in load.cpu if n not in names and n != "machine busy"]
    header = "| CPU ms a turn (cores busy) | " + " | ".join(n for n, _ in results) + " |"
    lines = [header, "|---|" + "---:|" * len(results)]
    cores = os.cpu_count() or 1
    for name in [*names, "machine busy"]:
        cells = []
        for _, load in results:
            used = load.cpu.get(name)
            if used is None or not load.turns:
                cells.append("")
                continue
            cells.append(f"{used / load.turns * 1000:,.1f} ({used / load.seconds:.2f})")
        label = f"**{name}** (of {cores} cores)" if name == "machine busy" else name
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def ceiling(load: Load) -> float | None:
    """The most two processes can do over one on this machine's cores, from one process's CPU
    a turn: one process does at most 1/S turns a second (its own core), two at most
    cores/(S + O), where S is the server's CPU a turn and O the rest's (PostgreSQL, Redis, the
    client); so the ratio is at most cores * S / (S + O) (docs/serving.md)."""
    server = sum(v for k, v in load.cpu.items() if k.startswith("server process"))
    rest = sum(
        load.cpu.get(k, 0.0)
        for k in ("PostgreSQL, the benchmark's backends", "Redis", "benchmark client")
    )
    if not server:
        return None
    return min(2, os.cpu_count() or 1) * server / (server + rest)


def render(results: list[Result], command: str, concurrency: int, seconds: float) -> str:
    one = next((r for r in results if "1 process" in r.name), None)
    lines = [
        START_MARK,
        "## Serving: `adlaan serve` and `langgraph dev`",
        "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d} ({os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end; {machine_speed()}). Latency: an "
        "offline `drafter` turn "
        "(a new thread's first turn) through `runs.wait`, one at a time. Throughput: "
        f"{concurrency} clients, each running such turns back to back for {seconds:.0f} s (on two "
        "processes, half the clients on each); p50 under load is a whole turn (thread creation "
        "and `runs.wait`) while the clients run. The client runs on the same machine.",
        "",
        "| server | runs.wait p50 | p90 | turns/s | vs 1 process | p50 under load | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = f"{r.turns_per_second / one.turns_per_second:.2f}×" if one else ""
        lines.append(
            f"| {r.name} | {r.p50_ms:,.0f} ms | {r.p90_ms:,.0f} ms | {r.turns_per_second:.1f} | "
            f"{ratio} | {r.load.percentile(0.5):,.0f} ms | {r.errors} |"
        )
    lines += [
        "",
        "Where the CPU went during each throughput run (psutil; user + system CPU per turn, "
        'and in brackets the cores it kept busy on average; "machine busy" is all non-idle '
        "time, other work on the machine included):",
        "",
        *cpu_table([(r.name, r.load) for r in results]),
        *(
            [
                "",
                f"From the 1-process run's accounting, 2 processes can do at most "
                f"**{bound:.2f}×** one here (2S/(S+O), docs/serving.md), before PostgreSQL's "
                "own background processes and scheduling.",
            ]
            if one and (bound := ceiling(one.load))
            else []
        ),
        "",
        "`langgraph dev`'s queue polls every 0.5 s, so its turns take a second; `adlaan serve` "
        "wakes a worker through Redis when a run is created (docs/serving.md).",
        END_MARK,
        "",
    ]
    return "\n".join(lines)


def render_soak(load: Load, command: str, concurrency: int) -> str:
    lines = [
        SOAK_START,
        "## Serving: the soak (`adlaan serve`, 2 processes)",
        "",
        f"Produced by `{command}` on {datetime.now(UTC):%Y-%m-%d} ({os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end; {machine_speed()}): {concurrency} "
        "clients, half on "
        f"each of two `adlaan serve` processes, each running offline `drafter` turns (a new "
        f"thread and `runs.wait`) back to back for {load.seconds:.0f} s"
        + (
            " (`--small-pools`: " + ", ".join(f"`{k}={v}`" for k, v in SMALL_POOLS.items()) + ")."
            if "--small-pools" in command
            else "."
        ),
        "",
        "| turns | errors | turns/s | p50 | p95 | p99 | max |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {load.turns:,} | {load.errors} | {load.rate:.1f} | {load.percentile(0.5):,.0f} ms | "
        f"{load.percentile(0.95):,.0f} ms | {load.percentile(0.99):,.0f} ms | "
        f"{max(load.latencies_ms, default=float('nan')):,.0f} ms |",
        "",
        *([f"First error: `{load.first_error}`", ""] if load.first_error else []),
        *cpu_table([("2 processes", load)]),
        SOAK_END,
        "",
    ]
    return "\n".join(lines)


def write_section(out: Path, section: str, start: str = START_MARK, end: str = END_MARK) -> None:
    """Replace the serve section of ``out`` (or append it), leaving the rest as it is."""
    from bench import storage  # imported here: it imports the drafter, which a server loads

    storage.write_section(out, section, start, end)


def main(argv: list[str] | None = None) -> None:
    from bench.__main__ import scratch_database
    from tests.serve import skip_reason

    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("--turns", type=int, default=30, help="turns timed one at a time")
    parser.add_argument("--seconds", type=float, default=20, help="length of a throughput run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="the soak instead: --clients for this many seconds on 2 processes",
    )
    parser.add_argument(
        "--small-pools",
        action="store_true",
        help="the soak with smaller pools a process ("
        + ", ".join(f"{k}={v}" for k, v in SMALL_POOLS.items())
        + ")",
    )
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    if reason := skip_reason(redis):
        sys.exit(f"cannot run: {reason}")

    with scratch_database() as scratch:
        if args.duration:
            load = soak(
                scratch.url,
                redis,
                args.duration,
                args.clients,
                SMALL_POOLS if args.small_pools else None,
            )
        else:
            results = measure(scratch.url, redis, args.turns, args.seconds, args.clients)
    if args.duration:
        command = f".venv/bin/python -m bench.serve --clients {args.clients} --duration "
        command += f"{args.duration:g}" + (" --small-pools" if args.small_pools else "")
        section = render_soak(load, command, args.clients)
        start, end = SOAK_START, SOAK_END
    else:
        defaults = (args.turns, args.seconds, args.clients) == (30, 20, 8)
        command = ".venv/bin/python -m bench.serve" + (
            ""
            if defaults
            else f" --turns {args.turns} --seconds {args.seconds:g} --clients {args.clients}"
        )
        section = render(results, command, args.clients, args.seconds)
        start, end = START_MARK, END_MARK
    print(section)
    write_section(Path(args.out), section, start, end)
    print(f"wrote {args.out}", file=sys.stderr)
    if args.duration and load.errors:
        sys.exit(f"{load.errors} error(s) in the soak")


if __name__ == "__main__":
    main()

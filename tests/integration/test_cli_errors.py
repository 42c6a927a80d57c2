"""`adlaan` explains its failures (issue 15, items 3 and 4): every command, run as an operator
would (the installed command in a subprocess), against a database that does not exist, a role
that does not exist, a port nothing listens on, a malformed URL and an unmigrated database,
says what is wrong and what to do, exits with the code of that failure, and shows no
traceback; unknown ids fail; read-only commands start nothing; a busy port is an error; a
killed `adlaan dev` leaves no server behind; configuration comes from the environment,
`--env-file`/`ADLAAN_ENV_FILE` or `.env`, and `adlaan config` masks secrets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy.engine import make_url

from server.cli_errors import ExitCode

pytestmark = pytest.mark.integration
ADLAAN = str(Path(sys.executable).parent / "adlaan")
PASSWORD = "a-secret-that-must-never-show"

#: Every command that touches the database, with arguments that pass their own validation.
DATABASE_COMMANDS: list[tuple[str, ...]] = [
    ("cleanup", "--dry-run"),
    ("db", "stats"),
    ("prune", "--thread", "00000000-0000-0000-0000-000000000000"),
    ("hooks", "status"),
    ("hooks", "retry"),
    ("hooks", "worker"),
    ("mirror", "sync"),
    ("threads", "restore"),
    ("users", "list"),
    ("users", "create", "--email", "ops@example.com", "--password-stdin"),
    ("users", "disable", "--email", "ops@example.com"),
    ("users", "enable", "--email", "ops@example.com"),
    ("users", "api-key", "--email", "ops@example.com"),
    ("users", "password", "--email", "ops@example.com", "--password-stdin"),
    ("users", "unlock", "--email", "ops@example.com"),
    ("users", "sessions", "--email", "ops@example.com"),
    ("users", "revoke", "--email", "ops@example.com", "--session", str(uuid.UUID(int=1))),
    ("users", "export", "x.zip", "--email", "nobody@example.com"),
    ("users", "erase", "--email", "nobody@example.com", "--yes"),
]


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": str(Path(sys.executable).parent), "HOME": str(Path.home())}
    return subprocess.run(
        [ADLAAN, *args],
        env={**base, "COLUMNS": "200", **env},
        cwd=cwd,
        input="a long enough password\n",
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_explained(result: subprocess.CompletedProcess, code: int, *phrases: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == code, (result.args, result.returncode, output)
    for phrase in phrases:
        assert phrase in output, (result.args, phrase, output)
    assert PASSWORD not in output


def run_all(commands, **env: str) -> list[subprocess.CompletedProcess]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(pool.map(lambda args: run(*args, **env), commands))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_database_that_does_not_exist_fails_at_once_for_every_command(admin_url):
    url = make_url(admin_url).set(database="adlaan_no_such_database")
    started = time.monotonic()
    for result in run_all(
        [*DATABASE_COMMANDS, ("migrate",)],
        DATABASE_URL=url.render_as_string(hide_password=False),
    ):
        assert_explained(
            result,
            ExitCode.DATABASE_REFUSED,
            'database "adlaan_no_such_database" does not exist',
            "Fix: correct DATABASE_URL",
        )
        assert "database not answering" not in result.stdout + result.stderr  # no retry
    # No retries (each would wait seconds with a countdown): 20 commands, 3 at a time, each
    # a Python start-up, which takes seconds on a loaded machine.
    assert time.monotonic() - started < 180


def test_a_role_that_does_not_exist_is_refused_at_once(admin_url):
    url = make_url(admin_url).set(username="adlaan_no_such_role", password=PASSWORD)
    started = time.monotonic()
    result = run("users", "list", DATABASE_URL=url.render_as_string(hide_password=False))
    assert_explained(result, ExitCode.DATABASE_REFUSED, 'role "adlaan_no_such_role" does not exist')
    assert time.monotonic() - started < 15


def test_a_database_that_does_not_answer_is_retried_with_a_countdown():
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/adlaan"
    result = run("hooks", "status", DATABASE_URL=url, DB_STARTUP_RETRIES="2")
    assert_explained(
        result,
        ExitCode.DATABASE_UNREACHABLE,
        "retry 1/2",
        "retry 2/2",
        "Cannot connect to PostgreSQL",
        "Fix: start PostgreSQL",
    )


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        (f"postgresql://postgres:{PASSWORD}@localhost:notaport/adlaan", "not a valid URL"),
        (f"mysql://root:{PASSWORD}@localhost/adlaan", "must be a postgresql:// URL"),
    ],
)
def test_a_malformed_database_url_is_a_configuration_error(url, phrase):
    for result in run_all(
        [("migrate",), ("users", "list"), ("db", "url"), ("dev",)], DATABASE_URL=url
    ):
        assert_explained(result, ExitCode.CONFIG, "invalid configuration", phrase)


def test_an_unmigrated_database_says_run_migrate(empty_database):
    for result in run_all(DATABASE_COMMANDS, DATABASE_URL=empty_database):
        assert_explained(
            result, ExitCode.NOT_MIGRATED, "database not migrated", "run `adlaan migrate`"
        )


def test_unknown_ids_fail_and_change_nothing(database_url):
    unknown = "11111111-2222-3333-4444-555555555555"
    for args in (("prune", "--thread", unknown), ("mirror", "sync", "--thread", unknown)):
        result = run(*args, DATABASE_URL=database_url)
        assert_explained(result, ExitCode.NOT_FOUND, f"no thread with id {unknown}")
    result = run("hooks", "retry", "--plugin", "no-such-plugin", DATABASE_URL=database_url)
    assert_explained(result, ExitCode.NOT_FOUND, "no plugin named 'no-such-plugin'")


class _Failing(BaseHTTPRequestHandler):
    def do_POST(self):
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"boom, not JSON")

    def log_message(self, *args):
        pass


def test_server_errors_are_explained(database_url):
    failing = HTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=failing.serve_forever, daemon=True).start()
    try:
        broken = f"http://127.0.0.1:{failing.server_address[1]}"
        nobody = f"http://127.0.0.1:{free_port()}"
        assign = ("threads", "assign", "--owner", "a@example.com", "--unowned", "--token", "k")
        for server, phrase in ((broken, "server error 500"), (nobody, "cannot reach the server")):
            result = run(*assign, "--server", server)
            assert_explained(result, ExitCode.SERVER_ERROR, phrase)
            result = run("threads", "restore", "--server", server, DATABASE_URL=database_url)
            assert_explained(result, ExitCode.SERVER_ERROR, phrase)
    finally:
        failing.shutdown()


def test_read_only_commands_start_nothing(tmp_path):
    data_dir = tmp_path / "data"
    for args in (("db", "url"), ("config",)):
        result = run(*args, ADLAAN_DATA_DIR=str(data_dir))
        assert_explained(result, ExitCode.OK)
    assert "not running" in run("db", "url", ADLAAN_DATA_DIR=str(data_dir)).stdout
    assert not data_dir.exists()


def test_a_busy_port_is_an_error(database_url):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("dev", "--port", str(port), DATABASE_URL=database_url)
    assert_explained(result, ExitCode.PORT_IN_USE, f"cannot serve on 127.0.0.1:{port}", "--port N")


def _group(pgid: int) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_dev_leaves_no_server_behind(database_url, kill):
    port = free_port()
    env = {"PATH": str(Path(sys.executable).parent), "DATABASE_URL": database_url}
    cli = subprocess.Popen(
        [ADLAAN, "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert cli.poll() is None, "adlaan dev exited early"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.5)
        servers = [
            p for p in psutil.Process(cli.pid).children() if "langgraph" in " ".join(p.cmdline())
        ]
        assert len(servers) == 1
        pgid = servers[0].pid
        assert len(_group(pgid)) >= 1
        cli.send_signal(kill)
        cli.wait(timeout=30)
        deadline = time.monotonic() + 20
        while _group(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _group(pgid) == []
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/ok", timeout=2)
    finally:
        if cli.poll() is None:
            cli.kill()


def test_config_masks_secrets_and_names_sources(tmp_path):
    env_file = tmp_path / "prod.env"
    env_file.write_text(f"DB_PASSWORD={PASSWORD}\nRETENTION_IDLE=7d\n")
    result = run(
        "--env-file",
        str(env_file),
        "config",
        DATABASE_URL=f"postgresql://adlaan:{PASSWORD}@db.example:5432/adlaan",
    )
    assert_explained(result, ExitCode.OK)
    lines = dict((line.split("\t")[0], line.split("\t")[1:]) for line in result.stdout.splitlines())
    assert lines["DATABASE_URL"] == [
        "postgresql://adlaan:***@db.example:5432/adlaan",
        "environment",
    ]
    assert lines["DB_PASSWORD"] == ["***", str(env_file.resolve())]
    assert lines["RETENTION_IDLE"] == ["7d", str(env_file.resolve())]
    assert lines["PORT"] == ["2024", "default"]


def test_env_file_option_setting_and_current_directory(tmp_path):
    (tmp_path / ".env").write_text("PORT=3001\n")
    other = tmp_path / "other.env"
    other.write_text("PORT=3002\n")

    def port(*args: str, **env: str) -> str:
        result = run(*args, "config", cwd=tmp_path, **env)
        assert_explained(result, ExitCode.OK)
        return next(line for line in result.stdout.splitlines() if line.startswith("PORT\t"))

    assert port() == f"PORT\t3001\t{(tmp_path / '.env').resolve()}"
    assert port("--env-file", str(other)) == f"PORT\t3002\t{other.resolve()}"
    assert port(ADLAAN_ENV_FILE=str(other)) == f"PORT\t3002\t{other.resolve()}"
    assert port("--env-file", str(other), PORT="3003") == "PORT\t3003\tenvironment"
    missing = run("--env-file", str(tmp_path / "nope.env"), "config")
    assert_explained(missing, ExitCode.CONFIG, "nope.env", "which is not a file")


def test_env_file_in_the_project_root_is_read(tmp_path, monkeypatch):
    from server import settings

    (tmp_path / ".env").write_text("PORT=3004\n")
    monkeypatch.setattr(settings, "ROOT", tmp_path)
    monkeypatch.chdir(tmp_path.parent)
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv(settings.ENV_FILE_ENV, raising=False)
    assert settings.env_files() == ((tmp_path / ".env").resolve(),)
    assert settings.Settings(_env_file=settings.env_files()).port == 3004

"""The one place that turns the CLI's expected failures into a message and an exit code.

Every expected failure (bad configuration, a database that is down, refuses, or is not
migrated, an unknown id, a server that answers with an error, a busy port) prints what is wrong
and what to do, and exits with its own code; only a bug shows a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes of `adlaan` (listed in its --help and in README.md)."""

    OK = 0
    FAILED = 1  # the command ran and says what did not work (e.g. dead letters failed again)
    USAGE = 2  # a bad option or argument (Click's own code)
    CONFIG = 3  # invalid configuration: a malformed DATABASE_URL, a missing --env-file
    DATABASE_UNREACHABLE = 4  # PostgreSQL did not answer (after the retries)
    DATABASE_REFUSED = 5  # PostgreSQL said no: wrong password, unknown role or database
    NOT_MIGRATED = 6  # the schema is missing or behind: run `adlaan migrate`
    NOT_FOUND = 7  # a named thread, user or plugin does not exist
    SERVER_ERROR = 8  # the server of --server answered with an error or not at all
    PORT_IN_USE = 9  # the port to serve on is taken
    INTERRUPTED = 130  # what a child stopped by Ctrl-C returns; `adlaan dev` then exits 0


EPILOG = (
    "Exit codes: 0 ok; 1 failed (see the message); 2 bad usage; 3 invalid configuration; "
    "4 database unreachable; 5 database refused the connection; 6 database not migrated; "
    "7 not found; 8 server error; 9 port in use."
)


class CliError(Exception):
    """An expected failure with its exit code; the message says what is wrong and what to do."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.code = code


class NotFound(CliError):
    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.NOT_FOUND)


class PortInUse(CliError):
    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.PORT_IN_USE)


def explain(error: BaseException) -> tuple[str, ExitCode] | None:
    """``(message, exit code)`` for an expected failure; None for anything else (a bug)."""
    import httpx
    import psycopg
    import psycopg_pool
    from pydantic import ValidationError

    from server.settings import EnvFileMissing
    from store.db import DatabaseRefused, DatabaseUnavailable
    from store.migrate import SchemaNotCurrent

    if isinstance(error, CliError):
        return str(error), error.code
    if isinstance(error, EnvFileMissing):
        return f"invalid configuration: {error}", ExitCode.CONFIG
    if isinstance(error, ValidationError):
        # never str(error): pydantic repeats the input, which may hold a password
        lines = [
            f"  {'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        ]
        return (
            "invalid configuration:\n" + "\n".join(lines) + "\n"
            "Fix it in the environment or .env (`adlaan config` shows where each value comes from).",
            ExitCode.CONFIG,
        )
    if isinstance(error, DatabaseRefused):
        return str(error), ExitCode.DATABASE_REFUSED
    if isinstance(error, DatabaseUnavailable):
        return str(error), ExitCode.DATABASE_UNREACHABLE
    if isinstance(error, SchemaNotCurrent):
        return f"{error}: run `adlaan migrate`", ExitCode.NOT_MIGRATED
    if isinstance(error, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        reason = str(error).splitlines()[0]
        return f"database not migrated ({reason}): run `adlaan migrate`", ExitCode.NOT_MIGRATED
    if isinstance(error, psycopg.OperationalError | psycopg_pool.PoolTimeout):
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return (
            f"lost the database: {reason}\nFix: check that PostgreSQL runs, then run the "
            "command again (it is safe to repeat).",
            ExitCode.DATABASE_UNREACHABLE,
        )
    if isinstance(error, httpx.HTTPStatusError):
        response = error.response
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        hint = {
            401: "pass an administrator's API key with --token or $ADLAAN_TOKEN",
            403: "the key's user is not an administrator",
            404: "is --server the URL of an Adlaan Agent server?",
        }.get(response.status_code, "see the server's log")
        return (
            f"server error {response.status_code} from {response.request.url}: {detail}\n"
            f"Fix: {hint}",
            ExitCode.SERVER_ERROR,
        )
    if isinstance(error, httpx.TransportError):
        return (
            f"cannot reach the server at {error.request.url}: {error or type(error).__name__}\n"
            "Fix: start it (`adlaan dev`), or correct --server",
            ExitCode.SERVER_ERROR,
        )
    return None

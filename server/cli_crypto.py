"""``adlaan db rotate-key``: re-encrypt everything at rest under ``ADLAAN_ENCRYPTION_KEY``
(docs/security.md, "Encryption at rest"), registered on server/cli.py's ``db`` group.

Values written under an earlier key are read with ``ADLAAN_ENCRYPTION_OLD_KEYS`` and written
again under the current one; plaintext written before a key was set is encrypted. Each thread's
checkpoint rows, and each batch of mirror rows, is one transaction: an interrupted rotation
leaves every row readable by the current or an old key, and running it again finishes it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from psycopg.types.json import Jsonb
from rich.progress import Progress

from server.cli import _ready_database, _with_pool, console, db_app
from server.cli_errors import CliError, ExitCode
from server.settings import get_settings
from store import crypto
from store.checkpoint_delta import decompress
from store.repositories import checkpoints, documents, messages, registry, runtime_tables

BATCH = 500
CIPHER = "+aes"


def _resealed(ring: crypto.Keyring, kind: str, blob: bytes | None) -> tuple[str, bytes] | None:
    """A checkpoint row's new ``(type, blob)`` under the current key, or None when it holds no
    value of its own (empty, a reference to another row)."""
    if not blob or kind == "empty" or kind.startswith("ref:"):
        return None
    prefix, inner, suffix = "", kind, ""
    if kind.startswith("delta:"):
        _, inner, base = kind.split(":", 2)
        prefix, suffix = "delta:", f":{base}"
    inner, data = decompress((inner, bytes(blob)))
    if inner.endswith(CIPHER):
        inner, data = inner[: -len(CIPHER)], ring.decrypt_bytes(data)
    if not inner.startswith(crypto.DEFLATED):  # stored in plaintext: deflated as it is now
        inner, data = crypto.deflate((inner, data))
    return f"{prefix}{inner}{CIPHER}{suffix}", ring.encrypt_bytes(data)


async def _checkpoints(pool, ring: crypto.Keyring, progress: Progress) -> int:
    async with pool.connection() as conn:
        threads = await checkpoints.value_threads(conn)
    task = progress.add_task("checkpoints", total=len(threads))
    count = 0
    for thread_id in threads:
        async with pool.connection() as conn, conn.transaction():
            count += await checkpoints.rewrite_values(
                conn, thread_id, lambda kind, blob: _resealed(ring, kind, blob)
            )
        progress.advance(task)
    return count


async def _mirror(pool, repository: ModuleType, columns: Sequence[Callable], progress) -> int:
    """Re-seal the encrypted columns of every row of a mirror table, through its repository's
    statements (``SEALED_*_SQL``); ``columns`` rewrites each stored value, in column order."""
    async with pool.connection() as conn:
        total = (await (await conn.execute(repository.SEALED_COUNT_SQL)).fetchone())["count"]
    task = progress.add_task(repository.__name__.rsplit(".", 1)[-1], total=total)
    last, count = 0, 0
    while True:
        async with pool.connection() as conn, conn.transaction():
            page = await conn.execute(repository.SEALED_PAGE_SQL, (last, BATCH))
            rows = [tuple(r.values()) for r in await page.fetchall()]
            for row in rows:
                values = [f(v) for f, v in zip(columns, row[1:], strict=True)]
                await conn.execute(repository.SEALED_UPDATE_SQL, (*values, row[0]))
        if not rows:
            return count
        last, count = rows[-1][0], count + len(rows)
        progress.advance(task, len(rows))


def _text(value: str | None) -> str | None:
    return crypto.seal(crypto.unseal(value))


def _title(value: str) -> str:
    return crypto.seal_within(crypto.unseal(value) or "", documents.TITLE_LIMIT)


def _json(value: Any) -> Any:
    return crypto.seal_json(None if value is None else Jsonb(crypto.unseal_json(value)))


@db_app.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt checkpoints, the mirror's message and document text, the development
    server's registry and adlaan serve's runtime tables under ADLAAN_ENCRYPTION_KEY, reading
    older values with ADLAAN_ENCRYPTION_OLD_KEYS (also encrypts what was written before a key
    was set)."""
    ring = get_settings().keyring()
    if ring is None:
        raise CliError(
            "ADLAAN_ENCRYPTION_KEY is not set: there is no key to rotate to", ExitCode.CONFIG
        )
    crypto.configure(ring)
    url = _ready_database()

    async def work(pool) -> tuple[int, int]:
        with Progress(console=console) as progress:
            blobs = await _checkpoints(pool, ring, progress)
            rows = await _mirror(pool, messages, (_text, _json), progress)
            rows += await _mirror(pool, documents, (_title, _text), progress)
            async with pool.connection() as conn, conn.transaction():
                rows += await registry.rewrite_payloads(
                    conn, lambda payload: crypto.seal_bytes(crypto.unseal_bytes(payload))
                )
            async with pool.connection() as conn, conn.transaction():
                rows += await runtime_tables.reseal(conn, runtime_tables.resealed)
        return blobs, rows

    try:
        blobs, rows = _with_pool(url, work)
    except crypto.DecryptError as error:
        raise CliError(
            f"{error}: set ADLAAN_ENCRYPTION_OLD_KEYS to the key(s) it was written with "
            "(comma-separated) and run `adlaan db rotate-key` again; rows done so far are "
            "readable with the new key",
            ExitCode.CONFIG,
        ) from None
    console.print(f"[green]re-encrypted[/] {blobs} checkpoint values and {rows} mirror rows")

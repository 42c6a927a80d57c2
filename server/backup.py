"""Backup and restore of everything Adlaan Agent keeps: the database (checkpoints, mirror, users,
registry, outbox, audit: one ``pg_dump`` snapshot, store/dump.py) and the runtime's files (the
development server's pickles, which hold the LangGraph store's items and crons while they live
there), in one file.

A backup is an uncompressed tar of already compressed members:

- ``manifest.json``: when, from which server and schema revision, with which tools, each
  member's SHA-256, and every table's row count and hash in the dump's snapshot;
- ``database.dump``: ``pg_dump --format=custom`` (compressed);
- ``runtime.tar.gz``: the runtime directory's files (when there are any), each copied whole
  and checked to unpickle, so a file caught mid-write is copied again.

``restore`` checks the members' hashes, refuses a database that has tables (unless told to
clean it), loads the dump in one transaction, compares every table's fingerprint with the
manifest, and puts the runtime files back.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickletools
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.runtime.files import secure_tree
from store import dump

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.dump"
RUNTIME = "runtime.tar.gz"

#: ``(step, detail)``: a step starts (``"tables"`` with a total) or advances (``"table"``).
OnStep = Callable[[str, Any], None]


class BackupError(RuntimeError):
    """A backup cannot be written or read, or a restore was refused; the message says why."""


class RestoreMismatch(BackupError):
    """The restored database differs from the backup's manifest."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _table_of(line: str, verbs: tuple[str, ...]) -> str | None:
    """The table a tool's verbose line is about (``dumping contents of table "public.x"``)."""
    for verb in verbs:
        if verb in line:
            return line.split(verb, 1)[1].strip().strip('"').split(".")[-1].strip('"')
    return None


def _whole_pickle(data: bytes) -> bool:
    """Whether ``data`` is one complete pickle, read opcode by opcode (nothing is executed)."""
    try:
        last = None
        for opcode, _, _ in pickletools.genops(data):
            last = opcode.name
    except Exception:
        return False
    return last == "STOP"


def _steady_copy(source: Path, attempts: int = 10) -> bytes:
    """A file's bytes; a pickle is read again until it is whole (the runtime rewrites its
    files every few seconds, and a copy must not catch one half written)."""
    data = source.read_bytes()
    for _ in range(attempts):
        if source.suffix != ".pckl" or _whole_pickle(data):
            return data
        time.sleep(0.2)
        data = source.read_bytes()
    raise BackupError(f"{source} did not read back whole in {attempts} attempts")


def _runtime_archive(runtime_dir: Path | None) -> tuple[bytes, list[str]] | None:
    if runtime_dir is None or not runtime_dir.is_dir():
        return None
    # a *.tmp is a file being written (the runtime writes a temporary file, then renames it)
    files = sorted(p for p in runtime_dir.rglob("*") if p.is_file() and p.suffix != ".tmp")
    if not files:
        return None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in files:
            data = _steady_copy(path)
            info = tarfile.TarInfo(path.relative_to(runtime_dir).as_posix())
            info.size, info.mode, info.mtime = len(data), 0o600, int(path.stat().st_mtime)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue(), [p.relative_to(runtime_dir).as_posix() for p in files]


@dataclass
class Manifest:
    """What a backup holds, and how to check a restore of it."""

    created_at: str
    server_version: str
    pg_dump: str
    tables: dict[str, dict[str, Any]]
    members: dict[str, str] = field(default_factory=dict)
    runtime_files: list[str] = field(default_factory=list)
    schema_revision: str | None = None
    format: int = FORMAT

    @property
    def dump_major(self) -> int:
        return int(self.pg_dump.split(".")[0])


def _revision(tables: dict[str, Any], url: str) -> str | None:
    if "alembic_version" not in tables:
        return None
    from store.migrate import schema_revisions

    return schema_revisions(url)[0]


def backup(
    url: str, path: Path, *, runtime_dir: Path | None, on_step: OnStep | None = None
) -> Manifest:
    """Write a backup of the database at ``url`` and of ``runtime_dir``'s files to ``path``."""
    if path.exists() and path.is_dir():
        raise BackupError(f"{path} is a directory: name the backup file to write")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _backup(url, path, runtime_dir, on_step or (lambda *_: None))
    except OSError as error:  # a full disk, a directory we may not write to
        raise BackupError(f"cannot write {path}: {error.strerror or error}") from None


def _backup(url: str, path: Path, runtime_dir: Path | None, step: OnStep) -> Manifest:
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".adlaan-backup-") as work:
        database = Path(work) / DATABASE
        step("tables", len(dump.database_tables(url)))
        dumped = dump.dump(
            url,
            database,
            on_line=lambda line: (
                step("table", table)
                if (table := _table_of(line, ("dumping contents of table",)))
                else None
            ),
        )
        step("runtime", runtime_dir)
        runtime = _runtime_archive(runtime_dir)
        manifest = Manifest(
            created_at=datetime.now(UTC).isoformat(),
            server_version=dumped.server_version,
            pg_dump=dumped.tool.version,
            tables=dumped.tables,
            members={DATABASE: _sha256(database)},
            schema_revision=_revision(dumped.tables, url),
        )
        if runtime is not None:
            data, manifest.runtime_files = runtime
            (Path(work) / RUNTIME).write_bytes(data)
            manifest.members[RUNTIME] = hashlib.sha256(data).hexdigest()
        (Path(work) / MANIFEST).write_text(json.dumps(manifest.__dict__, indent=2))
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, mode="w") as archive:
            for name in (MANIFEST, DATABASE, RUNTIME):
                if (Path(work) / name).exists():
                    archive.add(Path(work) / name, arcname=name)
        partial.chmod(0o600)  # it holds every conversation
        partial.replace(path)  # whole or not at all
    return manifest


def read_manifest(archive: tarfile.TarFile) -> Manifest:
    try:
        member = archive.extractfile(MANIFEST)
        raw = json.loads(member.read()) if member else None
    except (KeyError, ValueError):
        raw = None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"not an Adlaan backup (no {MANIFEST} of format {FORMAT})")
    return Manifest(**raw)


def _open(path: Path) -> tarfile.TarFile:
    return tarfile.open(path, mode="r:")


@dataclass(frozen=True)
class Restored:
    """What ``restore`` did: the manifest, the tool, and the runtime files written."""

    manifest: Manifest
    tool: dump.Tool
    runtime_files: list[str]


def restore(
    url: str,
    path: Path,
    *,
    runtime_dir: Path | None,
    into_non_empty: bool = False,
    on_step: OnStep | None = None,
) -> Restored:
    """Load the backup at ``path`` into the database at ``url`` and its runtime files into
    ``runtime_dir``, then check every table against the manifest (``RestoreMismatch``)."""
    step = on_step or (lambda *_: None)
    try:
        archive = _open(path)
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"cannot read {path}: {error}") from None
    with archive, tempfile.TemporaryDirectory(prefix=".adlaan-restore-") as work:
        manifest = read_manifest(archive)
        for name, expected in manifest.members.items():
            try:
                archive.extract(name, work, filter="data")
            except KeyError:
                raise BackupError(f"{path} lacks {name}: the backup is incomplete") from None
            if _sha256(Path(work) / name) != expected:
                raise BackupError(f"{name} in {path} is damaged (its SHA-256 differs)")
        if not dump.is_empty(url) and not into_non_empty:
            raise BackupError(
                "the database is not empty: restore into a new, empty database, or pass "
                "--into-non-empty to drop and replace what the backup holds"
            )
        runtime_files = manifest.runtime_files if RUNTIME in manifest.members else []
        if runtime_files and runtime_dir is not None and not into_non_empty:
            clashes = [f for f in runtime_files if (runtime_dir / f).exists()]
            if clashes:
                raise BackupError(
                    f"{runtime_dir} already holds {', '.join(clashes)}: pick an empty "
                    "--runtime-dir, or pass --into-non-empty to overwrite them"
                )
        step("tables", len(manifest.tables))
        tool = dump.restore(
            url,
            Path(work) / DATABASE,
            dumped_with=manifest.dump_major,
            clean=into_non_empty,
            on_line=lambda line: (
                step("table", table)
                if (table := _table_of(line, ("processing data for table",)))
                else None
            ),
        )
        step("check", None)
        found = dump.database_fingerprint(url)
        differing = [
            f"{table}: {want['rows']} row(s) backed up, {found.get(table, {}).get('rows')} restored"
            for table, want in manifest.tables.items()
            if found.get(table) != want
        ]
        if differing:
            raise RestoreMismatch("the restored database differs:\n" + "\n".join(differing))
        if runtime_files and runtime_dir is not None:
            step("runtime", runtime_dir)
            try:
                runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                with tarfile.open(Path(work) / RUNTIME, mode="r:gz") as files:
                    files.extractall(runtime_dir, filter="data")
                secure_tree(runtime_dir)  # they hold conversation text: the owner's only
            except OSError as error:
                raise BackupError(
                    f"the database is restored, but the runtime files could not be written to "
                    f"{runtime_dir}: {error.strerror or error}\nFix: run the restore again with "
                    "--into-non-empty and a --runtime-dir you may write to"
                ) from None
    return Restored(manifest, tool, runtime_files if runtime_dir is not None else [])

"""One person's data: an export of everything the project keeps about a user (their right of
access), and its erasure (their right to be forgotten), shared by ``adlaan users export/erase``
and ``GET /api/v1/me/export``.

What a user's data is: the conversations they own (the mirror's conversations, messages and
document versions; the checkpoints, writes and blobs of those threads), the LangGraph API's
objects they own (``resource_owners``: threads, assistants, crons, and the registry's rows of
them, or ``adlaan serve``'s runtime tables with its store), their account (``users``, ``api_keys``: sessions and keys, the login throttle of their
e-mail), and the audit entries about them (acted by them, aimed at them, or naming them).

The erasure rule for the audit log (which must keep saying *what* happened): in every entry about
the user, their id or e-mail as actor or target becomes one pseudonym, ``erased:<hash>``, a
SHA-256 of the user id under a random salt that is thrown away, so the entries of one erased
person stay linkable to each other and to no one; details and dedupe keys naming them are
dropped. Entries never hold message text (store/repositories/audit.py), so none is left.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from documents.docx import to_docx
from documents.versions import safe_filename
from store import crypto
from store.db import DictConnection
from store.repositories import (
    audit,
    conversations,
    documents,
    login_throttle,
    messages,
    outbox,
    owners,
    registry,
    runtime_tables,
    users,
)
from store.retention import IdleThread, aapply_policy

#: The most messages of one conversation an export reads at a time.
_PAGE = 1000


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, default=str, ensure_ascii=False).encode()


async def _audit_entries(conn: DictConnection, markers: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while page := await audit.about(conn, markers, after_id=found[-1]["id"] if found else 0):
        found += page
    return found


async def _messages(conn: DictConnection, conversation_id: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while page := await messages.of_conversation(
        conn, conversation_id, current_only=False, limit=_PAGE, offset=len(found)
    ):
        found += page
    return found


async def export_zip(conn: DictConnection, user: dict[str, Any]) -> bytes:
    """A zip of everything about ``user`` (a row of ``users``): ``user.json``, per conversation
    ``conversations/<thread id>/conversation.json``, ``messages.json`` (every message ever
    seen, branches included, in order) and ``documents/<title>-v<n>.docx`` for each version,
    and ``audit.json`` (the entries about them)."""
    user_id = str(user["id"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "user.json",
            _json({**user, "exported_at": datetime.now(UTC).isoformat()}),
        )
        owned = await owners.of_owner(conn, user_id)
        archive.writestr("resources.json", _json(owned))
        for conversation in await conversations.of_owner(conn, user_id):
            folder = f"conversations/{conversation['thread_id']}"
            shown = {k: v for k, v in conversation.items() if k != "id"}
            archive.writestr(f"{folder}/conversation.json", _json(shown))
            rows = await _messages(conn, conversation["id"])
            archive.writestr(f"{folder}/messages.json", _json(rows))
            versions = await documents.full_of_conversation(conn, conversation["id"])
            names: set[str] = set()
            for version in versions:
                name = safe_filename(version, "docx")
                if name in names:  # a branch's second version with the same number
                    name = name.removesuffix(".docx") + f"-{version['id']}.docx"
                names.add(name)
                archive.writestr(f"{folder}/documents/{name}", to_docx(version))
            if versions:
                listing = [{k: v for k, v in d.items() if k != "body"} for d in versions]
                archive.writestr(f"{folder}/documents.json", _json(listing))
        entries = await _audit_entries(conn, [user_id, user["email"]])
        archive.writestr("audit.json", _json(entries))
    return buffer.getvalue()


@dataclass(frozen=True)
class Erased:
    """What an erasure removed."""

    threads: int
    assistants: int
    crons: int
    registry_rows: int
    #: rows of `adlaan serve`'s runtime tables (threads, runs, crons, assistants, store)
    runtime_rows: int
    events: int
    audit_entries: int
    pseudonym: str


def _names_user(payload: bytes, markers: list[str]) -> bool:
    """Whether a registry row's pickled object names the user (pickle keeps a ``str`` as its
    UTF-8 bytes, so the owner stamped in an object's metadata is found without unpickling)."""
    return any(marker.encode() in payload for marker in markers)


async def erase(conn: DictConnection, user: dict[str, Any], *, actor: str) -> Erased:
    """Remove every trace of ``user`` (a row of ``users``), in one transaction: their threads
    with checkpoints, writes, blobs, mirror rows and outbox events; the registry's rows of their
    threads, assistants, crons and runs; their account with its sessions and keys and their
    e-mail's login throttle; and the audit entries about them anonymised (the module's rule).
    One ``user.erased`` entry, under the pseudonym, says it happened."""
    user_id, email = str(user["id"]), str(user["email"])
    markers = [user_id, email]
    pseudonym = "erased:" + hashlib.sha256(secrets.token_bytes(16) + user_id.encode()).hexdigest()
    async with conn.transaction():
        owned = await owners.of_owner(conn, user_id)
        by_kind: dict[str, list[str]] = {"thread": [], "assistant": [], "cron": []}
        for row in owned:
            by_kind[row["kind"]].append(row["resource_id"])
        mirrored = [c["thread_id"] for c in await conversations.of_owner(conn, user_id)]
        threads = sorted(set(by_kind["thread"]) | set(mirrored))
        now = datetime.now(UTC)
        await aapply_policy(
            conn, [IdleThread(t, now) for t in threads], "delete", actor=actor, reason="erasure"
        )
        events = await outbox.forget_threads(conn, threads)
        served = await runtime_tables.erase_user(
            conn,
            user_id,
            threads=threads,
            assistants=by_kind["assistant"],
            crons=by_kind["cron"],
        )
        forgotten = 0
        for kind, keys in (("assistant", by_kind["assistant"]), ("cron", by_kind["cron"])):
            forgotten += await registry.forget(conn, kind, keys)
        naming: dict[str, list[str]] = {}
        for stored in await registry.all_rows(conn):
            if _names_user(crypto.unseal_bytes(stored["payload"]), markers):
                naming.setdefault(stored["kind"], []).append(stored["key"])
        for kind, keys in naming.items():
            forgotten += await registry.forget(conn, kind, keys)
        await login_throttle.reset(conn, f"email:{email}")
        await users.delete(conn, user_id)
        anonymised = await audit.anonymise(conn, markers, pseudonym)
        await audit.record(
            conn,
            actor,
            "user.erased",
            pseudonym,
            threads=len(threads),
            assistants=len(by_kind["assistant"]),
            crons=len(by_kind["cron"]),
        )
    return Erased(
        threads=len(threads),
        assistants=len(by_kind["assistant"]),
        crons=len(by_kind["cron"]),
        registry_rows=forgotten,
        runtime_rows=sum(served.values()),
        events=events,
        audit_entries=anonymised,
        pseudonym=pseudonym,
    )

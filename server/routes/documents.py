"""Generated documents: every version of a conversation's drafts, diffs, citations, downloads
(the agreement as Word, PDF or Markdown, its citations memo, a redline between two versions), and
marking a version final (its exports then carry no DRAFT marking)."""

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_type_hints
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field, TypeAdapter, create_model

from documents import model
from documents.docx import to_docx, to_memo_docx
from documents.markdown import to_markdown
from documents.pdf import PdfUnavailable, to_memo_pdf, to_pdf
from documents.redline import to_redline_docx
from documents.versions import diff, safe_filename
from server.routes.deps import Caller, Conn, CurrentUser, owned_conversation, owned_row
from store.db import DictConnection
from store.repositories import audit
from store.repositories import documents as document_rows

router = APIRouter(prefix="/api/v1", tags=["documents"])

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


def _lenient(typed: type) -> type[BaseModel]:
    """A response model with the fields, types and descriptions of the TypedDict ``typed``, each
    optional: a stored row written by an older drafter may lack one or hold ``None``."""
    properties = TypeAdapter(typed).json_schema()["properties"]
    fields: dict[str, Any] = {
        name: (hint | None, Field(None, description=properties[name].get("description")))
        for name, hint in get_type_hints(typed).items()
    }
    return create_model(typed.__name__, __doc__=typed.__doc__, **fields)


if TYPE_CHECKING:  # a type checker sees the one declaration; pydantic, its lenient model
    Citation = model.Citation
else:
    Citation = _lenient(model.Citation)


class DocumentVersion(BaseModel):
    """One version of a draft, without its text."""

    id: int
    thread_id: str
    document_key: str
    version: int
    type: str
    jurisdiction: str | None
    title: str
    checkpoint_id: str | None
    created_at: datetime
    final_at: datetime | None = Field(
        None, description="When the owner marked this version final; null while it is a draft."
    )


class DocumentFull(DocumentVersion):
    """One version of a draft with its Markdown text and citations."""

    body: str
    citations: list[Citation]


class DocumentDiff(BaseModel):
    """What changed between two versions."""

    from_: dict[str, Any] = Field(alias="from", description="The version compared against.")
    to: dict[str, Any]
    unified: str
    added: int
    removed: int
    citations_added: list[Citation]
    citations_removed: list[Citation]


@router.get("/conversations/{thread_id}/documents", response_model=list[DocumentVersion])
async def list_documents(thread_id: UUID, caller: CurrentUser, conn: Conn) -> list[Any]:
    """Every version of every draft of a conversation, oldest first (a version number can
    appear twice when the conversation was branched)."""
    conversation = await owned_conversation(conn, caller, thread_id)
    return await document_rows.of_conversation(conn, conversation["id"])


async def owned_document(conn: DictConnection, caller: Caller, document_id: int) -> dict:
    """The caller's document version; 404 otherwise (audited when it is someone else's)."""
    row = await document_rows.with_owner(conn, document_id)
    return await owned_row(
        conn, caller, row, f"document:{document_id}", f"document {document_id} not found"
    )


def _bounded(document_id: int) -> int:
    """Ids are PostgreSQL bigints: anything else names no document."""
    if not 0 < document_id < 2**63:
        raise HTTPException(404, f"document {document_id} not found")
    return document_id


@router.get("/documents/{document_id}", response_model=DocumentFull)
async def get_document(document_id: int, caller: CurrentUser, conn: Conn) -> Any:
    """One version of a draft, with its text and citations."""
    return await owned_document(conn, caller, _bounded(document_id))


@router.get("/documents/{document_id}/citations", response_model=list[Citation])
async def get_citations(document_id: int, caller: CurrentUser, conn: Conn) -> Any:
    """The authorities one version of a draft cites."""
    return (await owned_document(conn, caller, _bounded(document_id)))["citations"]


@router.get("/documents/{document_id}/diff", response_model=DocumentDiff)
async def diff_documents(
    document_id: int,
    caller: CurrentUser,
    conn: Conn,
    against: int = Query(..., description="The id of the other version (the older one, usually)."),
) -> Any:
    """A unified diff from version ``against`` to this version, and the citations that changed."""
    new = await owned_document(conn, caller, _bounded(document_id))
    old = await owned_document(conn, caller, _bounded(against))
    return diff(old, new)


def _attachment(
    document: dict, content: bytes, media_type: str, ext: str, kind: str = ""
) -> Response:
    """A download named after the version (``nda-v3.docx``, ``nda-v3-memo.pdf``)."""
    filename = safe_filename(document, ext)
    if kind:
        stem, dot, suffix = filename.rpartition(".")
        filename = f"{stem}-{kind}{dot}{suffix}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


async def _render(render: Callable[..., bytes], *documents: dict) -> bytes:
    """A rendering, in a worker thread: it is CPU work (and ReportLab's first use reads its
    modules from disk), which must not hold up the event loop. When ReportLab is not installed,
    a 501 that says how to get it."""
    try:
        return await asyncio.to_thread(render, *documents)
    except PdfUnavailable as error:
        raise HTTPException(501, str(error)) from None


@router.get(
    "/documents/{document_id}/download",
    responses={200: {"content": {DOCX_TYPE: {}, PDF_TYPE: {}, "text/markdown": {}}}},
)
async def download_document(
    document_id: int,
    caller: CurrentUser,
    conn: Conn,
    format: Literal["docx", "pdf", "md"] = Query(
        "docx", description="Word (.docx), PDF or Markdown (.md)."
    ),
) -> Response:
    """One version of a draft as the agreement: a Word file (Word-numbered clauses, named
    styles, signature blocks last, a DRAFT header and watermark until the version is marked
    final), a PDF laid out the same way, or its Markdown text with the citations appended."""
    document = await owned_document(conn, caller, _bounded(document_id))
    if format == "md":
        return _attachment(
            document, to_markdown(document).encode(), "text/markdown; charset=utf-8", "md"
        )
    if format == "pdf":
        return _attachment(document, await _render(to_pdf, document), PDF_TYPE, "pdf")
    return _attachment(document, await _render(to_docx, document), DOCX_TYPE, "docx")


@router.get(
    "/documents/{document_id}/memo", responses={200: {"content": {DOCX_TYPE: {}, PDF_TYPE: {}}}}
)
async def download_memo(
    document_id: int,
    caller: CurrentUser,
    conn: Conn,
    format: Literal["docx", "pdf"] = Query("docx", description="Word (.docx) or PDF."),
) -> Response:
    """The citations memo that goes with a version: the authorities it relies on and why, as a
    document of its own (the agreement ends with its signature blocks)."""
    document = await owned_document(conn, caller, _bounded(document_id))
    if format == "pdf":
        return _attachment(document, await _render(to_memo_pdf, document), PDF_TYPE, "pdf", "memo")
    return _attachment(document, await _render(to_memo_docx, document), DOCX_TYPE, "docx", "memo")


@router.get("/documents/{document_id}/redline", responses={200: {"content": {DOCX_TYPE: {}}}})
async def redline_documents(
    document_id: int,
    caller: CurrentUser,
    conn: Conn,
    against: int = Query(
        ..., description="The id of the version compared against (the older one, usually)."
    ),
) -> Response:
    """The changes from version ``against`` to this version as a Word file with tracked changes
    (insertions and deletions Word shows and can accept or reject one by one)."""
    new = await owned_document(conn, caller, _bounded(document_id))
    old = await owned_document(conn, caller, _bounded(against))
    return _attachment(
        new,
        await _render(to_redline_docx, old, new),
        DOCX_TYPE,
        "docx",
        f"redline-from-{old['version']}",
    )


async def _set_final(conn: DictConnection, caller: Caller, document_id: int, final: bool) -> Any:
    """Mark the caller's version final or a draft again, audited; the version as it now is."""
    document = await owned_document(conn, caller, _bounded(document_id))
    async with conn.transaction():
        row = await document_rows.set_final(conn, document_id, final)
        if row is None:  # deleted with its conversation meanwhile
            raise HTTPException(404, f"document {document_id} not found")
        changed = (row["final_at"] is None) != (document["final_at"] is None)
        if changed:
            action = "document.finalized" if final else "document.reopened"
            await audit.record(
                conn, caller.user_id, action, f"document:{document_id}", version=document["version"]
            )
    return {**document, "final_at": row["final_at"]}


@router.post("/documents/{document_id}/final", response_model=DocumentVersion)
async def mark_final(document_id: int, caller: CurrentUser, conn: Conn) -> Any:
    """Mark a version final: its exports no longer say DRAFT. Marking it again changes nothing
    (it keeps the time it was first marked)."""
    return await _set_final(conn, caller, document_id, True)


@router.delete("/documents/{document_id}/final", response_model=DocumentVersion)
async def unmark_final(document_id: int, caller: CurrentUser, conn: Conn) -> Any:
    """Make a version a draft again (its exports say DRAFT once more)."""
    return await _set_final(conn, caller, document_id, False)

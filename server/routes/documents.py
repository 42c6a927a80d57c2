"""Generated documents: every version of a conversation's drafts, diffs, citations, downloads."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_type_hints
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, Field, TypeAdapter, create_model

from documents import model
from documents.docx import to_docx
from documents.markdown import to_markdown
from documents.versions import diff, safe_filename
from server.routes.deps import Caller, Conn, CurrentUser, owned_conversation, owned_row
from store.db import DictConnection
from store.repositories import documents as document_rows

router = APIRouter(prefix="/api/v1", tags=["documents"])

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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


@router.get(
    "/documents/{document_id}/download",
    responses={200: {"content": {DOCX_TYPE: {}, "text/markdown": {}}}},
)
async def download_document(
    document_id: int,
    caller: CurrentUser,
    conn: Conn,
    format: Literal["docx", "md"] = Query("docx", description="Word (.docx) or Markdown (.md)."),
) -> Response:
    """One version of a draft as a Word file (headings, numbered clauses, citations) or as
    Markdown."""
    document = await owned_document(conn, caller, _bounded(document_id))
    filename = safe_filename(document, format)
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "md":
        return Response(
            to_markdown(document), media_type="text/markdown; charset=utf-8", headers=headers
        )
    return Response(to_docx(document), media_type=DOCX_TYPE, headers=headers)

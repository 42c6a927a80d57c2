"""The caller's own data: ``GET /api/v1/me/export``, everything the project keeps about them in
one zip (their right of access; docs/data-lifecycle.md)."""

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Response

from server.routes.deps import Conn, CurrentUser
from server.user_data import export_zip
from store.repositories import audit, users

router = APIRouter(prefix="/api/v1/me", tags=["accounts"])


@router.get("/export", responses={200: {"content": {"application/zip": {}}}})
async def export_my_data(caller: CurrentUser, conn: Conn) -> Response:
    """A zip of everything about the caller: ``user.json``, their conversations (each with
    ``messages.json``, every message ever seen, and every document version as ``.docx``),
    ``resources.json`` (what they own) and ``audit.json`` (the entries about them). Audited."""
    user = await users.by_id(conn, caller.user_id)
    if user is None:  # erased while the credential was being resolved
        raise HTTPException(404, "no such user")
    data = await export_zip(conn, user)
    await audit.record(conn, caller.user_id, "user.exported", caller.user_id, size=len(data))
    filename = f"adlaan-export-{datetime.now(UTC):%Y%m%d-%H%M%S}.zip"
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )

"""The runtime's thread operations and the request's caller, as our routes and sweeper use them.

``langgraph_runtime`` is langgraph-api's facade over whichever runtime edition serves (under
``langgraph dev``, langgraph-runtime-inmem, whose ops ``server.runtime.inmem`` wraps: a deletion
made here is written through like one made by the API).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import Literal


async def delete_threads(thread_ids: Sequence[str]) -> None:
    """Delete the threads from the runtime (which deletes their checkpoints); a thread it does not
    hold is skipped, and so is an id that is no UUID (such as the Python Agent API's
    ``user-123-session-456``): the runtime holds none, and its ``Threads.delete`` raises
    ``ValueError`` on one, which stopped the retention sweeper at the first such thread."""
    from fastapi import HTTPException
    from langgraph_runtime.database import connect
    from langgraph_runtime.ops import Threads

    async with connect() as conn:
        for thread_id in thread_ids:
            if not _is_uuid(thread_id):
                continue
            with contextlib.suppress(HTTPException):  # not in the registry: nothing to forget
                async for _ in await Threads.delete(conn, thread_id):
                    pass


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


async def prune_threads(
    thread_ids: Sequence[str], strategy: Literal["delete", "keep_latest"] = "delete"
) -> int:
    """The runtime's own ``Threads.prune``: how many threads it pruned (the in-memory runtime
    supports ``delete`` only)."""
    from langgraph_runtime.ops import Threads

    return await Threads.prune(thread_ids, strategy=strategy)


def current_identity() -> str | None:
    """The authenticated caller of the API request being served, if any (for audit entries)."""
    from langgraph_api.utils import get_auth_ctx

    ctx = get_auth_ctx()
    identity = getattr(getattr(ctx, "user", None), "identity", None) if ctx else None
    return identity or None

"""A request-size limit for Adlaan's own routes: an oversized body gets a 413 before any handler
reads it (the LangGraph API keeps its own limits)."""

from __future__ import annotations

from collections.abc import Callable

from server.guard import ASGIApp, Receive, Scope, Send, reply

LIMITED_PREFIXES = ("/api/v1/", "/auth/")


class BodyLimit:
    """Pure ASGI middleware refusing bodies over ``max_bytes()`` on ``LIMITED_PREFIXES``."""

    def __init__(self, app: ASGIApp, max_bytes: Callable[[], int]) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(LIMITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes()
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await reply(send, 400, "Content-Length is not a number")
                return
            if too_big:
                await reply(send, 413, f"request body is larger than {limit} bytes")
                return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
            return message

        responded = False

        async def tracking_send(message: dict) -> None:
            nonlocal responded
            responded = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except BodyTooLarge:
            if not responded:
                await reply(send, 413, f"request body is larger than {limit} bytes")


class BodyTooLarge(Exception):
    """A chunked body went past the limit while it was being read."""

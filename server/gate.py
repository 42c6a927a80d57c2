"""The server's one route table: deny by default, authenticate before the body is read.

An outermost ASGI middleware in front of every route the server exposes (Adlaan's, the LangGraph
API's, the development server's own): a request reaches a route only if

- its path is not *blocked* (the development server's test and deployment routes, reachable
  by nobody), and
- it is on the explicit public list (``PUBLIC``), or carries a live credential (resolved here,
  once, and handed to the LangGraph auth handler through the ASGI scope), or an administrator's
  for the administrators' routes (``ADMIN_PATHS``).

Only then is the body read: counted while it streams in against a size limit (a small one for the
public routes, whose caller is unknown), and a JSON body's nesting depth is checked before any
parser sees it. An exception that escapes the application becomes a JSON 500 with a request id,
never a traceback; a database that cannot be reached answers 503 with Retry-After.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
from psycopg_pool import PoolTimeout
from sqlalchemy.exc import OperationalError as SQLAlchemyOperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from server import metrics
from server.ratelimit import Exceeded, RateLimiter, client_key, user_key
from server.settings import Settings
from store.accounts import Principal
from store.repositories import audit

logger = logging.getLogger("adlaan.gate")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: (method, path) answered without credentials. docs/security.md justifies each one.
PUBLIC = frozenset(
    {
        ("GET", "/"),  # load balancers' health probe (langgraph-api's), answers {"ok": true}
        ("GET", "/ok"),  # the same, at the path langgraph-api documents
        ("GET", "/adlaan/health"),  # liveness and database reachability, no data
        ("POST", "/auth/login"),  # how a person gets a credential
        ("GET", "/openapi.json"),  # the API's description: public source, no data
        ("GET", "/docs"),  # the same description, rendered
    }
)
#: Paths only an administrator reaches (server-wide figures, the route table itself).
ADMIN_PATHS = frozenset({"/metrics", "/adlaan/routes"})
#: The development server's test routes (wipe everything, read any thread) and its deployment
#: routes (run a subprocess): reachable by nobody, whatever the credential.
BLOCKED = re.compile(r"^/(?:internal|deploy)(?:/|$)")

#: The principal the gate resolved, for the LangGraph auth handler and the routes.
PRINCIPAL_KEY = "adlaan.principal"
DATABASE_DOWN = "the database is unavailable right now; nothing was done, retry shortly"
RETRY_AFTER_SECONDS = 5
AUTH_REQUIRED = (
    "authentication required: send 'Authorization: Bearer <token>' with an API key or the "
    "access_token from POST /auth/login"
)
#: Distinct refused-request audit entries a process writes per minute; beyond it they are
#: counted in the log only, so a flood from many addresses cannot grow the audit table.
DENIED_AUDIT_PER_MINUTE = 60
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


#: Who may call a route.
Access = Literal["public", "user", "admin", "blocked"]


def access_of(method: str, path: str) -> Access:
    """``blocked``, ``public``, ``admin`` or ``user``: who may call ``method path``."""
    if BLOCKED.match(path):
        return "blocked"
    if (("GET" if method == "HEAD" else method), path) in PUBLIC:
        return "public"
    if path in ADMIN_PATHS:
        return "admin"
    return "user"


def bearer_token(headers: dict[bytes, bytes]) -> str | None:
    """The credential of a request: ``Authorization: Bearer …`` or ``X-Api-Key: …``."""
    raw = headers.get(b"authorization") or b""
    value = raw.decode("latin-1").strip()
    if value:
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else value
    key = (headers.get(b"x-api-key") or b"").decode("latin-1").strip()
    return key or None


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether a JSON text nests arrays/objects deeper than ``limit`` (strings skipped).

    Runs before any parser: Python's parser raises RecursionError (a 500) on deep input."""
    depth = 0
    for token in _JSON_STRUCTURE.finditer(body):
        char = token.group()
        if char in (b"{", b"["):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"}", b"]"):
            depth -= 1
    return False


# A string literal (skipped as a whole, escapes included) or one bracket.
_JSON_STRUCTURE = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Refused(Exception):
    """A request the gate answers itself."""

    def __init__(
        self,
        status: int,
        detail: str,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}
        #: the JSON answered, when more than ``{"detail": ...}``
        self.body = body


class RateLimited(Refused):
    """429: the caller has made more requests in the window than its limit allows."""

    def __init__(self, exceeded: Exceeded) -> None:
        super().__init__(
            429, exceeded.detail, {"Retry-After": str(exceeded.retry_after)}, exceeded.body()
        )
        self.exceeded = exceeded


@dataclass
class Gate:
    """Pure ASGI middleware; see the module docstring."""

    app: ASGIApp
    settings: Callable[[], Settings]
    #: resolves a token to a principal with the app's pool (None: unknown, revoked, expired)
    resolve: Callable[[str], Awaitable[Principal | None]]
    #: the app's pool, for auditing refused requests (None while starting)
    pool: Callable[[], Any]
    #: the principal Studio's header stands for when STUDIO_TRUST_LOCAL is on
    studio: Callable[[], Principal | None] = lambda: None

    #: the request rate limit (server/ratelimit.py); None: built from the settings
    limiter: RateLimiter | None = None

    def __post_init__(self) -> None:
        self._denied_minute = 0
        self._denied_keys: set[str] = set()
        self._limiter = self.limiter or RateLimiter(self.settings())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        root = scope.get("root_path") or ""
        if root == "/noauth" or root.startswith("/noauth/"):
            # langgraph-api's in-process SDK transport (a client cannot set root_path)
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept"):
                started = True
            await send(message)

        try:
            receive = await self._admit(scope, receive)
            await self.app(scope, receive, tracking_send)
        except Refused as refusal:
            if not started:
                await _answer(
                    scope, send, refusal.status, refusal.detail, refusal.headers, refusal.body
                )
        # adlaan serve's runtime reaches PostgreSQL through SQLAlchemy (asyncpg): its failures too.
        except (
            psycopg.OperationalError,
            PoolTimeout,
            SQLAlchemyOperationalError,
            SQLAlchemyTimeout,
        ):
            logger.warning("database unreachable while serving %s", scope.get("path"))
            if not started:
                await _answer(
                    scope,
                    send,
                    503,
                    DATABASE_DOWN,
                    {"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
        except Exception:
            request_id = str(uuid.uuid4())
            logger.exception("unhandled error (request %s)", request_id)
            if not started:
                await _answer(
                    scope, send, 500, f"internal error (request {request_id}); nothing to retry"
                )

    async def _admit(self, scope: Scope, receive: Receive) -> Receive:
        """Decide whether the request may go on; return the ``receive`` the app gets."""
        method = scope.get("method", "GET")
        path = scope["path"]
        access = access_of(method, path)
        # (CORS preflights never get here: the CORS middleware outside answers them.)
        headers = dict(scope.get("headers") or [])
        settings = self.settings()
        limiter = self._limiter
        counted = limiter.active and not limiter.exempt(method, path)
        principal: Principal | None = None
        token = bearer_token(headers)
        if token is None:
            if access not in ("public", "blocked"):
                principal = self._studio(scope, headers, settings)
            if counted:  # before any other work for a caller without a credential
                await self._count(scope, principal)
        # an address over its limit: refused before its credential is looked up
        elif counted and (exceeded := limiter.refused_already("client", client_key(scope))):
            await self._rate_limited(scope, None, exceeded)
        if access == "blocked":
            raise Refused(404, "Not Found")
        if token is not None:
            principal = await self.resolve(token)
            if counted:  # the user's count; a dead credential counts for its address
                await self._count(scope, principal)
            if principal is None and access != "public":
                await self._deny(scope, "invalid, expired or revoked credentials")
                raise Refused(401, "invalid, expired or revoked credentials")
        elif access != "public" and principal is None:
            await self._deny(scope, "no credentials")
            raise Refused(401, AUTH_REQUIRED)
        if access == "admin" and not (principal and principal.is_admin):
            metrics.auth_denied("not an administrator")
            raise Refused(403, "this route is for administrators")
        scope[PRINCIPAL_KEY] = principal
        if scope["type"] != "http" or method not in _BODY_METHODS:
            return receive
        limit = settings.api_max_body_bytes if principal else settings.public_max_body_bytes
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                raise Refused(400, "Content-Length is not a number")
            if int(declared) > limit:
                raise Refused(413, f"request body is larger than {limit} bytes")
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type in (b"", b"application/json") or content_type.endswith(b"+json"):
            body = await read_body(receive, limit)
            if json_depth_exceeds(body, settings.json_max_depth):
                raise Refused(400, f"JSON body nests deeper than {settings.json_max_depth} levels")
            return replay(body, receive)
        return _counting(receive, limit)

    async def _count(self, scope: Scope, principal: Principal | None) -> None:
        """Count the request for its user, or for its client address without one (429 past
        the limit)."""
        if principal is not None:
            exceeded = await self._limiter.count("user", user_key(principal.user_id))
        else:
            exceeded = await self._limiter.count("client", client_key(scope))
        if exceeded is not None:
            await self._rate_limited(scope, principal, exceeded)

    async def _rate_limited(
        self, scope: Scope, principal: Principal | None, exceeded: Exceeded
    ) -> None:
        """Refuse with 429, audited once per key, process and minute (``access.rate_limited``),
        and counted (``adlaan_requests_rate_limited_total``)."""
        metrics.rate_limited(exceeded.scope)
        key = user_key(principal.user_id) if principal else client_key(scope)
        await self._audit_once(
            f"access.rate_limited:{key}",
            principal.user_id if principal else None,
            "access.rate_limited",
            scope,
            limit=exceeded.limit,
            window_seconds=exceeded.window_seconds,
            scope=exceeded.scope,
            key=key,
        )
        raise RateLimited(exceeded)

    def _studio(
        self, scope: Scope, headers: dict[bytes, bytes], settings: Settings
    ) -> Principal | None:
        """Studio's header alone grants nothing, unless STUDIO_TRUST_LOCAL is on and both ends of
        the connection are loopback (see docs/security.md)."""
        if not settings.studio_trust_local or headers.get(b"x-auth-scheme") != b"langsmith":
            return None
        client = (scope.get("client") or (None,))[0]
        server = (scope.get("server") or (None,))[0]
        if not (is_loopback(client) and is_loopback(server)):
            return None
        return self.studio()

    async def _deny(self, scope: Scope, reason: str) -> None:
        """Audit a request refused for its credentials: one entry per client address, reason
        and minute, and at most DENIED_AUDIT_PER_MINUTE entries a minute in all."""
        metrics.auth_denied(reason)
        client = (scope.get("client") or ("unknown",))[0]
        await self._audit_once(
            f"auth.denied:{client}:{reason}", None, "auth.denied", scope, reason=reason
        )

    async def _audit_once(
        self, what: str, actor: str | None, action: str, request: Scope, **details: Any
    ) -> None:
        """One audit entry per ``what`` and minute, and at most DENIED_AUDIT_PER_MINUTE such
        entries a minute in all (refusals of every kind together)."""
        client = (request.get("client") or ("unknown",))[0]
        minute = int(time.time() // 60)
        if minute != self._denied_minute:
            self._denied_minute, self._denied_keys = minute, set()
        key = f"{what}:{minute}"[:300]
        if key in self._denied_keys:
            return
        if len(self._denied_keys) >= DENIED_AUDIT_PER_MINUTE:
            if len(self._denied_keys) == DENIED_AUDIT_PER_MINUTE:
                logger.warning("more refused requests this minute than are audited")
                self._denied_keys.add("")  # warn once a minute
            return
        self._denied_keys.add(key)
        pool = self.pool()
        if pool is None:
            return
        try:
            async with pool.connection() as conn:
                await audit.record(
                    conn,
                    actor,
                    action,
                    request.get("path", "")[:255],
                    dedupe_key=key,
                    method=request.get("method", "GET"),
                    client=client,
                    **details,
                )
        except Exception:  # auditing must not turn a refusal into a 500
            logger.exception("could not audit a denied request")


async def read_body(receive: Receive, limit: int | None = None) -> bytes:
    """The whole body (413 past ``limit`` bytes, counted as it arrives)."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        seen += len(chunk)
        if limit is not None and seen > limit:
            raise Refused(413, f"request body is larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app ``body`` (already read) first."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise Refused(413, f"request body is larger than {limit} bytes")
        return message

    return counted


async def _answer(
    scope: Scope,
    send: Send,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> None:
    if scope["type"] == "websocket":
        # before the handshake is accepted, a close is answered as HTTP 403 by the server
        await send({"type": "websocket.close", "code": 4000 + status, "reason": detail[:120]})
        return
    payload = json.dumps(body or {"detail": detail}).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if status == 401:
        raw_headers.append((b"www-authenticate", b'Bearer realm="adlaan"'))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})

"""The seed's Python API: ``Agent(use_checkpointing=True).run(message, thread_id=...)``.

A convenience for scripts and notebooks over the same PostgreSQL (and the same threads) that the
LangGraph server uses; the server and the SDK remain the main interface.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from graphs.drafter.context import Context
from graphs.drafter.graph import builder
from server.settings import get_settings
from store import crypto
from store.db import DictPool, connection_kwargs, libpq_url, make_async_pool


@dataclass
class Reply:
    """What one turn produced: the assistant's text, and where it lives."""

    text: str
    thread_id: str
    checkpoint_id: str | None
    document: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


def _reply(values: dict[str, Any], config: dict[str, Any]) -> Reply:
    messages: list[BaseMessage] = values.get("messages", [])
    configurable = config.get("configurable", {})
    return Reply(
        text=messages[-1].text if messages else "",
        thread_id=configurable["thread_id"],
        checkpoint_id=configurable.get("checkpoint_id"),
        document=dict(values.get("document") or {}),
    )


class Agent:
    """The drafter graph with persistent threads.

    ``use_checkpointing=True`` (the default) keeps every thread in the configured PostgreSQL;
    ``False`` keeps them in this process's memory only, and says so by its name.
    """

    def __init__(
        self,
        use_checkpointing: bool = True,
        *,
        database_url: str | None = None,
        context: Context | None = None,
    ) -> None:
        self.use_checkpointing = use_checkpointing
        self._url = database_url
        self.context = context or Context()
        self._pool: ConnectionPool[Connection[DictRow]] | None = None
        self._apool: DictPool | None = None
        self._memory = None if use_checkpointing else InMemorySaver()

    def _database_url(self) -> str:
        if self._url is None:
            self._url = get_settings().database_url_and_source()[0]
        return self._url

    def _graph(self):
        if self._memory is not None:
            return builder.compile(checkpointer=self._memory)
        if self._pool is None:
            self._pool = ConnectionPool(
                libpq_url(self._database_url()),
                connection_class=Connection[DictRow],
                max_size=4,
                kwargs=connection_kwargs(),
                check=ConnectionPool.check_connection,
                open=True,
            )
        return builder.compile(checkpointer=PostgresSaver(self._pool, **self._serde()))

    async def _agraph(self):
        if self._memory is not None:
            return builder.compile(checkpointer=self._memory)
        if self._apool is None:
            self._apool = make_async_pool(self._database_url(), max_size=4, name="adlaan-agent")
            await self._apool.open(wait=True)
        return builder.compile(checkpointer=AsyncPostgresSaver(self._apool, **self._serde()))

    @staticmethod
    def _serde() -> dict[str, Any]:
        """The encrypted serializer when ADLAAN_ENCRYPTION_KEY is set (as the server's saver)."""
        return crypto.saver_kwargs(get_settings().keyring())

    @staticmethod
    def _config(thread_id: str | None) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id or str(uuid.uuid4())}}

    def run(self, message: str, thread_id: str | None = None) -> Reply:
        """Send one user message on ``thread_id`` (a new thread when omitted); return the reply."""
        graph, config = self._graph(), self._config(thread_id)
        values = graph.invoke(
            {"messages": [{"role": "user", "content": message}]}, config, context=self.context
        )
        return _reply(values, graph.get_state(config).config)

    async def arun(self, message: str, thread_id: str | None = None) -> Reply:
        """The async twin of ``run``."""
        graph, config = await self._agraph(), self._config(thread_id)
        values = await graph.ainvoke(
            {"messages": [{"role": "user", "content": message}]}, config, context=self.context
        )
        return _reply(values, (await graph.aget_state(config)).config)

    async def aget_history(self, thread_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """The thread's newest ``limit`` checkpoints, newest first, each with its messages."""
        graph = await self._agraph()
        history = []
        async for snapshot in graph.aget_state_history(
            {"configurable": {"thread_id": thread_id}}, limit=limit
        ):
            history.append(
                {
                    "checkpoint_id": snapshot.config["configurable"]["checkpoint_id"],
                    "parent_checkpoint_id": (snapshot.parent_config or {})
                    .get("configurable", {})
                    .get("checkpoint_id"),
                    "created_at": snapshot.created_at,
                    "step": snapshot.metadata.get("step") if snapshot.metadata else None,
                    "messages": snapshot.values.get("messages", []),
                    "document": snapshot.values.get("document"),
                }
            )
        return history

    def close(self) -> None:
        """Close the sync pool (the async one closes with ``aclose``)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    async def aclose(self) -> None:
        """Close both pools."""
        self.close()
        if self._apool is not None:
            await self._apool.close()
            self._apool = None

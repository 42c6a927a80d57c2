"""A two-step graph whose second step takes a while: a run that can be cancelled mid-way."""

from __future__ import annotations

import asyncio

from langchain_core.messages import AIMessage
from langgraph.graph import START, MessagesState, StateGraph


async def first(state: MessagesState) -> dict:
    return {"messages": [AIMessage("first step done")]}


async def second(state: MessagesState) -> dict:
    await asyncio.sleep(4)
    return {"messages": [AIMessage("second step done")]}


builder = StateGraph(MessagesState)
builder.add_node("first", first)
builder.add_node("second", second)
builder.add_edge(START, "first")
builder.add_edge("first", "second")
graph = builder.compile(name="slow")

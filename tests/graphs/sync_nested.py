"""A sync node that invokes a compiled subgraph: the subgraph reads the server's checkpointer
through its *sync* methods from a worker thread, as many users' graphs do."""

from __future__ import annotations

from langchain_core.messages import AIMessage
from langgraph.graph import START, MessagesState, StateGraph


def _echo(state: MessagesState) -> dict:
    return {"messages": [AIMessage(f"subgraph saw {len(state['messages'])} messages")]}


_sub = StateGraph(MessagesState)
_sub.add_node("echo", _echo)
_sub.add_edge(START, "echo")
subgraph = _sub.compile(name="echo_subgraph")


def call_subgraph(state: MessagesState) -> dict:
    """Sync node: runs in a worker thread under the server."""
    result = subgraph.invoke(state)
    return {"messages": result["messages"][len(state["messages"]) :]}


def after(state: MessagesState) -> dict:
    return {"messages": [AIMessage(f"sync node done, {len(state['messages'])} messages")]}


builder = StateGraph(MessagesState)
builder.add_node("call_subgraph", call_subgraph)
builder.add_node("after", after)
builder.add_edge(START, "call_subgraph")
builder.add_edge("call_subgraph", "after")
graph = builder.compile(name="sync_nested")

"""The ``drafter`` graph: a tool-calling agent over a structured document (see docs/drafter.md).

``agent`` asks a chat model (the configured one, or the offline model) what to do with the
conversation; its tool calls go to ``tools``, which runs them on the run's working draft and
answers each with a ToolMessage; the loop goes on until the model answers without tool calls;
then ``publish`` renders the document and bumps its version once, if the body changed.

It asks rather than guesses: a question is the ``ask_user`` tool, which stops the run with
``interrupt`` (a ``Question``) until it is resumed with ``Command(resume=answer)``. A body or a
clause edited by hand (``update_state``) stays the base of the next run.

No checkpointer or store is chosen here: the LangGraph server injects its own, and tests
compile ``builder`` with theirs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Literal, cast

from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime, get_runtime
from langgraph.types import interrupt

from graphs.drafter import library as lib
from graphs.drafter.context import Context
from graphs.drafter.document import render
from graphs.drafter.model import chat_model
from graphs.drafter.offline import OfflineChatModel
from graphs.drafter.prompts import SYSTEM
from graphs.drafter.state import InputState, State
from graphs.drafter.tools import EDITED_BODY, KEPT, Draft, answer_text, run_tool, schemas

logger = logging.getLogger(__name__)

#: Model calls in one run before the offline model takes over to finish it (a model that keeps
#: calling tools must not loop until the recursion limit).
MAX_ROUNDS = 8


def latest_user_text(messages: list[AnyMessage]) -> str:
    """The text of the newest human message: a string, or its text blocks joined (images and
    other blocks are ignored); empty when there is none."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return str(message.text)
    return ""


def _since_human(messages: list[AnyMessage]) -> list[AnyMessage]:
    start = max((n for n, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    return messages[start + 1 :]


def summary(draft: Draft) -> dict[str, Any]:
    """What the model is told about the draft: its type, version, terms and clauses."""
    return {
        "doc_type": draft.terms.get("doc_type"),
        "nda_kind": draft.terms.get("nda_kind"),
        "version": draft.document.get("version", 0),
        "governing_law": draft.terms.get("governing_law"),
        "terms": draft.terms,
        "clauses": [
            {"id": c["id"], "heading": c["heading"], "custom": bool(c.get("custom"))}
            for c in draft.clauses
        ],
    }


def _prepare(state: State, context: Context) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """The run's ``turn`` (reset when a new message starts a run), the draft summary, and
    whether the configured model may be asked."""
    messages = state.get("messages", [])
    start = bool(messages) and isinstance(messages[-1], HumanMessage)
    turn: dict[str, Any] = {} if start else dict(state.get("turn") or {})
    draft = Draft.of(cast(State, {**state, "turn": turn or None}), context)
    rounds = sum(isinstance(m, AIMessage) for m in _since_human(messages))
    use_model = bool(context.llm_model) and "fallback" not in turn and rounds < MAX_ROUNDS
    return turn, summary(draft), use_model


def _prompt(draft: dict[str, Any], messages: list[AnyMessage]) -> list[BaseMessage]:
    types = {
        key: {
            "title": doc.title,
            "optional_clauses": list(doc.optional_clauses),
            "term_fields": dict(doc.term_fields),
        }
        for key, doc in lib.DOC_TYPES.items()
    }
    system = SYSTEM.format(
        draft=json.dumps(draft, ensure_ascii=False),
        doc_types=json.dumps(types, ensure_ascii=False),
    )
    return [SystemMessage(system), *messages]


def _failed(context: Context, error: BaseException) -> str:
    # The message text never goes to the log: only the model and the kind of failure.
    logger.warning("chat model %s failed: %s", context.llm_model, type(error).__name__)
    return (
        f"(The model {context.llm_model} could not be used ({type(error).__name__}), so the "
        "built-in offline model answered.)"
    )


def _result(message: BaseMessage, turn: dict[str, Any], start: bool) -> dict[str, Any]:
    update: dict[str, Any] = {"messages": [message]}
    if start or turn:
        update["turn"] = turn or None
    return update


@dataclass
class _Step:
    """One call of the agent node: what its asynchronous and synchronous forms share."""

    context: Context
    messages: list[AnyMessage]
    turn: dict[str, Any]
    draft: dict[str, Any]
    start: bool
    use_model: bool

    @classmethod
    def of(cls, state: State) -> _Step:
        context = get_runtime(Context).context or Context()
        messages = state.get("messages", [])
        turn, draft, use_model = _prepare(state, context)
        start = not state.get("turn") or bool(messages and isinstance(messages[-1], HumanMessage))
        return cls(context, messages, turn, draft, start, use_model and bool(context.llm_model))

    def model(self) -> Any:
        """The configured chat model with the tools bound (raises what its provider raises)."""
        context = self.context
        return chat_model(
            cast(str, context.llm_model),  # set whenever use_model is
            timeout=context.llm_timeout,
            max_retries=context.llm_max_retries,
        ).bind_tools(schemas())

    def prompt(self) -> list[BaseMessage]:
        return _prompt(self.draft, self.messages)

    def failed(self, error: BaseException) -> None:
        self.turn["fallback"] = _failed(self.context, error)

    def offline(self) -> OfflineChatModel:
        return OfflineChatModel(draft=self.draft, note=self.turn.get("fallback"))

    def result(self, message: BaseMessage) -> dict[str, Any]:
        return _result(message, self.turn, self.start)


async def agent_async(state: State, config: RunnableConfig) -> dict[str, Any]:
    """Ask the chat model for its next step, awaited so that cancelling the run cancels the
    call. A model that fails or exceeds ``llm_timeout`` (each of ``llm_max_retries`` + 1
    attempts) hands the run to the offline model, and the reply says so."""
    step = _Step.of(state)
    if step.use_model:
        try:
            budget = step.context.llm_timeout * (step.context.llm_max_retries + 1)
            return step.result(await asyncio.wait_for(step.model().ainvoke(step.prompt()), budget))
        except Exception as error:  # any provider failure: the offline model answers
            step.failed(error)
    return step.result(await step.offline().ainvoke(step.messages))


def agent_sync(state: State, config: RunnableConfig) -> dict[str, Any]:
    """``agent_async`` for synchronous callers (``graph.invoke``); the provider's own timeout
    bounds the call."""
    step = _Step.of(state)
    if step.use_model:
        try:
            return step.result(step.model().invoke(step.prompt()))
        except Exception as error:  # any provider failure: the offline model answers
            step.failed(error)
    return step.result(step.offline().invoke(step.messages))


def route(state: State) -> Literal["tools", "publish"]:
    """To the tools while the model calls them, else publish the draft."""
    messages = state.get("messages", [])
    last = messages[-1] if messages else None
    return "tools" if isinstance(last, AIMessage) and last.tool_calls else "publish"


def _route(values: Any) -> Literal["tools", "publish"]:
    # Typed ``Any`` so the edge adds no schema of its own to a graph over another state.
    return route(values)


def tools(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Run the model's tool calls one after the other on the run's working draft (each sees the
    changes of the one before), answering each with a ToolMessage."""
    draft = Draft.of(state, runtime.context or Context())
    last = state["messages"][-1]
    calls = last.tool_calls if isinstance(last, AIMessage) else []
    results = [run_tool(draft, call) for call in calls]
    return {
        "messages": results,
        "terms": draft.terms,
        "turn": {**(state.get("turn") or {}), **draft.turn()},
    }


def publish(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Render the run's draft as the document; its version goes up only when the body changed.
    A body edited by hand keeps the edit and gets the run's changes; when they cannot be
    placed in it, the user chooses (``edited_body``)."""
    draft = Draft.of(state, runtime.context or Context())
    if not draft.exists:
        return {"turn": None}
    document = render(draft.terms, draft.clauses)
    body, clash = draft.preview()
    update: dict[str, Any] = {"turn": None}
    if clash:
        if "overwrite" not in answer_text(interrupt(EDITED_BODY)).lower():
            update["terms"] = draft.document.get("terms") or {}
            update["messages"] = [AIMessage(KEPT)]
            return update
        body = document["body"]
    document["body"] = body
    previous = draft.document
    if previous.get("body") == body:
        return update
    document["version"] = previous.get("version", 0) + 1
    update["document"] = document
    return update


def build(
    state: type[Any] = State, input_schema: type[Any] | None = InputState
) -> StateGraph[Any, Context, Any, Any]:
    """The drafter's nodes and edges over ``state`` (``State``, or a schema with the same keys
    whose channels differ, as a benchmark's), uncompiled."""
    built = StateGraph(state, input_schema=input_schema, context_schema=Context)
    built.add_node("agent", RunnableLambda(agent_sync, afunc=agent_async, name="agent"))
    built.add_node("tools", tools, input_schema=state)
    built.add_node("publish", publish, input_schema=state)
    built.add_edge(START, "agent")
    built.add_conditional_edges("agent", _route, ["tools", "publish"])
    built.add_edge("tools", "agent")
    built.add_edge("publish", END)
    return built


builder = build()
graph = builder.compile(name="drafter")

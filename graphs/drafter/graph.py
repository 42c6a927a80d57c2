"""The ``drafter`` graph: each turn reads the user's latest message, updates the terms, re-renders
the document, and replies with what changed.

Deterministic and offline unless ``Context.llm_model`` names a chat model. No checkpointer or
store is chosen here: the LangGraph server injects its own, and tests compile ``builder`` with
theirs.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime

from graphs.drafter.context import Context
from graphs.drafter.document import render
from graphs.drafter.jurisdictions import resolve_jurisdiction
from graphs.drafter.llm import llm_update
from graphs.drafter.reply import HELP, describe_changes, not_supported, unchanged
from graphs.drafter.state import InputState, State, Terms
from graphs.drafter.terms import extract_terms, merge_terms, other_document

logger = logging.getLogger(__name__)


def latest_user_text(messages: list[AnyMessage]) -> str:
    """The text of the newest human message: a string, or its text blocks joined (images and
    other blocks are ignored); empty when there is none."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return str(message.text)
    return ""


def _read_terms(context: Context, text: str, before: Terms) -> tuple[Terms, str | None]:
    """The terms after ``text``, and a note for the reply when the configured model failed and
    the offline extractor was used instead."""
    if context.llm_model and text.strip():
        try:
            return merge_terms(before, llm_update(context.llm_model, text, before)), None
        except Exception as error:  # any provider failure: the offline extractor still answers
            logger.warning("LLM extractor %s failed: %r", context.llm_model, error)
            note = (
                f"(The model {context.llm_model} could not be used ({type(error).__name__}), "
                "so I read your message with the built-in extractor.)"
            )
            return extract_terms(text, before), note
    return extract_terms(text, before), None


def draft(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Update the terms from the latest user message and rebuild the document.

    The version goes up only when the rendered body changes. Never raises on odd input: a
    message with no usable text gets a reply saying what the drafter can do.
    """
    context = runtime.context or Context()
    text = latest_user_text(state.get("messages", []))
    before: Terms = state.get("terms") or {}
    previous = state.get("document") or {}
    if document_kind := other_document(text):
        return {"messages": [AIMessage(not_supported(document_kind))]}

    after, note = _read_terms(context, text, before)
    notes = [note] if note else []
    if "doc_type" not in after:
        return {"messages": [AIMessage(" ".join([HELP, *notes]))]}
    defaulted_law = False
    if "governing_law" not in after and (
        code := resolve_jurisdiction(context.default_jurisdiction)
    ):
        after = {**after, "governing_law": code}
        defaulted_law = True

    document = render(after)
    if previous and document["body"] == previous.get("body"):
        reply = unchanged(previous.get("version", 0))
        return {"messages": [AIMessage(" ".join([reply, *notes]))]}
    document["version"] = previous.get("version", 0) + 1
    reply = describe_changes(
        before,
        after,
        version=document["version"],
        first=not previous,
        defaulted_law=defaulted_law,
    )
    return {
        "messages": [AIMessage(" ".join([reply, *notes]))],
        "terms": after,
        "document": document,
    }


builder = StateGraph(State, input_schema=InputState, context_schema=Context)
builder.add_node("draft", draft)
builder.add_edge(START, "draft")

graph = builder.compile(name="drafter")

"""The ``drafter`` graph: each turn reads the user's latest message, updates the terms, re-renders
the document, and replies with what changed (see docs/drafter.md).

It asks rather than guesses: an ambiguous request stops the run with ``interrupt`` (a
``Question``), and the run resumes with ``Command(resume=answer)``. A body edited by hand
(``update_state``) stays the base of the next turn.

Deterministic and offline unless ``Context.llm_model`` names a chat model. No checkpointer or
store is chosen here: the LangGraph server injects its own, and tests compile ``builder`` with
theirs.
"""

from __future__ import annotations

import json
import logging
from copy import deepcopy
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from graphs.drafter.context import Context
from graphs.drafter.document import render
from graphs.drafter.edits import carry_over
from graphs.drafter.jurisdictions import resolve_jurisdiction
from graphs.drafter.llm import llm_update
from graphs.drafter.reply import HELP, describe_changes, not_supported, unchanged
from graphs.drafter.state import Document, InputState, State, Terms
from graphs.drafter.terms import (
    Question,
    find_questions,
    find_unsupported,
    merge_terms,
    other_document,
    read_term,
    read_update,
)

logger = logging.getLogger(__name__)


def latest_user_text(messages: list[AnyMessage]) -> str:
    """The text of the newest human message: a string, or its text blocks joined (images and
    other blocks are ignored); empty when there is none."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return str(message.text)
    return ""


def _read_update(context: Context, text: str, before: Terms) -> tuple[dict[str, Any], list[str]]:
    """What ``text`` sets (unvalidated, for ``merge_terms``), and a note for the reply when the
    configured model failed and the offline extractor was used instead."""
    if context.llm_model and text.strip():
        try:
            update = llm_update(context.llm_model, text, before)
            if find_unsupported(text) and read_term(text) == (None, None):
                # "survives 5 years": a model may read the survival period as the term
                update.pop("term_months", None)
            return update, []
        except Exception as error:  # any provider failure: the offline extractor still answers
            logger.warning("LLM extractor %s failed: %r", context.llm_model, error)
            note = (
                f"(The model {context.llm_model} could not be used ({type(error).__name__}), "
                "so I read your message with the built-in extractor.)"
            )
            return dict(read_update(text)), [note]
    return dict(read_update(text)), []


def _answer_text(answer: Any) -> str:
    """How a resume value reads in the transcript: a string as is, anything else as JSON."""
    return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)


def _answered_value(question: Question, answer: Any) -> Any:
    """The value ``answer`` (a resume value: free text, or ``{field: value}``) gives the field
    ``question`` asks about, or None when it gives none."""
    field = question["field"]
    if isinstance(answer, dict):
        answer = answer.get(field, answer.get("answer"))
    if field == "governing_law":
        return resolve_jurisdiction(answer) if isinstance(answer, str) else None
    if isinstance(answer, int) and not isinstance(answer, bool):
        return answer if 1 <= answer <= 1200 else None
    return read_term(answer)[0] if isinstance(answer, str) else None


_LABELS = {"governing_law": "a governing law", "term_months": "a valid term"}


def _ask(questions: list[Question], update: dict[str, Any]) -> tuple[list[AnyMessage], list[str]]:
    """Ask each question (``interrupt``: the run stops until resumed with the answer) and put
    each answer in ``update``; the questions and answers for the transcript, and a note for each
    answer that settled nothing."""
    transcript: list[AnyMessage] = []
    notes: list[str] = []
    for question in questions:
        update.pop(question["field"], None)
        answer = interrupt(question)
        transcript += [AIMessage(question["question"]), HumanMessage(_answer_text(answer))]
        if (value := _answered_value(question, answer)) is None:
            notes.append(
                f"I could not read {_LABELS[question['field']]} in your answer, so it is unchanged."
            )
        else:
            update[question["field"]] = value
    return transcript, notes


OVERWRITE = ("keep my edits", "overwrite")


def _edited_body(
    previous: Document, base: Terms, after: Terms
) -> tuple[str | None, list[str], bool]:
    """The next body when the stored one was edited by hand (it differs from the rendering of
    the terms it was built from), else None: the edit with this turn's changes carried over,
    or, when a change falls in edited text, what the user chose (``interrupt``); a note for the
    reply; and whether the turn's changes were left out to keep the edit."""
    body = previous.get("body")
    old = render(base)["body"]
    if not body or body == old:
        return None, [], False
    new = render(after)["body"]
    if (carried := carry_over(body, old, new)) is not None:
        note = "Your edits to the text were kept." if carried != body else None
        return carried, [note] if note else [], False
    answer = interrupt(
        {
            "field": "edited_body",
            "question": "You edited the text this change would rewrite. Keep your edits (this "
            "change is not made) or overwrite them with the regenerated draft?",
            "options": list(OVERWRITE),
        }
    )
    if "overwrite" in _answer_text(answer).lower():
        return new, ["Your edits were overwritten with the regenerated draft, as you chose."], False
    return body, ["Your edits were kept, so this change was not made."], True


def draft(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Update the terms from the latest user message and rebuild the document.

    Asks (``interrupt``) instead of guessing: two governing laws, a term that cannot be one, a
    change that would overwrite a hand edit. Names every request it does not carry out. A body
    edited by hand stays the base of the draft. The version goes up only when the body changes.
    Never raises on odd input: a message with no usable text gets a reply saying what the
    drafter can do.
    """
    context = runtime.context or Context()
    text = latest_user_text(state.get("messages", []))
    before: Terms = state.get("terms") or {}
    previous: Document = state.get("document") or {}
    if document_kind := other_document(text):
        return {"messages": [AIMessage(not_supported(document_kind))]}

    update, notes = _read_update(context, text, before)
    transcript, answered = _ask(find_questions(text), update)
    notes = [*find_unsupported(text), *answered, *notes]
    after = merge_terms(before, update)
    if "doc_type" not in after:
        return {"messages": [*transcript, AIMessage(" ".join([HELP, *notes]))]}
    defaulted_law = False
    if "governing_law" not in after and (
        code := resolve_jurisdiction(context.default_jurisdiction)
    ):
        after = {**after, "governing_law": code}
        defaulted_law = True

    document = render(after)
    body, edit_notes, kept = _edited_body(previous, previous.get("terms") or before, after)
    if body is not None:
        document["body"] = body
        notes = [*edit_notes, *notes]
    if kept:
        after, document["terms"] = before, deepcopy(before)
    if previous and document["body"] == previous.get("body"):
        reply = unchanged(previous.get("version", 0), explained=bool(notes))
        return {"messages": [*transcript, AIMessage(" ".join([reply, *notes]))]}
    document["version"] = previous.get("version", 0) + 1
    reply = describe_changes(
        before,
        after,
        version=document["version"],
        first=not previous,
        defaulted_law=defaulted_law,
    )
    return {
        "messages": [*transcript, AIMessage(" ".join([reply, *notes]))],
        "terms": after,
        "document": document,
    }


builder = StateGraph(State, input_schema=InputState, context_schema=Context)
builder.add_node("draft", draft)
builder.add_edge(START, "draft")

graph = builder.compile(name="drafter")

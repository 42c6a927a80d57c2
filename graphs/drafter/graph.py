"""The `drafter` graph: each turn reads the user's message, updates the terms, rebuilds the
document, and replies with what changed. Deterministic and offline unless ``llm_model`` is set.

No checkpointer or store is chosen here: the server injects them (tests compile ``builder``).
"""

from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime

from graphs.drafter.context import Context
from graphs.drafter.document import describe_term, render
from graphs.drafter.jurisdictions import BY_CODE
from graphs.drafter.state import InputState, State, Terms
from graphs.drafter.terms import extract_terms

HELP = (
    'I draft non-disclosure agreements. Tell me what you need, for example: "I need to draft an '
    'NDA", "make it one-way", "between Acme Corp and Beta LLC", "for California '
    'jurisdiction" (any US state or DC), "add a 2-year term".'
)


def latest_user_text(messages: list[AnyMessage]) -> str:
    """The text of the newest human message (text blocks joined; other content ignored)."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text if isinstance(message.text, str) else str(message.text)
    return ""


def llm_terms(model: str, text: str, current: Terms) -> Terms:
    """Terms extracted by an LLM with structured output (only when ``llm_model`` is set)."""
    import json
    from typing import Literal

    from langchain.chat_models import init_chat_model  # optional dependency: extra "llm"
    from pydantic import BaseModel

    from graphs.drafter.prompts import EXTRACT_TERMS

    class TermsUpdate(BaseModel):
        doc_type: Literal["nda"] | None = None
        nda_kind: Literal["mutual", "one_way"] | None = None
        parties: list[str] | None = None
        governing_law: str | None = None
        term_months: int | None = None

    extractor = init_chat_model(model).with_structured_output(TermsUpdate)
    update = extractor.invoke(
        [("system", EXTRACT_TERMS.format(current=json.dumps(current))), ("user", text)]
    )
    terms: Terms = dict(current)  # type: ignore[assignment]
    for key, value in update.model_dump(exclude_none=True).items():
        if key == "governing_law" and value.upper() not in BY_CODE:
            continue
        terms[key] = value.upper() if key == "governing_law" else value  # type: ignore[literal-required]
    if terms != current:
        terms.setdefault("doc_type", "nda")
        terms.setdefault("nda_kind", "mutual")
    return terms


def describe_changes(before: Terms, after: Terms, version: int, first: bool) -> str:
    """One reply sentence per change, in the order a lawyer would read them."""
    kind = "mutual NDA" if after.get("nda_kind") == "mutual" else "one-way NDA"
    lines = []
    if first:
        lines.append(f"Drafted a {kind} (version {version}).")
    else:
        lines.append(f"Updated the {kind} to version {version}.")
    if not first and before.get("nda_kind") != after.get("nda_kind"):
        lines.append(f"It is now a {kind}.")
    if after.get("parties") and before.get("parties") != after.get("parties"):
        a, b = after["parties"]
        lines.append(f"Parties: {a} and {b}.")
    if (code := after.get("governing_law")) and before.get("governing_law") != code:
        jurisdiction = BY_CODE[code]
        lines.append(
            f"Governing law is now {jurisdiction.name}; cited the {jurisdiction.trade_secret_act} "
            f"({jurisdiction.trade_secret_citation})"
            + (
                f" and {len(jurisdiction.extras)} more {jurisdiction.name} authorit"
                f"{'y' if len(jurisdiction.extras) == 1 else 'ies'}."
                if jurisdiction.extras
                else "."
            )
        )
    if (months := after.get("term_months")) and before.get("term_months") != months:
        lines.append(f"Term set to {describe_term(months)}.")
    if first:
        lines.append(
            "It includes the Defend Trade Secrets Act immunity notice (18 U.S.C. § 1833(b))."
        )
    missing = [
        label
        for key, label in (
            ("parties", "the parties"),
            ("governing_law", "the governing law"),
            ("term_months", "the term"),
        )
        if not after.get(key)
    ]
    if missing:
        lines.append("Still open: " + ", ".join(missing) + ".")
    return " ".join(lines)


def draft(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Update the terms from the latest user message and rebuild the document."""
    context = runtime.context or Context()
    before: Terms = state.get("terms") or {}
    if not before and context.default_jurisdiction in BY_CODE:
        before = {"governing_law": context.default_jurisdiction}  # type: ignore[typeddict-item]
    text = latest_user_text(state["messages"])
    if context.llm_model:
        after = llm_terms(context.llm_model, text, before)
    else:
        after = extract_terms(text, before)

    previous = state.get("document") or {}
    if not after.get("doc_type"):
        return {"messages": [AIMessage(HELP)]}
    document = render(after)
    changed = document["body"] != previous.get("body")
    version = previous.get("version", 0) + (1 if changed else 0)
    document["version"] = version
    if not changed:
        reply = f"Nothing in the draft changed (still version {version}). {HELP}"
        return {"messages": [AIMessage(reply)], "terms": after}
    reply = describe_changes(before, after, version, first=not previous)
    return {"messages": [AIMessage(reply)], "terms": after, "document": document}


builder = StateGraph(State, input_schema=InputState, context_schema=Context)
builder.add_node("draft", draft)
builder.add_edge(START, "draft")
graph = builder.compile(name="drafter")

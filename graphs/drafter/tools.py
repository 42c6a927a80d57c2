"""The drafting tools: what the chat model (a provider's or the offline one) may do to the draft.

Each tool is a pydantic argument schema (what the model sees, with descriptions) and a function
over a ``Draft``, the run's working copy of the terms and clauses. A tool validates its arguments
(``merge_terms`` for terms, the clause library for clauses) and returns a sentence for the model;
a bad argument is an error message back to the model, never an exception. The published document
(``state["document"]``) does not change during a run: the graph's ``publish`` step renders it
once the model has answered.

A body edited by hand stays the base of the run: a change that falls inside edited text asks the
user (``interrupt``, field ``edited_body``) whether to keep the edits or overwrite them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.messages import ToolMessage
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.types import interrupt
from pydantic import BaseModel, Field, ValidationError

from graphs.drafter import library as lib
from graphs.drafter.context import Context
from graphs.drafter.document import (
    default_clauses,
    fingerprint,
    library_clause,
    party_names,
    realign,
    render,
)
from graphs.drafter.edits import carry_over
from graphs.drafter.jurisdictions import resolve_jurisdiction
from graphs.drafter.reply import label, open_items, short_label, term_changes
from graphs.drafter.state import DocClause, Document, State, Terms
from graphs.drafter.terms import NON_COMPETE, NON_COMPETE_NOTE, Question, merge_terms

OVERWRITE = ("keep my edits", "overwrite")
EDITED_BODY: Question = {
    "field": "edited_body",
    "question": "You edited the text this change would rewrite. Keep your edits (this change is "
    "not made) or overwrite them with the regenerated draft?",
    "options": list(OVERWRITE),
}
KEPT = "Your edits were kept, so this change was not made."


class ToolError(ValueError):
    """A tool call that cannot be carried out; its message goes back to the model."""


# --- the working draft -----------------------------------------------------------------------


#: Default clauses that drafts did not have before documents kept their clauses (``clauses``):
#: an older draft rendered without them is not a hand edit, and does not gain them unasked.
NEWER_DEFAULTS = ("residuals",)


def _clauses_of_a_flat_draft(document: Document, terms: Terms) -> list[DocClause]:
    """The clauses of a draft written before documents kept them: today's defaults, without the
    ones added since when its body is the rendering of its terms without them."""
    defaults = default_clauses(terms)
    older = [c for c in defaults if c.get("id") not in NEWER_DEFAULTS]
    if len(older) < len(defaults) and document.get("body") == render(terms, older)["body"]:
        return older
    return defaults


def normalised_clauses(document: Document) -> list[DocClause]:
    """The published document's clauses as the base of a run: a clause whose text was edited by
    hand (``update_state`` on ``document.clauses``) becomes custom, so it is kept."""
    terms = document.get("terms") or {}
    if "clauses" not in document:
        return _clauses_of_a_flat_draft(document, terms) if terms.get("doc_type") else []
    clauses = [DocClause(**deepcopy(dict(c))) for c in document.get("clauses") or []]  # type: ignore[typeddict-item]
    if document.get("source") == fingerprint(document.get("clauses") or []):
        return clauses
    for clause in clauses:
        if clause.get("custom") or "id" not in clause:
            continue
        try:
            expected = library_clause(terms, clause)
        except (KeyError, ValueError):
            clause["custom"] = True
            continue
        if (clause.get("text"), clause.get("heading")) != (expected["text"], expected["heading"]):
            clause["custom"] = True
    return [c for c in clauses if c.get("id")]


@dataclass
class Draft:
    """A run's working copy: the terms and clauses the tools change, over the published
    document they started from."""

    terms: Terms
    clauses: list[DocClause]
    document: Document
    context: Context
    overwrite: bool = False
    kept: bool = False
    answers: list[Any] = field(default_factory=list)
    _base: str | None = field(default=None, repr=False)
    _edited: bool | None = field(default=None, repr=False)

    @classmethod
    def of(cls, state: State, context: Context) -> Draft:
        """The working draft of ``state``: the run's changes so far, else the document."""
        document: Document = state.get("document") or {}
        turn = state.get("turn") or {}
        clauses = turn.get("clauses")
        return cls(
            terms=deepcopy(state.get("terms") or {}),
            clauses=deepcopy(clauses) if clauses is not None else normalised_clauses(document),
            document=document,
            context=context,
            overwrite=bool(turn.get("overwrite")),
            kept=bool(turn.get("kept")),
        )

    @property
    def exists(self) -> bool:
        """Whether there is a document to work on (a type was chosen)."""
        return bool(self.terms.get("doc_type"))

    def base_body(self) -> str:
        """The rendering of the published document's own terms and clauses (computed once: the
        document does not change during a run)."""
        if self._base is None:
            terms = self.document.get("terms") or {}
            self._base = render(terms, normalised_clauses(self.document))["body"]
        return self._base

    def body_edited(self) -> bool:
        """Whether the published body was edited by hand (it is not the rendering of its terms
        and clauses, and the clauses themselves were not edited)."""
        if self._edited is None:
            body = self.document.get("body")
            clauses = self.document.get("clauses")
            self._edited = bool(
                body
                and self.document.get("terms")
                and (clauses is None or self.document.get("source") == fingerprint(clauses))
                and body != self.base_body()
            )
        return self._edited

    def preview(self) -> tuple[str, bool]:
        """The body this run would publish now, and whether it clashes with a hand edit (a
        change falls in edited text, so the user must choose)."""
        new = render(self.terms, self.clauses)["body"]
        if self.overwrite or not self.body_edited():
            return new, False
        carried = carry_over(self.document.get("body", ""), self.base_body(), new)
        return (carried, False) if carried is not None else (new, True)

    def status(self) -> dict[str, Any]:
        """What the run would publish now (the offline model's reply reads it)."""
        version = self.document.get("version", 0)
        body, _ = self.preview()
        changed = self.exists and body != self.document.get("body")
        return {
            "version": version + 1 if changed else version,
            "changed": changed,
            "first": not self.document.get("body"),
            "label": label(self.terms),
            "short": short_label(self.terms),
            "open": open_items(self.terms),
            "carried": bool(changed and not self.overwrite and self.body_edited()),
        }

    def change(self, terms: Terms, clauses: list[DocClause]) -> bool:
        """Make the change (the terms and clauses after it), asking first when it falls in text
        the user edited by hand; False when the user kept the edits (nothing changed)."""
        old = (self.terms, self.clauses)
        self.terms, self.clauses = terms, clauses
        if self.preview()[1]:
            answer = interrupt(EDITED_BODY)
            if "overwrite" in answer_text(answer).lower():
                self.overwrite = True
            else:
                self.terms, self.clauses = old
                self.kept = True
                return False
        return True

    def turn(self) -> dict[str, Any]:
        """The run's work in progress, for the state's ``turn``."""
        return {"clauses": self.clauses, "overwrite": self.overwrite, "kept": self.kept}


def answer_text(answer: Any) -> str:
    """How a resume value reads in the transcript: a string as is, anything else as JSON."""
    return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)


# --- arguments ----------------------------------------------------------------------------------


class PartyArg(BaseModel):
    """A party to the document."""

    name: str = Field(description="The party's full legal name, exactly as the user gave it.")
    kind: Literal["individual", "company"] | None = Field(
        None, description="individual (a natural person) or company; omit when not said."
    )


class CreateDocument(BaseModel):
    """Start a new document of a type (replacing the current one when the type differs)."""

    doc_type: str = Field(
        description="The document type: 'nda' or another type of the clause library."
    )
    nda_kind: Literal["mutual", "one_way"] | None = Field(
        None, description="For an NDA: mutual (both disclose) or one_way."
    )


class SetParties(BaseModel):
    """Set the parties, in the order of the document's roles (mutual NDA: Party A, Party B;
    one-way NDA: disclosing, receiving; services: Client, Provider; consulting: Company,
    Consultant)."""

    first: PartyArg | None = Field(None, description="The first party (first role).")
    second: PartyArg | None = Field(None, description="The second party (second role).")


class SetTerms(BaseModel):
    """Set or change terms of the document; omit what the user did not state."""

    governing_law: str | None = Field(
        None, description="US state or DC whose law governs: two-letter code or name."
    )
    term_months: int | None = Field(
        None, description="The agreement's duration in whole months (2 years = 24)."
    )
    effective_date: str | None = Field(None, description="Effective date, YYYY-MM-DD.")
    purpose: str | None = Field(
        None, description="What the confidential information may be used for."
    )
    survival_months: int | None = Field(
        None,
        description="How long confidentiality survives the agreement's end, in months. Never "
        "the agreement's term.",
    )
    nda_kind: Literal["mutual", "one_way"] | None = Field(
        None, description="For an NDA: mutual or one_way."
    )
    fields: dict[str, str | int | float | dict[str, str]] | None = Field(
        None,
        description="The document type's own terms (its term_fields), by name: text, a number, "
        "or for addresses {party name: address}.",
    )


class AddClause(BaseModel):
    """Add a clause from the clause library (an optional clause of this document type)."""

    clause_id: str = Field(description="The clause id, e.g. 'non_solicitation', 'residuals'.")
    params: dict[str, Any] | None = Field(
        None,
        description="The clause's parameters: non_solicitation takes months (int) and scope "
        "('employees', 'customers' or 'both').",
    )
    after: str | None = Field(None, description="Put it after this clause id (default: last).")


class ClauseRef(BaseModel):
    """A clause of the document, by id."""

    clause_id: str = Field(description="The clause id (see the document's clause list).")


class MoveClause(BaseModel):
    """Move a clause to another place."""

    clause_id: str = Field(description="The clause to move.")
    after: str | None = Field(None, description="Put it right after this clause id.")
    before: str | None = Field(None, description="Put it right before this clause id.")
    position: int | None = Field(None, description="Or its new section number, from 1.")


class RewordClause(BaseModel):
    """Replace a clause's text with new wording (it then keeps that wording)."""

    clause_id: str = Field(description="The clause to reword.")
    text: str = Field(description="The clause's complete new text, in Markdown.")
    heading: str | None = Field(None, description="A new heading, if it should change.")


class AskUser(BaseModel):
    """Ask the user a question and wait for the answer; use it instead of guessing whenever a
    request is ambiguous, contradictory or cannot be done as asked."""

    field: str = Field(
        description="What the answer decides: governing_law, term_months, survival_months, "
        "non_solicitation_scope, or another short name."
    )
    question: str = Field(description="The question, in one or two sentences.")
    options: list[str] = Field(
        default_factory=list, description="Answers to choose from (empty for free text)."
    )


# --- the tools --------------------------------------------------------------------------------


def _ensure(draft: Draft, doc_type: str = "nda") -> tuple[Terms, bool]:
    """The draft's terms with a document started (an NDA unless said) when there is none, and
    whether the default jurisdiction was applied."""
    terms = deepcopy(draft.terms)
    defaulted = False
    if not terms.get("doc_type"):
        terms = merge_terms(terms, {"doc_type": doc_type})
        default = resolve_jurisdiction(draft.context.default_jurisdiction)
        if default and "governing_law" not in terms:
            terms["governing_law"] = default
            defaulted = True
    return terms, defaulted


def _clauses_for(draft: Draft, before: Terms, after: Terms) -> list[DocClause]:
    if not draft.exists or before.get("doc_type") != after.get("doc_type"):
        return default_clauses(after)
    return realign(before, after, draft.clauses)


def _dtsa(terms: Terms) -> list[str]:
    if terms.get("doc_type") == "nda":
        return ["It includes the Defend Trade Secrets Act immunity notice (18 U.S.C. § 1833(b))."]
    return []


def create_document(draft: Draft, args: CreateDocument) -> str:
    """Start a document of ``args.doc_type``."""
    doc_type = args.doc_type.strip().lower()
    if doc_type not in lib.DOC_TYPES:
        found = lib.find_doc_type(doc_type)
        if found is None:
            raise ToolError(
                f"I can't draft a {args.doc_type} yet: the document types are "
                f"{', '.join(sorted(lib.DOC_TYPES))}."
            )
        doc_type = found
    before = draft.terms
    if draft.exists and before.get("doc_type") == doc_type:
        if args.nda_kind and args.nda_kind != before.get("nda_kind"):
            return set_terms(draft, SetTerms.model_validate({"nda_kind": args.nda_kind}))
        return f"The draft already is a {label(before)}; nothing was started."
    keep: dict[str, Any] = {
        k: v
        for k, v in before.items()
        if k in ("governing_law", "effective_date", "parties", "party_kinds")
    }
    if before.get("nda_kind") == "one_way":
        keep["parties"] = [n for n in party_names(before) if n]
    terms, defaulted = _ensure(
        Draft(terms={}, clauses=[], document={}, context=draft.context), doc_type
    )
    terms = merge_terms(terms, {**keep, "doc_type": doc_type, "nda_kind": args.nda_kind})
    if not draft.change(terms, default_clauses(terms)):
        return KEPT
    lines = []
    if before.get("doc_type"):
        lines.append(f"Started a new {label(terms)} in place of the {label(before)}.")
    lines += term_changes(before if before.get("doc_type") else {}, terms, defaulted_law=defaulted)
    return " ".join([*lines, *_dtsa(terms)]) or f"Started a {label(terms)}."


def _update(draft: Draft, update: dict[str, Any]) -> str:
    first, before = not draft.exists, draft.terms
    start, defaulted = _ensure(draft)
    after = merge_terms(start, update)
    if after == draft.terms:
        if not merge_terms({}, update):
            raise ToolError(
                "None of these values could be used (an unknown jurisdiction, a term outside 1 "
                "month to 100 years, a date that is not YYYY-MM-DD); the draft is unchanged."
            )
        return "The draft already says so; nothing changed."
    if not draft.change(after, _clauses_for(draft, before, after)):
        return KEPT
    lines = term_changes(before if not first else {}, after, defaulted_law=defaulted)
    if first:
        lines += _dtsa(after)
    return " ".join(lines) or "Nothing in the terms changed."


def set_parties(draft: Draft, args: SetParties) -> str:
    """Name the parties (and their kinds)."""
    names = [p.name.strip() if p else None for p in (args.first, args.second)]
    if not any(names):
        raise ToolError("Give at least one party's name.")
    kinds = {p.name.strip(): p.kind for p in (args.first, args.second) if p and p.kind}
    update: dict[str, Any] = {"party_kinds": kinds}
    terms = draft.terms
    if terms.get("doc_type", "nda") == "nda" and terms.get("nda_kind") == "one_way":
        update |= {"disclosing_party": names[0], "receiving_party": names[1]}
    else:
        known = [*terms.get("parties", []), None, None]
        pair = [names[0] or known[0], names[1] or known[1]]
        if not all(pair):
            update["parties"] = None
            raise ToolError(
                "Both parties are needed here (the other one is not known yet): give both."
            )
        update["parties"] = pair
    return _update(draft, update)


def set_terms(draft: Draft, args: SetTerms) -> str:
    """Change the terms."""
    update = args.model_dump(exclude_none=True)
    fields = update.pop("fields", None) or {}
    for key in ("survival_months",):  # a core term some types also list as their own
        if key in fields:
            update.setdefault(key, fields.pop(key))
    wanted = set(getattr(lib.DOC_TYPES.get(draft.terms.get("doc_type", "nda")), "term_fields", {}))
    if unknown := sorted(set(fields) - wanted):
        raise ToolError(
            f"This document has no term {', '.join(unknown)}; its own terms are "
            f"{', '.join(sorted(wanted)) or 'none'}."
        )
    if not (update or fields):
        raise ToolError("Give at least one term to set.")
    invalid = [
        key
        for key in ("term_months", "survival_months")
        if key in update and not 1 <= update[key] <= 1200
    ]
    if invalid:
        raise ToolError(
            f"{', '.join(invalid)} must be from 1 to 1200 months; ask the user what they meant."
        )
    if "governing_law" in update and not resolve_jurisdiction(update["governing_law"]):
        raise ToolError(
            f"{update['governing_law']!r} is not a US state or DC; ask the user which law."
        )
    return _update(draft, {**update, **fields})


def _resolve(draft: Draft, words: str, *, present: bool = True) -> str:
    """The clause id ``words`` names (an id, or words the library knows)."""
    ids = [c["id"] for c in draft.clauses]
    key = words.strip().lower().replace(" ", "_").replace("-", "_")
    doc_type = draft.terms.get("doc_type", "nda")
    if present:
        if key in ids:
            return key
        found = lib.find_clause_id(doc_type, words)
        if found in ids:
            return found
        raise ToolError(f"The draft has no clause {words!r}; its clauses are {', '.join(ids)}.")
    if key in lib.clause_ids(doc_type):
        return key
    return lib.find_clause_id(doc_type, words) or key


def _heading(draft: Draft, clause_id: str) -> str:
    return next((c["heading"] for c in draft.clauses if c["id"] == clause_id), clause_id)


def _section(clauses: list[DocClause], clause_id: str) -> int:
    return next(n for n, c in enumerate(clauses, 1) if c["id"] == clause_id)


def add_clause(draft: Draft, args: AddClause) -> str:
    """Add a library clause."""
    if NON_COMPETE.search(args.clause_id.replace("_", "-")):
        try:
            lib.clause(draft.terms, "non_compete")
        except KeyError:
            raise ToolError(NON_COMPETE_NOTE) from None
        except ValueError as error:
            raise ToolError(f"A non-compete is not included: {error}") from None
    if not draft.exists:
        _update(draft, {"doc_type": "nda"})
    clause_id = _resolve(draft, args.clause_id, present=False)
    if any(c["id"] == clause_id for c in draft.clauses):
        if args.params:
            return _reparam(draft, clause_id, args.params)
        raise ToolError(f"The draft already has the {clause_id!r} clause.")
    doc_type = draft.terms.get("doc_type", "nda")
    try:
        found = library_clause(draft.terms, {"id": clause_id, "params": args.params or {}})
    except KeyError:
        optional = ", ".join(lib.DOC_TYPES[doc_type].optional_clauses) or "none"
        raise ToolError(
            f"The clause library has no {args.clause_id!r} clause for this document; the clauses "
            f"that can be added are: {optional}."
        ) from None
    except ValueError as error:
        raise ToolError(f"The {args.clause_id!r} clause was not added: {error}") from None
    clauses = deepcopy(draft.clauses)
    at = len(clauses)
    if args.after:
        at = _section(clauses, _resolve(draft, args.after))
    clauses.insert(at, found)
    if not draft.change(draft.terms, clauses):
        return KEPT
    return f'Added the "{found["heading"]}" clause as section {at + 1}.'


def _reparam(draft: Draft, clause_id: str, params: Mapping[str, Any]) -> str:
    clauses = deepcopy(draft.clauses)
    n = _section(clauses, clause_id) - 1
    merged = {**(clauses[n].get("params") or {}), **params}
    try:
        clauses[n] = library_clause(draft.terms, {"id": clause_id, "params": merged})
    except (KeyError, ValueError) as error:
        raise ToolError(f"The {clause_id!r} clause was not changed: {error}") from None
    if not draft.change(draft.terms, clauses):
        return KEPT
    return f'Updated the "{clauses[n]["heading"]}" clause ({_describe(merged)}).'


def _describe(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in params.items())


def remove_clause(draft: Draft, args: ClauseRef) -> str:
    """Remove a clause."""
    clause_id = _resolve(draft, args.clause_id)
    heading = _heading(draft, clause_id)
    clauses = [c for c in draft.clauses if c["id"] != clause_id]
    if not draft.change(draft.terms, clauses):
        return KEPT
    return f'Removed the "{heading}" clause.'


def move_clause(draft: Draft, args: MoveClause) -> str:
    """Move a clause."""
    clause_id = _resolve(draft, args.clause_id)
    clauses = [c for c in draft.clauses if c["id"] != clause_id]
    moving = next(c for c in draft.clauses if c["id"] == clause_id)
    if args.after:
        at = _section(clauses, _resolve(draft, args.after))
    elif args.before:
        at = _section(clauses, _resolve(draft, args.before)) - 1
    elif args.position is not None and 1 <= args.position <= len(draft.clauses):
        at = args.position - 1
    else:
        raise ToolError(
            f"Say where: after or before a clause id, or a position from 1 to {len(draft.clauses)}."
        )
    clauses.insert(at, moving)
    if not draft.change(draft.terms, clauses):
        return KEPT
    return f'Moved the "{moving["heading"]}" clause to section {at + 1}.'


def reword_clause(draft: Draft, args: RewordClause) -> str:
    """Give a clause new wording (custom from then on)."""
    clause_id = _resolve(draft, args.clause_id)
    text = args.text.strip()
    if not text:
        raise ToolError("The new text is empty; to delete the clause, remove it.")
    clauses = deepcopy(draft.clauses)
    n = _section(clauses, clause_id) - 1
    clauses[n] = {**clauses[n], "text": text, "custom": True}
    if args.heading and args.heading.strip():
        clauses[n]["heading"] = args.heading.strip()
    if not draft.change(draft.terms, clauses):
        return KEPT
    return (
        f'Reworded the "{clauses[n]["heading"]}" clause; it keeps this wording when the terms '
        "change."
    )


def explain_clause(draft: Draft, args: ClauseRef) -> str:
    """Explain what a clause does and why."""
    clause_id = _resolve(draft, args.clause_id)
    clause = next(c for c in draft.clauses if c["id"] == clause_id)
    if clause.get("custom"):
        return f'The "{clause["heading"]}" clause has your own wording: {clause["text"]}'
    try:
        return f'The "{clause["heading"]}" clause: {lib.explain(draft.terms, clause_id)}'
    except (KeyError, ValueError) as error:
        raise ToolError(f"No explanation for {clause_id!r}: {error}") from None


def ask_user(draft: Draft, args: AskUser) -> str:
    """Ask the user (``interrupt``) and return the answer."""
    question: Question = {"field": args.field, "question": args.question, "options": args.options}
    answer = interrupt(question)
    draft.answers.append(answer)
    return answer_text(answer)


@dataclass(frozen=True)
class Tool:
    """A tool: its name, argument schema and function."""

    name: str
    schema: type[BaseModel]
    run: Callable[[Draft, Any], str]
    mutates: bool = True


TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool("create_document", CreateDocument, create_document),
        Tool("set_parties", SetParties, set_parties),
        Tool("set_terms", SetTerms, set_terms),
        Tool("add_clause", AddClause, add_clause),
        Tool("remove_clause", ClauseRef, remove_clause),
        Tool("move_clause", MoveClause, move_clause),
        Tool("reword_clause", RewordClause, reword_clause),
        Tool("explain_clause", ClauseRef, explain_clause, mutates=False),
        Tool("ask_user", AskUser, ask_user, mutates=False),
    )
}


def schemas() -> list[dict[str, Any]]:
    """The tools as OpenAI-style function schemas, for ``bind_tools``."""
    result = []
    for tool in TOOLS.values():
        spec = convert_to_openai_tool(tool.schema)
        spec["function"]["name"] = tool.name
        result.append(spec)
    return result


def run_tool(draft: Draft, call: Mapping[str, Any]) -> ToolMessage:
    """Run one tool call on ``draft`` (changing it); the ToolMessage for the model, with the
    draft's status as its artifact after a change. Never raises for bad calls: the error is the
    message (``status="error"``). ``interrupt`` (a question) propagates, as it must."""
    name, call_id = call.get("name", ""), call.get("id") or ""
    tool = TOOLS.get(name)
    if tool is None:
        content = f"There is no tool {name!r}; the tools are {', '.join(TOOLS)}."
        return ToolMessage(content, tool_call_id=call_id, name=name, status="error")
    try:
        args = tool.schema.model_validate(call.get("args") or {})
        content = tool.run(draft, args)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in error.errors()
        )
        return ToolMessage(
            f"Bad arguments for {name}: {problems}.",
            tool_call_id=call_id,
            name=name,
            status="error",
        )
    except ToolError as error:
        return ToolMessage(str(error), tool_call_id=call_id, name=name, status="error")
    artifact: dict[str, Any] = {"tool": name}
    if tool.mutates:
        artifact |= draft.status()
    if name == "ask_user":
        artifact |= {"field": args.field, "answer": draft.answers[-1]}  # type: ignore[attr-defined]
    return ToolMessage(content, tool_call_id=call_id, name=name, artifact=artifact)

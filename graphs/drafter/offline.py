"""The offline chat model: deterministic, no network, and driving the same tools an LLM would.

``OfflineChatModel`` reads the latest human message with the drafter's own readers (terms.py,
jurisdictions.py, the clause library's ``find_doc_type`` and ``find_clause_id``) and answers with
the tool calls a careful model would make: questions first (``ask_user``) wherever the message is
ambiguous, then the changes. Once the tools have run it follows up on the answers to its
questions, then replies with what the tools did (their results and the draft's status). It is a
LangChain ``BaseChatModel``: ``bind_tools`` returns it as is, and it streams its reply token by
token, so ``stream_mode="messages"`` shows tokens as with a provider's model.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from graphs.drafter import library as lib
from graphs.drafter.jurisdictions import resolve_jurisdiction
from graphs.drafter.reply import HELP, headline, not_supported, still_open
from graphs.drafter.terms import (
    NON_COMPETE,
    NON_SOLICIT,
    Question,
    duration_near,
    find_kind,
    find_questions,
    months_of,
    other_document,
    read_survival,
    read_term,
    read_update,
)

# --- reading a message ------------------------------------------------------------------------

_END = r"(?=\s*(?:[.,;!?]|\band\b|\bthen\b|$))"
_REMOVE = re.compile(
    r"\b(?:remove|delete|drop|strike|take\s+out|cut)\s+(?:the\s+|a\s+|any\s+)?"
    r"(?P<what>[\w\s'-]+?)(?P<clause>\s+(?:clause|section|provision|paragraph)s?)?" + _END,
    re.IGNORECASE,
)
_ADD = re.compile(
    r"\b(?:add|include|insert)\s+(?:an?\s+|the\s+)?(?P<what>[\w\s'-]+?)\s+"
    r"(?:clause|section|provision)s?\b",
    re.IGNORECASE,
)
_REWORD = re.compile(
    r"\b(?:reword|rewrite|replace|change)\s+(?:the\s+)?(?P<what>[\w\s'-]+?)\s+"
    r"(?:clause|section)(?:'s\s+text|\s+text)?\s+(?:to\s+read|to|with|as|so\s+it\s+reads)\s*:?\s*"
    r"(?P<text>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_MOVE = re.compile(
    r"\bmove\s+(?:the\s+)?(?P<what>[\w\s'-]+?)(?:\s+(?:clause|section))?\s+"
    r"(?P<where>after|before|to)\s+(?:the\s+)?(?P<target>[\w\s'-]+?)"
    r"(?:\s+(?:clause|section))?" + _END,
    re.IGNORECASE,
)
_EXPLAIN = re.compile(
    r"\b(?:explain|what\s+does|what\s+is|why\s+is)\s+(?:the\s+)?(?P<what>[\w\s'-]+?)\s+"
    r"(?:clause|section)\b",
    re.IGNORECASE,
)
_EMPLOYEES = re.compile(r"\b(?:employees?|staff|personnel|workers?|hire|poach)\b", re.IGNORECASE)
_CUSTOMERS = re.compile(r"\b(?:customers?|clients?)\b", re.IGNORECASE)
_BOTH = re.compile(r"\bboth\b", re.IGNORECASE)


def _call(name: str, **args: Any) -> ToolCall:
    return ToolCall(
        name=name,
        args={k: v for k, v in args.items() if v is not None},
        id=f"call_{uuid.uuid4().hex[:12]}",
        type="tool_call",
    )


def _ask(question: Question) -> ToolCall:
    return _call("ask_user", **question)


def _scope(text: str) -> str | None:
    employees, customers = bool(_EMPLOYEES.search(text)), bool(_CUSTOMERS.search(text))
    if _BOTH.search(text) or (employees and customers):
        return "both"
    return "employees" if employees else "customers" if customers else None


def _months_near(text: str, keyword: re.Match[str]) -> int | None:
    """The duration of ``keyword``'s request in months, None when none is near or it is not a
    valid one."""
    match = duration_near(text, keyword)
    months = months_of(match) if match else None
    return months if months and 1 <= months <= 1200 else None


def scope_question(governing_law: str | None) -> Question:
    """Whom a non-solicitation clause should protect; in California with the reason to care."""
    question = "Should the non-solicitation clause cover employees, customers or both?"
    if governing_law == "CA":
        question += (
            " Under California law a covenant not to solicit customers is generally void (Cal. "
            "Bus. & Prof. Code § 16600), so covering employees only is the safer choice."
        )
    return {
        "field": "non_solicitation_scope",
        "question": question,
        "options": ["employees", "customers", "both"],
    }


def _clause_calls(text: str, draft: dict[str, Any]) -> tuple[list[ToolCall], list[ToolCall]]:
    """Questions and tool calls for the clause requests in ``text``."""
    asks: list[ToolCall] = []
    calls: list[ToolCall] = []
    doc_type = draft.get("doc_type") or "nda"
    removed = [
        m["what"]
        for m in _REMOVE.finditer(text)
        if m["clause"] or lib.find_clause_id(doc_type, m["what"])
    ]
    if NON_COMPETE.search(text) and not any(NON_COMPETE.search(w) for w in removed):
        calls.append(_call("add_clause", clause_id="non_compete"))
    if (solicit := NON_SOLICIT.search(text)) and not any(NON_SOLICIT.search(w) for w in removed):
        months = _months_near(text, solicit) or 12
        scope = _scope(text)
        if scope is None:
            asks.append(_ask(scope_question(draft.get("governing_law"))))
        else:
            calls.append(
                _call(
                    "add_clause",
                    clause_id="non_solicitation",
                    params={"months": months, "scope": scope},
                )
            )
    for what in removed:
        calls.append(_call("remove_clause", clause_id=what.strip()))
    for match in _ADD.finditer(text):
        what = match["what"].strip()
        if NON_COMPETE.search(what) or NON_SOLICIT.search(what):
            continue
        calls.append(_call("add_clause", clause_id=what))
    if reword := _REWORD.search(text):
        new_text = reword["text"].strip().strip("\"'“”")
        calls.append(_call("reword_clause", clause_id=reword["what"].strip(), text=new_text))
    for match in _MOVE.finditer(text):
        target, where = match["target"].strip(), match["where"].lower()
        if where == "to":
            lowered = target.lower()
            number = re.search(r"\d+", lowered)
            if number:
                calls.append(_call("move_clause", clause_id=match["what"], position=int(number[0])))
            elif "end" in lowered or "bottom" in lowered:
                count = len(draft.get("clauses", []))
                calls.append(_call("move_clause", clause_id=match["what"], position=count))
            elif "top" in lowered or "beginning" in lowered or "start" in lowered:
                calls.append(_call("move_clause", clause_id=match["what"], position=1))
        else:
            calls.append(_call("move_clause", clause_id=match["what"].strip(), **{where: target}))
    for match in _EXPLAIN.finditer(text):
        calls.append(_call("explain_clause", clause_id=match["what"].strip()))
    return asks, calls


def plan(text: str, draft: dict[str, Any]) -> tuple[list[ToolCall], str | None]:
    """The tool calls for a new message (questions first), or a direct reply when there is
    nothing to do."""
    doc_type = lib.find_doc_type(text) if text.strip() else None
    if doc_type is None and (other := other_document(text)):
        return [], not_supported(other)
    asks = [_ask(q) for q in find_questions(text)]
    asked = {q["args"]["field"] for q in asks}
    update: dict[str, Any] = dict(read_update(text))
    update.pop("doc_type", None)
    for field in asked:
        update.pop(field, None)
    survival, invalid = read_survival(text)
    if invalid:
        asks.append(
            _ask(
                {
                    "field": "survival_months",
                    "question": f'"{invalid}" cannot be how long confidentiality survives: it '
                    "must be from one month to 100 years. How long should it survive?",
                    "options": [],
                }
            )
        )
    elif survival:
        update["survival_months"] = survival
    calls: list[ToolCall] = []
    current = draft.get("doc_type")
    kind = update.pop("nda_kind", None)
    if doc_type and doc_type != current:
        nda_kind = kind if doc_type == "nda" else None
        calls.append(_call("create_document", doc_type=doc_type, nda_kind=nda_kind))
        kind = None
    kinds = update.pop("party_kinds", {})
    roles = [update.pop("disclosing_party", None), update.pop("receiving_party", None)]
    pair = update.pop("parties", None)
    one_way_now = current and draft.get("nda_kind") == "one_way"
    if any(roles) and not kind and not one_way_now and not (doc_type and find_kind(text)):
        kind = "one_way"
    if kind:
        calls.append(_call("set_terms", nda_kind=kind))
    names = roles if any(roles) else (pair or [None, None])
    if any(names):
        calls.append(
            _call(
                "set_parties",
                **{
                    slot: {"name": name, "kind": kinds.get(name)}
                    for slot, name in zip(("first", "second"), names, strict=True)
                    if name
                },
            )
        )
    if update:
        calls.append(_call("set_terms", **update))
    law = update.get("governing_law") or draft.get("governing_law")
    clause_asks, clause_calls = _clause_calls(text, {**draft, "governing_law": law})
    calls = [*asks, *clause_asks, *calls, *clause_calls]
    return calls, None


def _answer_of(message: ToolMessage) -> tuple[str | None, Any]:
    artifact = message.artifact if isinstance(message.artifact, dict) else {}
    return artifact.get("field"), artifact.get("answer", message.content)


def answered_value(field: str, answer: Any) -> Any:
    """The value an answer (free text, or ``{field: value}``) gives ``field``, or None."""
    if isinstance(answer, dict):
        answer = answer.get(field, answer.get("answer"))
    if field == "governing_law":
        return resolve_jurisdiction(answer) if isinstance(answer, str) else None
    if field == "non_solicitation_scope":
        return _scope(answer) if isinstance(answer, str) else None
    if isinstance(answer, int) and not isinstance(answer, bool):
        return answer if 1 <= answer <= 1200 else None
    if not isinstance(answer, str):
        return None
    if field == "survival_months":
        months, _ = read_term(answer)
        return months
    return read_term(answer)[0]


_UNREADABLE = {
    "governing_law": "I could not read a governing law in your answer, so it was not changed.",
    "term_months": "I could not read a valid term in your answer, so the term was not changed.",
    "survival_months": "I could not read a valid survival period in your answer, so it was not "
    "changed.",
    "non_solicitation_scope": "I could not tell whom the non-solicitation should cover from your "
    "answer, so it was not added.",
}


def follow_up(text: str, answers: list[ToolMessage]) -> list[ToolCall]:
    """The tool calls that act on the user's answers to this turn's questions."""
    calls: list[ToolCall] = []
    for message in answers:
        field, answer = _answer_of(message)
        if field is None or (value := answered_value(field, answer)) is None:
            continue
        if field == "non_solicitation_scope":
            solicit = NON_SOLICIT.search(text)
            months = (_months_near(text, solicit) if solicit else None) or 12
            params = {"months": months, "scope": value}
            calls.append(_call("add_clause", clause_id="non_solicitation", params=params))
        elif field in ("governing_law", "term_months", "survival_months"):
            calls.append(_call("set_terms", **{field: value}))
    return calls


def final_reply(messages: list[BaseMessage], draft: dict[str, Any], note: str | None) -> str:
    """The reply once the tools ran: the draft's status, what each tool did, what is open."""
    results = [m for m in messages if isinstance(m, ToolMessage)]
    status = next(
        (
            m.artifact
            for m in reversed(results)
            if isinstance(m.artifact, dict) and "version" in m.artifact
        ),
        None,
    )
    lines: list[str] = []
    said: list[str] = []
    for message in results:
        field, answer = _answer_of(message)
        if message.name == "ask_user":
            if field in _UNREADABLE and answered_value(field, answer) is None:
                said.append(_UNREADABLE[field])
            continue
        first = status and status["first"]
        if message.name == "create_document" and first and str(message.content).startswith("St"):
            continue  # the headline says it: "Drafted a ... (version 1)."
        if isinstance(message.content, str) and message.content:
            said.append(message.content)
    if status:
        lines.append(
            headline(
                version=status["version"],
                changed=status["changed"],
                first=status["first"],
                what=status["label"],
                short=status["short"],
            )
        )
    elif draft.get("version") and not (
        results and all(m.name == "explain_clause" for m in results)
    ):
        lines.append(f"Nothing in the draft changed (still version {draft['version']}).")
    lines += said
    if status and status.get("carried"):
        lines.append("Your edits to the text were kept.")
    if status and status["changed"] and (open_ := still_open(status["open"])):
        lines.append(open_)
    if not said and not (status and status["changed"]):
        lines.append(HELP)
    if note:
        lines.append(note)
    return " ".join(dict.fromkeys(lines))


def respond(messages: Sequence[BaseMessage], draft: dict[str, Any], note: str | None) -> AIMessage:
    """The offline model's answer to ``messages``: tool calls, or the final reply."""
    start = max((n for n, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    text = str(messages[start].text) if start >= 0 else ""
    since = list(messages[start + 1 :])
    if not any(isinstance(m, ToolMessage) for m in since):
        calls, reply = plan(text, draft)
        if calls:
            return AIMessage("", tool_calls=calls)
        return AIMessage(reply or final_reply([], draft, note))
    batch: list[ToolMessage] = []
    for message in reversed(since):
        if not isinstance(message, ToolMessage):
            break
        batch.append(message)
    answers = [m for m in reversed(batch) if m.name == "ask_user"]
    if answers and (calls := follow_up(text, answers)):
        return AIMessage("", tool_calls=calls)
    return AIMessage(final_reply(since, draft, note))


_TOKENS = re.compile(r"\S+\s*|\s+")


class OfflineChatModel(BaseChatModel):
    """A deterministic chat model that drives the drafting tools from the drafter's own readers
    (see the module docstring). ``draft`` summarises the current document (type, version,
    governing law, clause ids) as the LLM's system prompt does; ``note`` is added to the final
    reply (why the configured model was not used)."""

    draft: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None

    @property
    def _llm_type(self) -> str:
        return "adlaan-offline"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineChatModel:
        """The tools are the drafter's own, which this model knows: itself."""
        return self

    def _answer(self, messages: list[BaseMessage]) -> AIMessage:
        return respond(messages, self.draft, self.note)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._answer(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop)

    def _chunks(self, messages: list[BaseMessage]) -> Iterator[ChatGenerationChunk]:
        message = self._answer(messages)
        if message.tool_calls:
            chunk = AIMessageChunk(
                content="",
                tool_call_chunks=[
                    {
                        "name": call["name"],
                        "args": json.dumps(call["args"], ensure_ascii=False),
                        "id": call["id"],
                        "index": n,
                        "type": "tool_call_chunk",
                    }
                    for n, call in enumerate(message.tool_calls)
                ],
            )
            yield ChatGenerationChunk(message=chunk)
            return
        for token in _TOKENS.findall(str(message.content)):
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in self._chunks(messages):
            if run_manager:
                run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
            yield chunk

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(messages):
            if run_manager:
                await run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
            yield chunk

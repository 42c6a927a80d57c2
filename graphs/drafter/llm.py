"""The optional LLM term extractor, used when ``Context.llm_model`` is set.

The model only reads the message: its answer goes through ``merge_terms``, the same validation the
offline extractor's output goes through, so a model can never put an unknown jurisdiction, a
negative term or a malformed date into the draft. ``langchain`` (the project's ``llm`` extra) is
imported only here and only when a model is configured.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from graphs.drafter.prompts import EXTRACT_TERMS
from graphs.drafter.state import Terms


class TermsUpdate(BaseModel):
    """The terms one message sets or changes; fields the message does not mention stay empty."""

    doc_type: Literal["nda"] | None = Field(
        None, description='"nda" when the user asks for a non-disclosure agreement.'
    )
    nda_kind: Literal["mutual", "one_way"] | None = Field(
        None, description="mutual (both parties disclose) or one_way."
    )
    parties: list[str] | None = Field(
        None, description="Both party names, when named without roles.", min_length=2, max_length=2
    )
    disclosing_party: str | None = Field(None, description="The party that discloses.")
    receiving_party: str | None = Field(None, description="The party that receives.")
    governing_law: str | None = Field(
        None, description='Two-letter code of the US state, or "DC", whose law governs.'
    )
    term_months: int | None = Field(None, description="Duration in whole months (2 years = 24).")
    effective_date: str | None = Field(None, description="Effective date as YYYY-MM-DD.")
    purpose: str | None = Field(None, description="What the information may be used for.")


@lru_cache(maxsize=8)
def _extractor(model: str) -> Any:
    from langchain.chat_models import init_chat_model  # the optional "llm" extra

    return init_chat_model(model).with_structured_output(TermsUpdate)


def llm_update(model: str, text: str, current: Terms) -> dict[str, Any]:
    """What ``text`` sets, according to ``model`` ("provider:model"), as an unvalidated update
    for ``merge_terms``. Raises whatever the model's provider raises."""
    answer = _extractor(model).invoke(
        [
            ("system", EXTRACT_TERMS.format(current=json.dumps(current, ensure_ascii=False))),
            ("user", text),
        ]
    )
    if isinstance(answer, BaseModel):
        return answer.model_dump(exclude_none=True)
    return {key: value for key, value in dict(answer).items() if value is not None}

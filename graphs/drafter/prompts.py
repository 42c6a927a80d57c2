"""The system prompt of the optional LLM term extractor (used only when ``llm_model`` is set)."""

EXTRACT_TERMS = """You read one message of a user who is drafting a non-disclosure agreement (NDA) \
with a legal-drafting assistant, and return the terms that message sets or changes.

The terms agreed so far (JSON): {current}

Return only what the latest message states or changes; leave every other field empty.
- doc_type: "nda" when the user asks for a non-disclosure, confidentiality or secrecy agreement.
- nda_kind: "mutual" (both parties disclose) or "one_way" (one party discloses, the other receives).
- parties: the two party names when the message names both without roles ("between A and B").
- disclosing_party / receiving_party: a party named in that role.
- governing_law: the US state or the District of Columbia whose law should govern, as its \
two-letter code ("CA", "NY", "DC").
- term_months: the agreement's duration in whole months ("2 years" = 24, "18 months" = 18).
- effective_date: the effective date as YYYY-MM-DD.
- purpose: what the confidential information may be used for, in the user's words.
Never guess a value the message does not give."""

"""Prompts of the optional LLM term extractor."""

EXTRACT_TERMS = """You extract the terms of a legal document a user is asking for.
The document so far has these terms (JSON): {current}
From the user's latest message, return ONLY the terms it sets or changes:
- doc_type: "nda" when they ask for a non-disclosure / confidentiality agreement;
- nda_kind: "mutual" or "one_way";
- parties: the two party names (disclosing party first for a one-way NDA);
- governing_law: the two-letter code of the US state, or "DC";
- term_months: the duration in months (2 years = 24).
Leave out anything the message does not mention."""

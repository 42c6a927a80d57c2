"""Run-time configuration of the drafter, set per assistant or per run (Studio shows each field's
description).

The environment is read here, once, when a ``Context`` is built, so that nodes depend only on
``runtime.context`` and a run's behaviour is fully described by its context.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(kw_only=True)
class Context:
    """How the drafter runs."""

    llm_model: str | None = field(
        default=None,
        metadata={
            "description": "Chat model that drives the drafting tools, as 'provider:model' for "
            "langchain's init_chat_model (e.g. 'openai:gpt-4o-mini'; needs the provider's extra, "
            "e.g. '.[openai]', and its API key), or 'package.module:factory' naming a function "
            "of your own that returns a chat model. Defaults to the LLM_MODEL environment "
            "variable; when unset, the deterministic offline model drives the same tools."
        },
    )
    llm_timeout: float = field(
        default=60.0,
        metadata={
            "description": "Seconds one call to the chat model may take (each retry gets as "
            "long); past it the offline model answers instead."
        },
    )
    llm_max_retries: int = field(
        default=2,
        metadata={
            "description": "How many times a failed call to the chat model is retried (with the "
            "provider's backoff) before the offline model answers instead."
        },
    )
    default_jurisdiction: str | None = field(
        default=None,
        metadata={
            "description": "Governing law for a new draft until the user names one: a US "
            "state's two-letter code or name, or 'DC'."
        },
    )

    def __post_init__(self) -> None:
        """Fill ``llm_model`` from ``LLM_MODEL`` when it was not given."""
        if self.llm_model is None:
            self.llm_model = os.environ.get("LLM_MODEL") or None

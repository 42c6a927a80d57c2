"""Run-time configuration of the drafter (Studio shows each field's description)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields


@dataclass(kw_only=True)
class Context:
    """How the drafter runs. Unset fields fall back to the environment variable named in their
    metadata, read once when the context is built (nodes never read the environment)."""

    llm_model: str | None = field(
        default=None,
        metadata={
            "description": "An LLM as 'provider:model' (langchain init_chat_model) to extract "
            "terms; unset, the deterministic offline extractor is used.",
            "env": "LLM_MODEL",
        },
    )
    default_jurisdiction: str | None = field(
        default=None,
        metadata={
            "description": "Two-letter code of the governing law to use until the user names one.",
            "env": "DEFAULT_JURISDICTION",
        },
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            env = f.metadata.get("env")
            if env and getattr(self, f.name) is None and os.environ.get(env):
                setattr(self, f.name, os.environ[env])

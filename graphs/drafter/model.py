"""The chat model that drives the drafting tools when ``Context.llm_model`` is set.

``provider:model`` goes through LangChain's ``init_chat_model`` (the ``llm`` extra, plus the
provider's: ``.[openai]``, ``.[anthropic]``, ``.[ollama]``) with the context's timeout and
retries. ``package.module:attribute`` (a dotted first part) names a factory of your own, called
with ``timeout=`` and ``max_retries=`` and returning a ``BaseChatModel`` (tests use it to serve a
scripted or a hanging model). ``langchain`` is imported only here and only when a provider model
is configured.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from langchain_core.language_models import BaseChatModel


def is_factory(spec: str) -> bool:
    """Whether ``spec`` names a factory of our own ("package.module:attribute")."""
    module, sep, attribute = spec.partition(":")
    return bool(sep and attribute and "." in module)


@lru_cache(maxsize=8)
def _provider_model(spec: str, timeout: float, max_retries: int) -> Any:
    from langchain.chat_models import init_chat_model  # the optional "llm" extra

    try:
        return init_chat_model(spec, timeout=timeout, max_retries=max_retries)
    except (TypeError, ValueError):
        # A provider whose model takes neither setting (the agent's own deadline still bounds
        # each call).
        return init_chat_model(spec)


def chat_model(spec: str, *, timeout: float, max_retries: int) -> BaseChatModel:
    """The chat model ``spec`` names, configured with ``timeout`` seconds a call and
    ``max_retries``. Raises whatever loading it raises (ImportError without the extra, ...)."""
    if is_factory(spec):
        module, _, attribute = spec.partition(":")
        factory = getattr(importlib.import_module(module), attribute)
        model = factory(timeout=timeout, max_retries=max_retries)
    else:
        model = _provider_model(spec, timeout, max_retries)
    if not isinstance(model, BaseChatModel):
        raise TypeError(f"{spec} is not a chat model")
    return model


chat_model.cache_clear = _provider_model.cache_clear  # type: ignore[attr-defined]

"""The legal-drafting graph served as ``drafter``: a tool-calling agent that turns a chat into a
versioned, structured document (clauses from the clause library, rendered as Markdown) with its
citations.

``graph`` is what ``langgraph.json`` serves; ``builder`` is the uncompiled graph for callers that
bring their own checkpointer (tests, scripts).
"""

from graphs.drafter.context import Context
from graphs.drafter.graph import builder, graph
from graphs.drafter.state import Document, InputState, State, Terms

__all__ = ["Context", "Document", "InputState", "State", "Terms", "builder", "graph"]

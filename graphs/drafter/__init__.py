"""The legal-drafting graph served as `drafter`."""

from graphs.drafter.context import Context
from graphs.drafter.graph import builder, graph
from graphs.drafter.state import InputState, State

__all__ = ["Context", "InputState", "State", "builder", "graph"]

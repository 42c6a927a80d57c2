"""The document a conversation drafts, in one place for the graph, the routes and the pages to
come: its model (``model``), its Markdown writer and reader (``markdown``), its Word rendering
(``docx``), and the comparison and naming of stored versions (``versions``).

A leaf package: it imports none of ``graphs``, ``store``, ``hooks`` or ``server``, and the graph
never imports its Word renderer, so the served graph does not load python-docx (import-linter
contracts in pyproject.toml keep both so).
"""

from documents.model import Citation, Clause, Document

__all__ = ["Citation", "Clause", "Document"]

"""The composition root: settings, the entry points named in langgraph.json, the CLI."""

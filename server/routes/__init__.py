"""The Adlaan HTTP routes mounted next to the LangGraph API (conversations, search, documents,
audit, stats, chat, auth); ``server/app.py`` includes each module's ``router``."""

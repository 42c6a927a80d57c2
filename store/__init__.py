"""Persistence: the relational schema, the PostgreSQL checkpointer and database plumbing.

Imports only SQLAlchemy, psycopg and langgraph-checkpoint;
never ``hooks``, ``graphs`` or ``server``.
"""

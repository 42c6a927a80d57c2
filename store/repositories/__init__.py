"""Repositories: every SQL statement on a table lives in the module named after it."""

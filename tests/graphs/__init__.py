"""Graphs that only the tests serve, shaped like common user graphs."""

"""Benchmarks, each side by side with the stock alternative in the same run (``python -m bench``)."""

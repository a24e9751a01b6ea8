"""Benchmarks: ``python bench/run.py`` (``make bench``) prints every figure as one table."""

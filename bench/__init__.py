"""Benchmarks: run on purpose, print figures (not tests)."""

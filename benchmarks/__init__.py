"""Benchmarks of qa_bot (not installed): run python -m benchmarks.bench [--quick]."""

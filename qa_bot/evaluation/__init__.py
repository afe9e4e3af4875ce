"""Evaluation: question sets, retrieval and answer metrics, reports and their comparison."""

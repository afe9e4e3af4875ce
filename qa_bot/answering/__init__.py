"""Answering: hybrid retrieval, the extractive answer, follow-ups, spelling, question types."""

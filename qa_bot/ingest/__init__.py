"""Ingest: find and decode the corpus files, clean them, split sentences, cut passages."""

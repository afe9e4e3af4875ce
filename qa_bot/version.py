"""The version of qa_bot, in a module of its own so any stage can read it without importing
the package root (whose lazy ``QABot`` would tie the bottom of the package to the top)."""

__version__ = "0.1.0"

"""The reader: a cross-encoder that scores (question, sentence) pairs."""

"""The index: embedders, the FAISS vector store, the stored index (embeddings/) and building it."""

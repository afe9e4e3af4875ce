"""The vector store backends, one module each (imported only through ``ann.factory``)."""

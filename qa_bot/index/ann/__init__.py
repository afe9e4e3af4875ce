"""Vector stores: where an index's vectors are searched (txtai's ``ann/`` shape).

``base`` is the interface (``VectorStore``, ``Neighbours``), ``dense/`` holds one module per
backend (``faiss``: embedded FAISS files, the default; ``milvus``: Milvus or Milvus Lite through
``pymilvus``), and ``factory`` picks one from ``IndexSettings`` at build time and from the
manifest's ``vector_store`` entry at load time. BM25 stays outside (``index/store.py``).
"""

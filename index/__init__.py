"""The index layer: embedders, BM25, vector stores, and the index directory that holds them."""

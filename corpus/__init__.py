"""The corpus layer: policy documents, their metadata, and the clauses parsed out of them."""

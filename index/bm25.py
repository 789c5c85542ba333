"""BM25 over search tokens (bm25s), saved as plain files: .npy arrays without pickle and JSON."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


class BM25Index:
    """A bm25s index whose documents are rows 0..n-1, scored in full so filters and fusion stay exact."""

    def __init__(self, retriever) -> None:
        self._retriever = retriever

    @classmethod
    def build(cls, documents_tokens: Sequence[list[str]]) -> BM25Index:
        import bm25s

        retriever = bm25s.BM25()
        retriever.index([list(tokens) for tokens in documents_tokens], show_progress=False)
        return cls(retriever)

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), allow_pickle=False, show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        import bm25s

        return cls(bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False))

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self._retriever.vocab_dict)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document row for the query (0 where no token matches)."""
        known = [token for token in query_tokens if token in self._retriever.vocab_dict]
        if not known:
            return np.zeros(self._retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def document_frequency(self, token: str) -> int:
        """How many documents contain ``token``: the length of its column in bm25s's sparse score matrix."""
        column = self._retriever.vocab_dict.get(token)
        indptr = self._retriever.scores["indptr"]
        if column is None or column + 1 >= len(indptr):  # bm25s's own last entry (the empty token) has no column
            return 0
        return int(indptr[column + 1] - indptr[column])

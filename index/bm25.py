"""BM25 over search tokens (bm25s), saved as plain files: .npy arrays without pickle and JSON."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np


class BM25Index:
    """A bm25s index whose documents are rows 0..n-1, scored in full so filters and fusion stay exact."""

    def __init__(self, retriever) -> None:
        self._retriever = retriever

    @classmethod
    def build(cls, documents_tokens: Iterable[Sequence[str]]) -> BM25Index:
        """Index the documents' tokens, read one document at a time.

        Each document is kept as an int32 array of token ids rather than a list of strings: at 100k clauses the
        strings of both BM25 indexes took most of a build's memory.
        """
        import bm25s

        vocabulary: dict[str, int] = {}
        documents = [
            np.fromiter((vocabulary.setdefault(token, len(vocabulary)) for token in tokens), np.int32, len(tokens))
            for tokens in documents_tokens
        ]
        retriever = bm25s.BM25()
        retriever.index((documents, vocabulary), show_progress=False)
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

"""BM25 over search tokens (bm25s), saved as plain files: .npy arrays without pickle and JSON.

bm25s scores eagerly: at index time it computes every (token, document) BM25 weight into a sparse matrix, and a
query only adds up its tokens' columns. Building and saving go through bm25s. Loading reads bm25s's saved arrays
with numpy and does that addition here, so answering a question never imports bm25s and, through it, scipy
(about 0.4 s of every `policyqa ask` process); tests/test_bm25.py checks the scores equal bm25s's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

# The files bm25s.BM25.save writes (the names are its defaults) and the scoring method whose weights they hold.
DATA_FILE, INDICES_FILE, INDPTR_FILE = "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"
VOCAB_FILE, PARAMS_FILE = "vocab.index.json", "params.index.json"
# Lucene's BM25 (bm25s's default) is a pure sum of per-token weights; variants such as BM25L add a term for the
# tokens a document lacks, which this reading does not do.
SUMMABLE_METHODS = ("lucene", "robertson", "atire")


class BM25Index:
    """A bm25s index whose documents are rows 0..n-1, scored in full so filters and fusion stay exact."""

    def __init__(
        self,
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        document_count: int,
        vocabulary: dict[str, int],
        retriever=None,
    ) -> None:
        self._data, self._indices, self._indptr = data, indices, indptr
        self._document_count = document_count
        self._vocabulary = vocabulary
        self._retriever = retriever  # the bm25s object, kept by `build` for `save`

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
        matrix = retriever.scores
        return cls(
            matrix["data"], matrix["indices"], matrix["indptr"], matrix["num_docs"], retriever.vocab_dict, retriever
        )

    def save(self, folder: Path) -> None:
        if self._retriever is None:
            raise ValueError("only a BM25 index built in this process can be saved")
        self._retriever.save(str(folder), allow_pickle=False, show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        params = json.loads((folder / PARAMS_FILE).read_text(encoding="utf-8"))
        if params.get("method") not in SUMMABLE_METHODS:
            raise ValueError(f"BM25 method {params.get('method')!r} is not one whose weights simply add up")
        vocabulary = json.loads((folder / VOCAB_FILE).read_text(encoding="utf-8"))
        arrays = [np.load(folder / name, allow_pickle=False) for name in (DATA_FILE, INDICES_FILE, INDPTR_FILE)]
        return cls(*arrays, int(params["num_docs"]), vocabulary)

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self._vocabulary)

    def _column(self, token: str) -> slice | None:
        column = self._vocabulary.get(token)
        if column is None or column + 1 >= len(self._indptr):  # bm25s's own last entry (the empty token) has none
            return None
        return slice(int(self._indptr[column]), int(self._indptr[column + 1]))

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every document row for the query (0 where no token matches)."""
        total = np.zeros(self._document_count, dtype=np.float32)
        for token in query_tokens:
            column = self._column(token)
            if column is not None:
                # A column lists each document once, so plain fancy-index addition is exact.
                total[self._indices[column]] += self._data[column]
        return total

    def document_frequency(self, token: str) -> int:
        """How many documents contain ``token``: the length of its column in bm25s's sparse score matrix."""
        column = self._column(token)
        return 0 if column is None else column.stop - column.start

"""FAISS vector store: exact inner-product search over unit vectors (cosine), filters by row selector."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

FAISS_FILE = "dense.faiss"


class FaissStore:
    """An ``IndexFlatIP`` whose row numbers are the part numbers of the index directory."""

    def __init__(self, index) -> None:
        self._index = index

    @classmethod
    def create(cls, dimension: int) -> FaissStore:
        import faiss

        return cls(faiss.IndexFlatIP(dimension))

    @classmethod
    def open(cls, folder: Path) -> FaissStore:
        import faiss

        return cls(faiss.read_index(str(folder / FAISS_FILE)))

    def save(self, folder: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(folder / FAISS_FILE))

    def add(self, vectors: np.ndarray) -> None:
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int, allowed_rows: Sequence[int] | None = None) -> list[tuple[int, float]]:
        import faiss

        k = min(k, self.count() if allowed_rows is None else len(allowed_rows))
        if k <= 0:
            return []
        params = None
        if allowed_rows is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.asarray(allowed_rows, dtype=np.int64)))
        scores, rows = self._index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params
        )
        hits = [(int(row), float(score)) for row, score in zip(rows[0], scores[0], strict=True) if row >= 0]
        return sorted(hits, key=lambda hit: (-hit[1], hit[0]))

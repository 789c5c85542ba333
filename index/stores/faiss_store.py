"""FAISS vector store: exact inner-product search over unit vectors (cosine), filtered by a row→region table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.stores.base import VectorRow

FAISS_FILE = "dense.faiss"


class FaissStore:
    """An ``IndexFlatIP`` in a file of the index directory, plus the table of what each of its vectors is.

    The file holds the vectors only; the table (row number, document, region of each vector, in file order)
    comes from the index directory's clauses and is passed to ``open``. In an index directory the row numbers
    are the file positions: the part numbers of ``clauses.jsonl``.
    """

    def __init__(self, index, rows: Sequence[VectorRow] | None = None) -> None:
        self._index = index
        self._rows = list(rows) if rows is not None else [VectorRow(row) for row in range(index.ntotal)]
        if len(self._rows) != index.ntotal:
            raise ValueError(f"{len(self._rows)} row records for {index.ntotal} vectors")
        self._positions_by_region: dict[str, np.ndarray] | None = None

    @classmethod
    def create(cls, dimension: int) -> FaissStore:
        import faiss

        return cls(faiss.IndexFlatIP(dimension))

    @classmethod
    def open(cls, folder: Path, rows: Sequence[VectorRow] | None = None) -> FaissStore:
        """The store saved in ``folder``; ``rows`` describes its vectors in file order (default: rows 0..n-1)."""
        import faiss

        return cls(faiss.read_index(str(folder / FAISS_FILE)), rows)

    def save(self, folder: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(folder / FAISS_FILE))

    def add(self, vectors: np.ndarray, rows: Sequence[VectorRow] | None = None) -> None:
        if rows is None:
            first = self._rows[-1].row + 1 if self._rows else 0
            rows = [VectorRow(first + offset) for offset in range(len(vectors))]
        if len(rows) != len(vectors):
            raise ValueError(f"{len(rows)} row records for {len(vectors)} vectors")
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._rows.extend(rows)
        self._positions_by_region = None

    def delete_document(self, document_id: str) -> int:
        positions = [position for position, row in enumerate(self._rows) if row.document_id == document_id]
        if positions:
            # IndexFlat closes the gaps; the table keeps each remaining vector's row number.
            self._index.remove_ids(np.asarray(positions, dtype=np.int64))
            gone = set(positions)
            self._rows = [row for position, row in enumerate(self._rows) if position not in gone]
            self._positions_by_region = None
        return len(positions)

    @property
    def rows(self) -> tuple[VectorRow, ...]:
        """What each vector is, in file order: the table ``open`` takes back."""
        return tuple(self._rows)

    def count(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int, regions: Sequence[str] = ()) -> list[tuple[int, float]]:
        import faiss

        params = None
        available = self.count()
        if regions:
            positions = self._positions_in(regions)
            available = len(positions)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(positions))
        k = min(k, available)
        if k <= 0:
            return []
        scores, positions = self._index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params
        )
        hits = [
            (self._rows[position].row, float(score))
            for position, score in zip(positions[0], scores[0], strict=True)
            if position >= 0
        ]
        return sorted(hits, key=lambda hit: (-hit[1], hit[0]))

    def _positions_in(self, regions: Sequence[str]) -> np.ndarray:
        if self._positions_by_region is None:
            by_region: dict[str, list[int]] = {}
            for position, row in enumerate(self._rows):
                by_region.setdefault(row.region, []).append(position)
            self._positions_by_region = {region: np.asarray(p, dtype=np.int64) for region, p in by_region.items()}
        parts = [
            self._positions_by_region[region]
            for region in dict.fromkeys(regions)
            if region in self._positions_by_region
        ]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

"""FAISS vector store: inner-product search over unit vectors (cosine), filtered by a row→region table.

Exact (``IndexFlatIP``) up to ANN_MIN_VECTORS vectors; above that, HNSW over the same flat vectors. The
parameters were chosen with `policyqa bench --scale` (eval/scale.py measures recall@10 against exact search on the
synthetic corpus): see ANN_* below. A search within regions always runs exactly over those regions' vectors, so
a filter never costs recall.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.stores.base import VectorRow

FAISS_FILE = "dense.faiss"
# Measured with `policyqa bench --scale 100000` on 2 cores (multilingual-e5-small vectors of the synthetic corpus):
# one exact search takes 1.9 ms over 13k vectors and 20 ms over 130k; HNSW (M 32, efConstruction 80) answers in
# 0.55 ms at efSearch 128 with recall@10 1.0 and 0.9975 against exact, and builds in 0.9 s and 26.5 s. Exact up
# to 50k vectors (about 8 ms), HNSW above. POLICYQA_ANN_MIN_VECTORS overrides it (tests use a small value).
ANN_MIN_VECTORS = 50_000
ANN_MIN_VECTORS_ENV = "POLICYQA_ANN_MIN_VECTORS"
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


def ann_min_vectors() -> int:
    value = os.environ.get(ANN_MIN_VECTORS_ENV, "")
    return int(value) if value.isdigit() else ANN_MIN_VECTORS


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
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not self.approximate and self.count() + len(vectors) >= ann_min_vectors():
            self._index = hnsw_over(self._flat_vectors(), self.dimension)
        self._index.add(vectors)
        self._rows.extend(rows)
        self._positions_by_region = None

    def delete_document(self, document_id: str) -> int:
        positions = [position for position, row in enumerate(self._rows) if row.document_id == document_id]
        if positions and self.approximate:
            # HNSW cannot remove vectors: rebuild the graph over the vectors that stay.
            keep = np.setdiff1d(np.arange(self.count()), positions)
            self._index = hnsw_over(self._flat_vectors()[keep], self.dimension)
            gone = set(positions)
            self._rows = [row for position, row in enumerate(self._rows) if position not in gone]
            self._positions_by_region = None
        elif positions:
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

    def describe(self) -> dict[str, str]:
        """What the manifest records of this store: the FAISS index type and, for HNSW, its parameters."""
        if not self.approximate:
            return {"index": "flat"}
        hnsw = self._index.hnsw
        return {
            "index": "hnsw",
            "m": str(HNSW_NEIGHBOURS),
            "ef_construction": str(hnsw.efConstruction),
            "ef_search": str(HNSW_EF_SEARCH),
        }

    @property
    def approximate(self) -> bool:
        """Whether searches without a region filter go through the HNSW graph rather than every vector."""
        return hasattr(self._index, "hnsw")

    def search(self, query: np.ndarray, k: int, regions: Sequence[str] = ()) -> list[tuple[int, float]]:
        import faiss

        index, params = self._index, None
        if self.approximate:
            index, params = self._index, faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))
        return self._search(index, params, query, k, regions)

    def exact_search(self, query: np.ndarray, k: int, regions: Sequence[str] = ()) -> list[tuple[int, float]]:
        """Every vector compared: what ``search`` returns for an exact store, the reference for an approximate one."""
        return self._search(self._flat_index(), None, query, k, regions)

    def vectors(self) -> np.ndarray:
        """All vectors in file order (a copy)."""
        return self._flat_vectors()

    def _search(self, index, params, query: np.ndarray, k: int, regions: Sequence[str]) -> list[tuple[int, float]]:
        import faiss

        available = self.count()
        if regions:
            positions = self._positions_in(regions)
            available = len(positions)
            # Within regions the flat vectors are searched exactly: a filter in a graph walk loses recall.
            index, params = self._flat_index(), faiss.SearchParameters(sel=faiss.IDSelectorBatch(positions))
        k = min(k, available)
        if k <= 0:
            return []
        scores, positions = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params)
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

    def _flat_index(self):
        import faiss

        return faiss.downcast_index(self._index.storage) if self.approximate else self._index

    def _flat_vectors(self) -> np.ndarray:
        flat = self._flat_index()
        return flat.reconstruct_n(0, flat.ntotal) if flat.ntotal else np.zeros((0, self.dimension), np.float32)


def hnsw_over(vectors: np.ndarray, dimension: int):
    """An HNSW graph (inner product) holding ``vectors``."""
    import faiss

    index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index

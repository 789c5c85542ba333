"""The interface every vector store implements, and the record that describes one of its rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class VectorRow:
    """What a store knows about one vector: its row number (a clause part of the index) and where it comes from.

    ``text`` is the full-text key of the row, for stores that also search words themselves (Milvus BM25); stores
    that do not, ignore it.
    """

    row: int
    clause_id: str = ""
    document_id: str = ""
    region: str = ""
    text: str = ""


class VectorStore(Protocol):
    """Unit vectors under stable row numbers, searched by inner product (cosine), optionally within regions.

    Each backend has its own ``create`` and ``open`` (a FAISS file in the index directory, a Milvus collection).
    """

    def add(self, vectors: np.ndarray, rows: Sequence[VectorRow] | None = None) -> None:
        """Add one vector per row; ``rows=None`` numbers them on from ``count()`` with no document or region."""
        ...

    def delete_document(self, document_id: str) -> int:
        """Remove every row of one document; the other rows keep their numbers. Returns how many went."""
        ...

    def count(self) -> int: ...

    def search(self, query: np.ndarray, k: int, regions: Sequence[str] = ()) -> list[tuple[int, float]]:
        """The ``k`` best rows for one query vector as ``(row, score)``, best first, ties broken by row.

        ``regions`` restricts the search to rows of those regions; empty means every row.
        """
        ...

    def save(self, folder: Path) -> None:
        """Make the rows durable: FAISS writes its file into ``folder`` (the index directory); a Milvus collection
        lives in Milvus, which is flushed, and nothing is written to ``folder``."""
        ...

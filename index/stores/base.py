"""The interface every vector store implements."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class VectorStore(Protocol):
    """Rows 0..n-1 of unit vectors, searched by inner product, optionally within a set of allowed rows."""

    def add(self, vectors: np.ndarray) -> None: ...

    def count(self) -> int: ...

    def search(self, query: np.ndarray, k: int, allowed_rows: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """The ``k`` best rows for one query vector as ``(row, score)``, best first, ties broken by row."""
        ...

    def save(self, folder: Path) -> None: ...

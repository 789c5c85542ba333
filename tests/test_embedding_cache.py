"""The embedding cache: unchanged passages are never embedded twice; a damaged cache only costs time."""

from __future__ import annotations

import numpy as np
from conftest import HashingEmbedder

from index.embedding_cache import KEYS_FILE, VECTORS_FILE, EmbeddingCache


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        self.embedded: list[str] = []

    def encode_passages(self, texts):
        self.embedded.extend(texts)
        return super().encode_passages(texts)


def _encode(embedder):
    return lambda texts: embedder.encode_passages(texts)


def test_only_new_texts_are_embedded_and_vectors_match(tmp_path):
    embedder = CountingEmbedder()
    first = EmbeddingCache(tmp_path, embedder.id).encode_passages(embedder, ["甲乙丙", "丁戊己"], _encode(embedder))
    assert embedder.embedded == ["甲乙丙", "丁戊己"]
    embedder.embedded.clear()
    again = EmbeddingCache(tmp_path, embedder.id).encode_passages(
        embedder, ["丁戊己", "新的一句", "甲乙丙"], _encode(embedder)
    )
    assert embedder.embedded == ["新的一句"]
    np.testing.assert_allclose(again[0], first[1])
    np.testing.assert_allclose(again[2], first[0])
    np.testing.assert_allclose(again[1], HashingEmbedder().encode_passages(["新的一句"])[0])


def test_each_embedder_has_its_own_vectors(tmp_path):
    embedder = CountingEmbedder()
    EmbeddingCache(tmp_path, "model-a").encode_passages(embedder, ["甲乙丙"], _encode(embedder))
    EmbeddingCache(tmp_path, "model-b").encode_passages(embedder, ["甲乙丙"], _encode(embedder))
    assert embedder.embedded == ["甲乙丙", "甲乙丙"]


def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path):
    embedder = CountingEmbedder()
    cache = EmbeddingCache(tmp_path, embedder.id)
    cache.encode_passages(embedder, ["甲乙丙"], _encode(embedder))
    (cache.folder / VECTORS_FILE).write_bytes(b"garbage")
    embedder.embedded.clear()
    vectors = EmbeddingCache(tmp_path, embedder.id).encode_passages(embedder, ["甲乙丙"], _encode(embedder))
    assert embedder.embedded == ["甲乙丙"] and vectors.shape == (1, embedder.dimension)
    (cache.folder / KEYS_FILE).write_text('["only-one-key", "and-another"]', encoding="utf-8")
    embedder.embedded.clear()
    EmbeddingCache(tmp_path, embedder.id).encode_passages(embedder, ["甲乙丙"], _encode(embedder))
    assert embedder.embedded == ["甲乙丙"]

"""The FAISS store goes approximate (HNSW) above a size, keeps recall@10 ≥ 0.98, and stays exact within regions."""

from __future__ import annotations

import numpy as np
import pytest

from index.stores.base import VectorRow
from index.stores.faiss_store import ANN_MIN_VECTORS_ENV, FaissStore

DIMENSION = 64
REGIONS = ("上海", "吉林", "福建", "北京")


def clustered_vectors(count: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 centres, like passages on a few dozen topics."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIMENSION))
    vectors = centres[rng.integers(0, 40, count)] + 0.6 * rng.standard_normal((count, DIMENSION))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def rows_for(count: int, first: int = 0) -> list[VectorRow]:
    return [
        VectorRow(first + n, f"c{first + n}", f"doc{(first + n) // 50}", REGIONS[(first + n) % len(REGIONS)])
        for n in range(count)
    ]


@pytest.fixture
def ann_store(monkeypatch) -> FaissStore:
    monkeypatch.setenv(ANN_MIN_VECTORS_ENV, "1000")
    store = FaissStore.create(DIMENSION)
    store.add(clustered_vectors(600), rows_for(600))
    assert not store.approximate  # below the threshold: exact
    store.add(clustered_vectors(2400, seed=1), rows_for(2400, first=600))
    return store


def recall_at_10(store: FaissStore, queries: np.ndarray, regions=()) -> float:
    found = 0
    for query in queries:
        approximate = {row for row, _ in store.search(query, 10, regions)}
        exact = {row for row, _ in store.exact_search(query, 10, regions)}
        found += len(approximate & exact)
    return found / (10 * len(queries))


def test_crossing_the_threshold_turns_the_store_into_hnsw_over_the_same_vectors(ann_store):
    assert ann_store.approximate and ann_store.count() == 3000
    assert ann_store.describe() == {"index": "hnsw", "m": "32", "ef_construction": "80", "ef_search": "128"}
    assert np.allclose(ann_store.vectors()[:600], clustered_vectors(600))
    assert recall_at_10(ann_store, clustered_vectors(200, seed=7)) >= 0.98


def test_searches_within_regions_are_exact(ann_store):
    queries = clustered_vectors(50, seed=8)
    for query in queries:
        hits = ann_store.search(query, 10, ["吉林"])
        assert hits == ann_store.exact_search(query, 10, ["吉林"])
        assert all(REGIONS[row % len(REGIONS)] == "吉林" for row, _ in hits)


def test_an_approximate_store_saves_and_reopens_with_the_same_answers(ann_store, tmp_path):
    ann_store.save(tmp_path)
    reopened = FaissStore.open(tmp_path, ann_store.rows)
    assert reopened.approximate
    for query in clustered_vectors(20, seed=9):
        assert reopened.search(query, 10) == ann_store.search(query, 10)


def test_deleting_a_document_from_an_approximate_store_keeps_the_others(ann_store):
    removed = ann_store.delete_document("doc3")
    assert removed == 50 and ann_store.count() == 2950 and ann_store.approximate
    rows = {row.row for row in ann_store.rows}
    assert not rows & set(range(150, 200))
    for query in clustered_vectors(20, seed=10):
        assert all(row < 150 or row >= 200 for row, _ in ann_store.search(query, 10))


def test_below_the_threshold_the_store_stays_exact(monkeypatch):
    monkeypatch.setenv(ANN_MIN_VECTORS_ENV, "5000")
    store = FaissStore.create(DIMENSION)
    store.add(clustered_vectors(3000), rows_for(3000))
    assert not store.approximate and store.describe() == {"index": "flat"}
    query = clustered_vectors(1, seed=3)[0]
    assert store.search(query, 10) == store.exact_search(query, 10)

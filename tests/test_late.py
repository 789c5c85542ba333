"""Late interaction: token vectors stored with the index, MaxSim scoring, and their place in the hybrid ranking."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL_DOCUMENTS, HashingEmbedder, HashingTokenEmbedder, write_document

from assistant.api import Assistant
from assistant.query import understand
from assistant.retrieve import LATE_CANDIDATES, Hit, HybridRetriever, LateInteractionRetriever
from corpus.errors import IndexProblem
from index.build import build_index
from index.embedding_cache import TOKENS_FILE, EmbeddingCache
from index.late import LATE_DIR, OFFSETS_FILE, TokenStates, principal_directions
from index.search_index import open_index
from index.tokens import SearchTokenizer


def _unit_rows(rng: np.random.Generator, count: int, dimension: int = 8) -> np.ndarray:
    rows = rng.normal(size=(count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


# --- MaxSim -------------------------------------------------------------------------------------------------------


def test_maxsim_is_the_mean_of_each_question_tokens_best_cosine_in_the_part():
    rng = np.random.default_rng(7)
    parts = [_unit_rows(rng, count) for count in (5, 0, 3, 9, 1)]
    states = TokenStates.from_parts(parts, 8)
    question = _unit_rows(rng, 4)
    asked = [3, 0, 1, 4, 2]
    expected = [float((question @ parts[p].T).max(axis=1).mean()) if len(parts[p]) else -1.0 for p in asked]
    np.testing.assert_allclose(states.maxsim(question, asked), expected, rtol=1e-5)


def test_maxsim_without_parts_or_question_tokens_scores_nothing():
    rng = np.random.default_rng(1)
    states = TokenStates.from_parts([_unit_rows(rng, 2)], 8)
    assert states.maxsim(_unit_rows(rng, 3), []).shape == (0,)
    assert states.maxsim(np.zeros((0, 8), dtype=np.float32), [0]).tolist() == [-1.0]


def test_token_states_round_trip_as_float16_files_without_pickle(tmp_path):
    rng = np.random.default_rng(3)
    states = TokenStates.from_parts([_unit_rows(rng, 4), _unit_rows(rng, 2)], 8)
    states.save(tmp_path / LATE_DIR)
    assert np.load(tmp_path / LATE_DIR / "tokens.npy", allow_pickle=False).dtype == np.float16
    loaded = TokenStates.load(tmp_path / LATE_DIR)
    assert loaded.offsets.tolist() == [0, 4, 6]
    np.testing.assert_allclose(loaded.vectors, states.vectors, atol=1e-3)


def test_offsets_that_disagree_with_the_tokens_do_not_load(tmp_path):
    rng = np.random.default_rng(3)
    TokenStates.from_parts([_unit_rows(rng, 4)], 8).save(tmp_path)
    np.save(tmp_path / OFFSETS_FILE, np.array([0, 5], dtype=np.int64))
    with pytest.raises(ValueError, match="disagree"):
        TokenStates.load(tmp_path)


def test_principal_directions_keep_the_inner_products_of_vectors_in_a_smaller_subspace():
    rng = np.random.default_rng(11)
    basis = np.linalg.qr(rng.normal(size=(200, 10)))[0]  # 10 orthonormal directions in 200 dimensions
    vectors = (rng.normal(size=(500, 10)) @ basis.T).astype(np.float32)
    directions = principal_directions(vectors, 20)
    assert directions.shape == (200, 20)
    np.testing.assert_allclose(directions.T @ directions, np.eye(20), atol=1e-5)
    projected = vectors @ directions
    np.testing.assert_allclose(projected @ projected.T, vectors @ vectors.T, rtol=1e-3, atol=1e-3)
    assert np.array_equal(principal_directions(vectors, 20), directions)  # the same vectors, the same matrix


def test_few_dimensions_or_few_vectors_are_not_projected():
    rng = np.random.default_rng(5)
    assert np.array_equal(principal_directions(_unit_rows(rng, 50, 8), 128), np.eye(8))
    assert np.array_equal(principal_directions(_unit_rows(rng, 100, 300), 128), np.eye(300))


def test_stored_vectors_are_the_projected_tokens_and_a_question_is_projected_alike():
    rng = np.random.default_rng(9)
    parts = [_unit_rows(rng, count, 384) for count in (300, 250, 200)]
    states = TokenStates.from_parts(parts, 384)
    assert states.vectors.shape == (750, 128) and states.projection.shape == (384, 128)
    np.testing.assert_allclose(np.linalg.norm(states.vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(states.project(parts[1]), states.vectors[300:550], atol=1e-5)


# --- the index ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_index(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(corpus, index, cache) of the small corpus built with an embedder that gives token vectors."""
    root = tmp_path_factory.mktemp("late")
    corpus_dir = root / "corpus"
    for doc_id, (region, title, text) in SMALL_DOCUMENTS.items():
        write_document(corpus_dir, doc_id, region, title, text)
    build_index(corpus_dir, root / "index", HashingTokenEmbedder(), root / "cache", progress=False)
    return corpus_dir, root / "index", root / "cache"


def _assistant(corpus_dir: Path, index_dir: Path, cache_dir: Path, embedder) -> Assistant:
    return Assistant(open_index(index_dir, embedder.id, corpus_dir), embedder, SearchTokenizer(cache_dir))


def test_an_embedder_with_token_vectors_gets_them_stored_and_checksummed(token_index):
    corpus_dir, index_dir, _ = token_index
    files = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert {f"{LATE_DIR}/tokens.npy", f"{LATE_DIR}/offsets.npy", f"{LATE_DIR}/projection.npy"} <= files.keys()
    index = open_index(index_dir, HashingTokenEmbedder.id, corpus_dir)
    assert index.token_states is not None and index.token_states.part_count == len(index.parts)
    # One vector per character of each part's search key but its spaces: the clause texts are all there.
    assert len(index.token_states.vectors) > sum(len(clause.text) for clause in index.clauses) // 2


def test_the_shipped_hybrid_uses_late_interaction_and_hybrid_pooled_does_not(token_index):
    assistant = _assistant(*token_index, HashingTokenEmbedder())
    assert assistant.retrievers["hybrid"].late is not None
    assert assistant.retrievers["hybrid-pooled"].late is None
    answer = assistant.ask("福建盲人医疗按摩诊所有什么扶持", k=3)
    assert answer.passages[0].clause.id == "gamma-1-1"


def test_an_embedder_without_token_vectors_builds_an_index_without_them(small_corpus, tmp_path):
    embedder = HashingEmbedder()
    build_index(small_corpus, tmp_path / "index", embedder, tmp_path / "cache", progress=False)
    assert not (tmp_path / "index" / LATE_DIR).exists()
    assistant = _assistant(small_corpus, tmp_path / "index", tmp_path / "cache", embedder)
    assert assistant.index.token_states is None and assistant.retrievers["hybrid"].late is None
    assert assistant.ask("福建盲人医疗按摩诊所有什么扶持", k=3).passages


@pytest.mark.parametrize("name", ["tokens.npy", "offsets.npy", "projection.npy"])
def test_damaged_token_vectors_are_an_index_problem_naming_the_file(token_index, tmp_path, name):
    corpus_dir, pristine, _ = token_index
    index_dir = tmp_path / "index"
    shutil.copytree(pristine, index_dir)
    path = index_dir / LATE_DIR / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexProblem) as caught:
        open_index(index_dir, HashingTokenEmbedder.id, corpus_dir)
    assert caught.value.exit_code == 3 and f"{LATE_DIR}/{name}" in str(caught.value)


# --- the ranking ----------------------------------------------------------------------------------------------------


class FixedRanking:
    def __init__(self, rows: list[int]) -> None:
        self.rows = rows

    def search(self, query, k):
        return [Hit(row, 1.0 / (rank + 1)) for rank, row in enumerate(self.rows[:k])]


class ReversingLate:
    """Ranks its candidates in reverse row order and remembers which it was given."""

    available = True

    def __init__(self) -> None:
        self.candidates: list[int] = []

    def rank(self, query, rows):
        self.candidates = list(rows)
        return [Hit(row, float(row)) for row in sorted(rows, reverse=True)]


def test_late_interaction_ranks_each_rankings_best_and_takes_the_dense_rankings_place():
    query = understand("盲人按摩", ["福建"])
    lexical = FixedRanking(list(range(30)))
    dense = FixedRanking(list(range(100, 130)))
    late = ReversingLate()
    weights = {"zh-Hans": [1.0, 1.0]}
    hybrid = HybridRetriever([lexical, dense], weights, late=late, late_replaces=1)
    fused = hybrid.search(query, 60)
    assert late.candidates == [*range(LATE_CANDIDATES), *range(100, 100 + LATE_CANDIDATES)]
    # The dense ranking is gone from the fusion: its rows below the candidates score nothing.
    assert {hit.row for hit in fused} == set(range(30)) | set(range(100, 100 + LATE_CANDIDATES))
    # Candidate 109 is late interaction's first: fused above 100, which the pooled ranking had first.
    order = [hit.row for hit in fused]
    assert order.index(109) < order.index(100)


def test_late_ranking_orders_candidate_clauses_by_their_best_part(token_index):
    assistant = _assistant(*token_index, HashingTokenEmbedder())
    late = LateInteractionRetriever(assistant.index, assistant.dense)
    query = understand("盲人医疗按摩诊所资金扶持", assistant.covered_regions)
    rows = list(range(len(assistant.index.clauses)))
    ranked = late.rank(query, rows[1:])
    assert sorted(hit.row for hit in ranked) == rows[1:]  # only the candidates, each once
    scores = [hit.score for hit in ranked]
    assert scores == sorted(scores, reverse=True)
    assert assistant.index.clauses[ranked[0].row].id == "gamma-1-1"


# --- the embedding cache ----------------------------------------------------------------------------------------------


class CountingTokenEmbedder(HashingTokenEmbedder):
    def __init__(self) -> None:
        self.embedded: list[str] = []

    def encode_with_tokens(self, texts, is_query):
        self.embedded.extend(texts)
        return super().encode_with_tokens(texts, is_query)


def _encode(embedder):
    def encode(texts):
        encoded = embedder.encode_with_tokens(texts, is_query=False)
        return encoded.vectors, encoded.tokens

    return encode


def test_the_cache_keeps_token_vectors_and_embeds_only_new_texts(tmp_path):
    embedder = CountingTokenEmbedder()
    cache = EmbeddingCache(tmp_path, embedder.id, with_tokens=True)
    first_vectors, first_tokens = cache.encode_with_tokens(embedder, ["甲乙丙", "丁戊"], _encode(embedder))
    embedder.embedded.clear()
    again = EmbeddingCache(tmp_path, embedder.id, with_tokens=True)
    vectors, tokens = again.encode_with_tokens(embedder, ["丁戊", "新句子", "甲乙丙"], _encode(embedder))
    assert embedder.embedded == ["新句子"]
    assert [len(states) for states in tokens] == [2, 3, 3]
    np.testing.assert_allclose(tokens[0], first_tokens[1], atol=1e-3)
    np.testing.assert_allclose(vectors[2], first_vectors[0])
    # The pooled-only cache of the same model is another folder: neither reads the other's files.
    assert EmbeddingCache(tmp_path, embedder.id).folder != again.folder


def test_a_cache_whose_token_file_is_damaged_is_embedded_again(tmp_path):
    embedder = CountingTokenEmbedder()
    cache = EmbeddingCache(tmp_path, embedder.id, with_tokens=True)
    cache.encode_with_tokens(embedder, ["甲乙丙"], _encode(embedder))
    (cache.folder / TOKENS_FILE).write_bytes(b"garbage")
    embedder.embedded.clear()
    _, tokens = EmbeddingCache(tmp_path, embedder.id, with_tokens=True).encode_with_tokens(
        embedder, ["甲乙丙"], _encode(embedder)
    )
    assert embedder.embedded == ["甲乙丙"] and tokens[0].shape == (3, embedder.dimension)


class DenseTokenEmbedder(HashingTokenEmbedder):
    """Token vectors of 160 dimensions (more than the 128 kept, so they are projected) whose values float16 cannot
    hold exactly, as a real model's are."""

    id = "fake/dense-tokens"
    dimension = 160

    def _encode(self, texts):
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row] = _character_vector("".join(text.split()) or " ", self.dimension)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_with_tokens(self, texts, is_query):
        from index.embedders import TokenEncoding

        tokens = [
            np.stack(
                [_character_vector(c, self.dimension) for c in text if not c.isspace()] or [np.ones(self.dimension)]
            )
            for text in texts
        ]
        return TokenEncoding(self._encode(texts), [states.astype(np.float32) for states in tokens])


def _character_vector(text: str, dimension: int) -> np.ndarray:
    seed = int(hashlib.md5(text.encode()).hexdigest(), 16) % 2**32
    return np.random.default_rng(seed).normal(size=dimension) / 3


def test_a_build_from_the_cache_stores_the_same_token_vectors_as_a_fresh_build(small_corpus, tmp_path):
    """A clean clone builds fresh; a working copy from its cache, which keeps token vectors in float16. Both must
    give the same index, or models trained on one (the rescorer) rank differently on the other."""
    embedder = DenseTokenEmbedder()
    build_index(small_corpus, tmp_path / "fresh", embedder, tmp_path / "cache", progress=False)
    build_index(small_corpus, tmp_path / "cached", embedder, tmp_path / "cache", progress=False)
    fresh, cached = (TokenStates.load(tmp_path / name / LATE_DIR) for name in ("fresh", "cached"))
    assert fresh.projection.shape == (160, 128)
    np.testing.assert_array_equal(fresh.projection, cached.projection)
    np.testing.assert_array_equal(fresh.vectors, cached.vectors)

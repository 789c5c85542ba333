"""Retrievers over the index (BM25, dense, hybrid) behind one protocol, and reciprocal-rank fusion."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.query import Query
from corpus.script import to_simplified
from index.embedders import Embedder
from index.search_index import SearchIndex
from index.tokens import SearchTokenizer
from index.translation import english_terms, translate

# Reciprocal-rank fusion: score = Σ 1 / (RRF_K + rank). 60 is the constant of Cormack et al. (2009);
# it keeps one retriever's top rank from drowning the other's.
RRF_K = 60
# How deep each retriever's ranking goes into the fusion.
FUSION_DEPTH = 50
# Weights of the rankings in the fusion, chosen on the development questions (see README).
BM25_WEIGHT = 2.0
DENSE_WEIGHT = 1.0
BIGRAM_WEIGHT = 1.0
# An English question's dense ranking rests on a word-by-word translation: it counts half.
ENGLISH_DENSE_WEIGHT = 0.5
RECENT_QUERY_VECTORS = 8


@dataclass(frozen=True)
class Hit:
    """A clause (by its row in the index) and its score under one retriever."""

    row: int
    score: float


class Retriever(Protocol):
    def search(self, query: Query, k: int) -> list[Hit]:
        """The ``k`` best clauses for the query within its regions, best first."""
        ...


def allowed_rows(index: SearchIndex, regions: Sequence[str]) -> np.ndarray | None:
    """Clause rows inside ``regions``, ascending; None when every row is allowed."""
    if not regions:
        return None
    by_region = index.clause_rows_by_region
    found = [by_region[region] for region in dict.fromkeys(regions) if region in by_region]
    return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def top_hits(scores: np.ndarray, k: int, rows: Sequence[int] | None) -> list[Hit]:
    """Best ``k`` rows with a positive score, ties broken by row so results repeat exactly."""
    candidates = np.arange(len(scores)) if rows is None else np.asarray(rows, dtype=np.int64)
    candidates = candidates[scores[candidates] > 0]
    order = np.lexsort((candidates, -scores[candidates]))[:k]
    return [Hit(int(candidates[i]), float(scores[candidates[i]])) for i in order]


def chinese_words(query: Query, index: SearchIndex, tokenizer: SearchTokenizer) -> dict[str, float]:
    """The Chinese search words of an English question: dictionary translations plus the glossary's terms."""
    words = translate(english_terms(query.topic), index.translations)
    for word in tokenizer.tokens(query.expansion):
        words[word] = 1.0
    return words


class BM25Retriever:
    """BM25 over jieba words (or character pairs) of the Simplified key.

    English questions go through the CC-CEDICT word table first; each Chinese word found keeps the weight
    of its dictionary match.
    """

    def __init__(self, index: SearchIndex, tokenizer: SearchTokenizer, bigrams: bool = False) -> None:
        self.index = index
        self.tokenizer = tokenizer
        self.bigrams = bigrams
        self.bm25 = index.bm25_bigrams if bigrams else index.bm25

    def weighted_tokens(self, query: Query) -> dict[str, float]:
        if query.language == "en":
            words = chinese_words(query, self.index, self.tokenizer)
            if not self.bigrams:
                return words
            weights: dict[str, float] = {}
            for word, weight in words.items():
                for gram in self.tokenizer.bigrams(word):
                    weights[gram] = max(weights.get(gram, 0.0), weight)
            return weights
        text = f"{query.topic} {query.expansion}"
        tokens = self.tokenizer.bigrams(text) if self.bigrams else self.tokenizer.tokens(text)
        return dict.fromkeys(tokens, 1.0)

    def term_weights(self, query: Query) -> dict[str, float]:
        """Each search term's weight times its BM25 inverse document frequency: rare words count most."""
        total = len(self.index.clauses)
        weights = {}
        for token, weight in self.weighted_tokens(query).items():
            frequency = self.bm25.document_frequency(token)
            weights[token] = weight * math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
        return weights

    def scores(self, query: Query) -> np.ndarray:
        total = np.zeros(len(self.index.clauses), dtype=np.float32)
        for token, weight in self.weighted_tokens(query).items():
            total += weight * self.bm25.scores([token])
        return total

    def search(self, query: Query, k: int) -> list[Hit]:
        return top_hits(self.scores(query), k, allowed_rows(self.index, query.regions))


class DenseRetriever:
    """Cosine similarity of the query embedding to each clause part; a clause scores as its best part."""

    def __init__(self, index: SearchIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.row_of_clause = {clause.id: row for row, clause in enumerate(index.clauses)}
        # A question asked of every region is searched once per region: embed it once. Kept small so that
        # only the last few questions are remembered (evaluation and benchmarks time real embeddings).
        self._recent_vectors: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()

    def query_vector(self, query: Query) -> np.ndarray:
        cache_key = (query.language, query.key, query.expansion)
        vector = self._recent_vectors.get(cache_key)
        if vector is None:
            vector = self._embed_query(query)
            self._recent_vectors[cache_key] = vector
            if len(self._recent_vectors) > RECENT_QUERY_VECTORS:
                self._recent_vectors.popitem(last=False)
        return vector

    def _embed_query(self, query: Query) -> np.ndarray:
        """The question with its glossary terms; an English one through its Chinese dictionary words.

        multilingual-e5-small matches English questions to Chinese clauses only loosely: on the development
        questions the embedding of the word-by-word translation ranks far better (MRR 0.76 against 0.38).
        """
        if query.language != "en":
            return self.embedder.encode_queries([f"{query.key} {query.expansion}".strip()])[0]
        chinese = " ".join(translate(english_terms(query.topic), self.index.translations)) + f" {query.expansion}"
        return self.embedder.encode_queries([chinese.strip() or query.key])[0]

    def search(self, query: Query, k: int) -> list[Hit]:
        vector = self.query_vector(query)
        # Enough parts to fill k clauses even when long clauses hold several of the best parts.
        part_hits = self.index.dense.search(vector, k * 4, query.regions)
        best: dict[int, float] = {}
        for part_row, score in part_hits:
            row = self.row_of_clause[self.index.parts[part_row].clause_id]
            best.setdefault(row, score)
        hits = [Hit(row, score) for row, score in best.items()]
        return sorted(hits, key=lambda hit: (-hit.score, hit.row))[:k]


class StoreBM25Retriever:
    """BM25 computed by the vector store itself: Milvus full-text search over the clauses' BM25 keys, cut by
    its jieba analyzer; the question's words as the local BM25 reads them (English through the dictionary)."""

    def __init__(self, index: SearchIndex, tokenizer: SearchTokenizer) -> None:
        if index.full_text is None:
            raise ValueError(f"index {index.directory} has no full-text store (its store is {index.manifest.store})")
        self.index = index
        self.tokenizer = tokenizer
        self.row_of_clause = {clause.id: row for row, clause in enumerate(index.clauses)}

    def query_text(self, query: Query) -> str:
        if query.language == "en":
            return " ".join(chinese_words(query, self.index, self.tokenizer))
        return to_simplified(f"{query.topic} {query.expansion}").lower()

    def search(self, query: Query, k: int) -> list[Hit]:
        best: dict[int, float] = {}
        for part_row, score in self.index.full_text.search_text(self.query_text(query), k, query.regions):
            best.setdefault(self.row_of_clause[self.index.parts[part_row].clause_id], score)
        return sorted((Hit(row, score) for row, score in best.items()), key=lambda hit: (-hit.score, hit.row))[:k]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Hit]], rrf_k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[Hit]:
    """Fuse rankings by Σ weight / (rrf_k + rank), rank counted from 1; ties broken by row."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.row] = fused.get(hit.row, 0.0) + weight / (rrf_k + rank)
    return sorted((Hit(row, score) for row, score in fused.items()), key=lambda hit: (-hit.score, hit.row))


class HybridRetriever:
    """Several rankings (BM25 words, dense, BM25 character pairs) fused by weighted reciprocal rank.

    ``weights`` hold one weight per retriever for each question language (``zh-Hans``, ``zh-Hant``, ``en``).
    """

    def __init__(
        self,
        retrievers: Sequence[Retriever],
        weights: Mapping[str, Sequence[float]],
        depth: int = FUSION_DEPTH,
        rrf_k: int = RRF_K,
    ) -> None:
        if any(len(by_language) != len(retrievers) for by_language in weights.values()):
            raise ValueError("one weight per retriever for each language")
        self.retrievers = list(retrievers)
        self.weights = dict(weights)
        self.depth = depth
        self.rrf_k = rrf_k

    def search(self, query: Query, k: int) -> list[Hit]:
        rankings = [retriever.search(query, self.depth) for retriever in self.retrievers]
        return reciprocal_rank_fusion(rankings, self.rrf_k, self.weights[query.language])[:k]


def interleave(rankings: Sequence[Sequence[Hit]], k: int) -> list[Hit]:
    """Round-robin over per-region rankings, so every region's best clauses reach the top k."""
    merged: list[Hit] = []
    seen: set[int] = set()
    for position in range(max((len(r) for r in rankings), default=0)):
        for ranking in rankings:
            if position < len(ranking) and ranking[position].row not in seen:
                seen.add(ranking[position].row)
                merged.append(ranking[position])
    return merged[:k]

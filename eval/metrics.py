"""Retrieval metrics over character ranges: a passage hits a gold span when their ranges overlap."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    document_id: str
    start: int
    end: int

    def overlaps(self, other: Range) -> bool:
        return self.document_id == other.document_id and self.start < other.end and other.start < self.end


def span_ranks(retrieved: Sequence[Range], gold: Sequence[Range]) -> list[int | None]:
    """For each gold span, the 1-based rank of the first retrieved passage that hits it (None if none)."""
    ranks: list[int | None] = []
    for span in gold:
        ranks.append(next((rank for rank, r in enumerate(retrieved, start=1) if r.overlaps(span)), None))
    return ranks


def recall_at(retrieved: Sequence[Range], gold: Sequence[Range], k: int) -> float:
    """Fraction of the gold spans hit within the top k."""
    ranks = span_ranks(retrieved, gold)
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(gold)


def success_at(retrieved: Sequence[Range], gold: Sequence[Range], k: int) -> float:
    """1 when a passage in the top k hits any gold span, else 0 (trec_eval's success@k).

    For a question about one clause this is recall@k. A question about n regions' clauses can reach a recall@1
    of only 1/n, so success@1 is the measure of "the first passage answers": the one a reader sees first.
    """
    return 1.0 if any(passage.overlaps(span) for passage in retrieved[:k] for span in gold) else 0.0


def reciprocal_rank(retrieved: Sequence[Range], gold: Sequence[Range], k: int = 10) -> float:
    """1 / rank of the first passage in the top k hitting any gold span; 0 when none does."""
    for rank, passage in enumerate(retrieved[:k], start=1):
        if any(passage.overlaps(span) for span in gold):
            return 1.0 / rank
    return 0.0


def ndcg_at(retrieved: Sequence[Range], gold: Sequence[Range], k: int = 10) -> float:
    """Binary-gain nDCG: a passage gains 1 when it hits a gold span no earlier passage hit."""
    covered: set[int] = set()
    dcg = 0.0
    for rank, passage in enumerate(retrieved[:k], start=1):
        new = {i for i, span in enumerate(gold) if i not in covered and passage.overlaps(span)}
        if new:
            covered |= new
            dcg += 1.0 / math.log2(rank + 1)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal if ideal else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]

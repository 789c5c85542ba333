"""Metric definitions on hand-made rankings, with exact expected values."""

from __future__ import annotations

import math

import pytest

from eval.metrics import Range, ndcg_at, percentile, recall_at, reciprocal_rank, span_ranks

GOLD_A = Range("doc", 100, 110)
GOLD_B = Range("doc", 500, 510)
MISS = Range("doc", 0, 50)
HIT_A = Range("doc", 90, 101)  # overlaps A by one character
HIT_B = Range("doc", 505, 600)
OTHER_DOC = Range("other", 100, 110)


def test_overlap_is_by_character_range_in_the_same_document():
    assert HIT_A.overlaps(GOLD_A)
    assert not Range("doc", 90, 100).overlaps(GOLD_A)  # touching is not overlapping
    assert not OTHER_DOC.overlaps(GOLD_A)


def test_span_ranks_and_recall():
    retrieved = [MISS, HIT_B, OTHER_DOC, HIT_A]
    assert span_ranks(retrieved, [GOLD_A, GOLD_B]) == [4, 2]
    assert recall_at(retrieved, [GOLD_A, GOLD_B], 1) == 0.0
    assert recall_at(retrieved, [GOLD_A, GOLD_B], 3) == 0.5
    assert recall_at(retrieved, [GOLD_A, GOLD_B], 5) == 1.0


def test_reciprocal_rank_counts_the_first_hit_of_any_span():
    assert reciprocal_rank([MISS, HIT_B, HIT_A], [GOLD_A, GOLD_B]) == 0.5
    assert reciprocal_rank([MISS] * 10 + [HIT_A], [GOLD_A]) == 0.0


def test_ndcg_rewards_covering_every_span_once():
    assert ndcg_at([HIT_A, HIT_B], [GOLD_A, GOLD_B]) == pytest.approx(1.0)
    # the second hit on the same span gains nothing; the ideal has both spans at ranks 1 and 2
    value = ndcg_at([HIT_A, HIT_A, HIT_B], [GOLD_A, GOLD_B])
    assert value == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_percentile_is_nearest_rank():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile([1.0, 2.0], 0.95) == 2.0
    assert percentile([], 0.5) == 0.0

"""A learned ordering of the fusion's candidates: a linear model over each ranking's rank and score.

Reciprocal-rank fusion keeps only ranks. When BM25 puts one clause far ahead of the next, or late interaction sees
two neighbouring clauses as nearly equal, the ranks do not say so and the fused order often lands on the wrong
neighbour. A logistic regression over ranks *and* score gaps, trained on the project's own question files
(eval/train_rescorer.py), orders the candidates instead. It belongs to one embedder, like the scope threshold:
cosines and their gaps are the embedder's own scale, so another embedder falls back to the fusion.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.errors import PolicyqaError
from corpus.writer import write_atomically

MODEL_PATH = Path(__file__).resolve().parent / "data" / "rescorer.json"
# The rankings a candidate is described by, in this order; "late" is late interaction over the candidates.
RANKINGS = ("bm25", "dense", "bigrams", "late")
# Rankings whose scores are BM25 sums (compared as a fraction of the ranking's best) rather than cosines
# (compared as the difference from the best).
BM25_RANKINGS = frozenset({"bm25", "bigrams"})
# Per ranking: its reciprocal-rank-fusion term (RRF_K = 60), 1/rank, the score against the ranking's best, and
# whether it ranks the clause first. A clause a ranking does not list scores 0 on each, and its score gap is that
# of the ranking's last clause: no better than anything it ranked.
PER_RANKING = ("rrf", "reciprocal_rank", "score_gap", "first")
RRF_K = 60
# English questions rest on a word-by-word translation: their rankings are less sure, and each feature has an
# English copy that lets the model weigh them differently (the base feature times "the question is English").
FEATURE_NAMES = tuple(f"{ranking}.{name}" for ranking in RANKINGS for name in PER_RANKING)
ALL_FEATURE_NAMES = FEATURE_NAMES + tuple(f"en*{name}" for name in FEATURE_NAMES)


class RescorerFileError(PolicyqaError):
    """The rescorer's model file cannot be read."""

    exit_code = 3


def candidate_features(rankings: Sequence[Sequence], rows: Sequence[int], english: bool) -> np.ndarray:
    """A row of ``ALL_FEATURE_NAMES`` for each of ``rows``; ``rankings`` are lists of hits (``.row``, ``.score``)
    best first, one per name in ``RANKINGS``."""
    if len(rankings) != len(RANKINGS):
        raise ValueError(f"{len(rankings)} rankings; the rescorer reads {len(RANKINGS)}: {', '.join(RANKINGS)}")
    columns = []
    for name, ranking in zip(RANKINGS, rankings, strict=True):
        position = {hit.row: rank for rank, hit in enumerate(ranking, start=1)}
        best = ranking[0].score if ranking else 0.0

        def gap(score: float, name: str = name, best: float = best) -> float:
            if name in BM25_RANKINGS:
                return score / best if best > 0 else 0.0
            return score - best

        unlisted_gap = gap(ranking[-1].score) if ranking else 0.0
        for row in rows:
            rank = position.get(row)
            if rank is None:
                columns.append((0.0, 0.0, unlisted_gap, 0.0))
            else:
                columns.append((1 / (RRF_K + rank), 1 / rank, gap(ranking[rank - 1].score), float(rank == 1)))
    base = np.asarray(columns, dtype=np.float64).reshape(len(RANKINGS), len(rows), len(PER_RANKING))
    base = base.transpose(1, 0, 2).reshape(len(rows), len(FEATURE_NAMES))
    return np.hstack([base, base * float(english)])


@dataclass(frozen=True)
class LinearRescorer:
    """``coefficients · (features - mean) / scale + intercept``: the log-odds that a candidate answers."""

    embedder_id: str
    mean: np.ndarray
    scale: np.ndarray
    coefficients: np.ndarray
    intercept: float
    # How it was made, for the record and for the test that retrains it.
    trained_on: tuple[str, ...] = ()
    regularisation: float = 1.0

    def log_odds(self, features: np.ndarray) -> np.ndarray:
        return (features - self.mean) / self.scale @ self.coefficients + self.intercept

    def order(self, features: np.ndarray, rows: Sequence[int]) -> np.ndarray:
        """Positions of ``rows`` (one per feature row) best first; equal log-odds by row, so results repeat."""
        return np.lexsort((np.asarray(rows), -self.log_odds(features)))

    def to_dict(self) -> dict:
        return {
            "embedder": self.embedder_id,
            "features": list(ALL_FEATURE_NAMES),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coefficients": self.coefficients.tolist(),
            "intercept": self.intercept,
            "trained_on": list(self.trained_on),
            "regularisation": self.regularisation,
        }

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n")

    @classmethod
    def read(cls, path: Path = MODEL_PATH) -> LinearRescorer:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw["features"] != list(ALL_FEATURE_NAMES):
                raise ValueError("its features are not the ones this code computes")
            model = cls(
                embedder_id=str(raw["embedder"]),
                mean=np.asarray(raw["mean"], dtype=np.float64),
                scale=np.asarray(raw["scale"], dtype=np.float64),
                coefficients=np.asarray(raw["coefficients"], dtype=np.float64),
                intercept=float(raw["intercept"]),
                trained_on=tuple(raw.get("trained_on", ())),
                regularisation=float(raw.get("regularisation", 1.0)),
            )
            if not model.mean.shape == model.scale.shape == model.coefficients.shape == (len(ALL_FEATURE_NAMES),):
                raise ValueError(f"it must hold {len(ALL_FEATURE_NAMES)} values per vector")
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RescorerFileError(
                f"cannot read the rescorer {path}: {error}; retrain it with .venv/bin/python -m eval.train_rescorer"
            ) from None
        return model

    @classmethod
    def for_embedder(cls, embedder_id: str, path: Path = MODEL_PATH) -> LinearRescorer | None:
        """The shipped model when it was trained with this embedder, else None (the fusion ranks alone)."""
        if not path.exists():
            return None
        model = cls.read(path)
        return model if model.embedder_id == embedder_id else None

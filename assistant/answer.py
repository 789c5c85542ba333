"""Answers: the retrieved passages, and verbatim sentences quoted from them with citations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from corpus.model import Clause

# Sentences end at 。 and ;. The end mark stays with its sentence, so each quote is a verbatim substring.
SENTENCE_RE = re.compile(r"[^。;;]+[。;;]?")


@dataclass(frozen=True)
class Passage:
    """A retrieved clause at its rank."""

    rank: int
    clause: Clause
    score: float

    def to_dict(self) -> dict[str, object]:
        c = self.clause
        return {
            "rank": self.rank,
            "id": c.id,
            "region": c.region,
            "document": c.document_title,
            "section": c.section,
            "clause": c.number,
            "text": c.text,
            "start": c.start,
            "end": c.end,
            "score": round(self.score, 6),
            "units": list(c.units),
        }


@dataclass(frozen=True)
class AnswerSentence:
    """A verbatim sentence of a cited passage; ``citations`` are passage ranks."""

    text: str
    citations: tuple[int, ...]

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "citations": list(self.citations)}


@dataclass(frozen=True)
class Answer:
    question: str
    rewritten: str
    regions: tuple[str, ...]
    in_scope: bool
    message: str | None
    sentences: tuple[AnswerSentence, ...] = ()
    passages: tuple[Passage, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        """The `ask --json` object of DESIGN.md."""
        return {
            "question": self.question,
            "rewritten": self.rewritten,
            "regions": list(self.regions),
            "in_scope": self.in_scope,
            "message": self.message,
            "answer": [sentence.to_dict() for sentence in self.sentences],
            "passages": [passage.to_dict() for passage in self.passages],
        }


def sentences(text: str) -> list[str]:
    """The sentences of a clause, verbatim, without leading or trailing spaces."""
    return [s.strip() for s in SENTENCE_RE.findall(text) if s.strip()]


def best_sentence(passage_text: str, query_tokens: Sequence[str], tokenize) -> str:
    """The sentence of a passage sharing the most query tokens (first one on ties)."""
    wanted = set(query_tokens)
    candidates = sentences(passage_text)
    if not candidates:
        return passage_text
    return max(candidates, key=lambda s: len(wanted & set(tokenize(s))))

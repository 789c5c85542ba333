"""Answers: the retrieved passages, and verbatim sentences quoted from them with citations."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from corpus.model import Clause
from corpus.parse import UNITS_RE
from corpus.script import to_simplified

# Sentences end at 。 and ;. The end mark stays with its sentence, so each quote is a verbatim substring.
SENTENCE_RE = re.compile(r"[^。;\uff1b]+[。;\uff1b]?")  # ASCII or fullwidth semicolon
MAX_SENTENCES = 5
# Sentences are drawn from the best few passages only: lower ones are context, not the answer.
PASSAGES_QUOTED = 3
# A sentence is quoted when it shares at least this share of the best sentence's overlap with the question.
RELATIVE_SCORE = 0.75


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
            "text_simplified": to_simplified(c.text),
        }


@dataclass(frozen=True)
class AnswerSentence:
    """A verbatim sentence of a cited passage; ``citations`` are passage ranks."""

    text: str
    citations: tuple[int, ...]
    region: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "citations": list(self.citations),
            "region": self.region,
            "text_simplified": to_simplified(self.text),
        }


@dataclass(frozen=True)
class Answer:
    question: str
    rewritten: str
    regions: tuple[str, ...]
    in_scope: bool
    message: str | None
    sentences: tuple[AnswerSentence, ...] = ()
    passages: tuple[Passage, ...] = ()
    terms: tuple[str, ...] = ()  # the Simplified search terms (with translations and glossary terms), rarest first

    def to_dict(self) -> dict[str, object]:
        """The `ask --json` object of DESIGN.md (plus additive fields: region and 简体 renderings)."""
        return {
            "question": self.question,
            "rewritten": self.rewritten,
            "regions": list(self.regions),
            "in_scope": self.in_scope,
            "message": self.message,
            "answer": [sentence.to_dict() for sentence in self.sentences],
            "passages": [passage.to_dict() for passage in self.passages],
            "terms": list(self.terms),
        }


def sentences(text: str) -> list[str]:
    """The sentences of a clause, verbatim, without its closing list of responsible units."""
    match = UNITS_RE.search(text)
    body = text[: match.start()] if match else text
    return [s.strip() for s in SENTENCE_RE.findall(body) if s.strip()]


def compose(
    passages: Sequence[Passage],
    term_weights: Mapping[str, float],
    tokenize: Callable[[str], list[str]],
    regions: Sequence[str] = (),
) -> tuple[AnswerSentence, ...]:
    """The sentences that best answer the question, quoted verbatim with the rank of their passage.

    A sentence scores the summed weights of the question's terms it contains. With several regions asked about,
    each region gets its own best sentences, in the order the regions were asked; otherwise the best sentences of
    the top passages, in passage order. At most MAX_SENTENCES, never a word that is not in a cited passage.
    """
    if not passages:
        return ()
    scored = [
        (_overlap(sentence, term_weights, tokenize), passage.rank, position, sentence, passage.clause.region)
        for passage in passages[: max(PASSAGES_QUOTED, len(regions))]
        for position, sentence in enumerate(sentences(passage.clause.text))
    ]
    if len(regions) > 1:
        per_region = max(1, MAX_SENTENCES // len(regions))
        chosen = []
        for region in regions:
            chosen += sorted(_best([s for s in scored if s[4] == region], per_region), key=lambda s: (s[1], s[2]))
        return tuple(AnswerSentence(text, (rank,), region) for _, rank, _, text, region in chosen)
    chosen = sorted(_best(scored, MAX_SENTENCES), key=lambda s: (s[1], s[2]))
    return tuple(AnswerSentence(text, (rank,), region) for _, rank, _, text, region in chosen)


def _best(scored: list[tuple], limit: int) -> list[tuple]:
    """The highest-scoring sentences within RELATIVE_SCORE of the best; the top passage's first one if none score."""
    if not scored:
        return []
    ranked = sorted(scored, key=lambda s: (-s[0], s[1], s[2]))
    top = ranked[0][0]
    if top <= 0:
        return [min(scored, key=lambda s: (s[1], s[2]))]
    return [s for s in ranked if s[0] >= RELATIVE_SCORE * top][:limit]


def _overlap(sentence: str, term_weights: Mapping[str, float], tokenize: Callable[[str], list[str]]) -> float:
    # Each term once, summed in the order of the sentence: a set's order changes with every process's string hash
    # seed, and so does a float sum's last digit, which decided ties between equally good sentences differently in
    # the server and in the process that asked the same question (tests/test_load.py).
    return sum(term_weights.get(token, 0.0) for token in dict.fromkeys(tokenize(sentence)))

"""Question files (JSON Lines, DESIGN.md): loading, validation with line numbers, and span location."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import InputError
from corpus.model import Document
from corpus.script import to_simplified

LANGUAGES = ("zh-Hans", "zh-Hant", "en")
QUESTIONS_DIR = Path(__file__).resolve().parent / "questions"


@dataclass(frozen=True)
class GoldSpan:
    region: str
    span: str


@dataclass(frozen=True)
class Question:
    id: str
    q: str
    lang: str
    gold: tuple[GoldSpan, ...]
    history: tuple[str, ...] = ()
    type: str = ""
    line: int = 0  # in its file, for messages

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


@dataclass(frozen=True)
class SpanLocation:
    """Where a gold span stands: a character range in one document."""

    document_id: str
    start: int
    end: int


def load_questions(path: Path) -> list[Question]:
    """Every question of a file; a malformed line raises InputError naming the file, the line and the problem."""
    if not path.is_file():
        raise InputError(f"question file {path} does not exist; pass --questions with a JSON Lines file")
    questions, seen = [], set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{where}: not valid JSON ({error.msg}); each line must be one JSON object") from None
        question = _question(raw, where, number)
        if question.id in seen:
            raise InputError(f"{where}: id {question.id!r} repeats an earlier line; ids must be unique")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise InputError(f"question file {path} holds no questions; add one JSON object per line")
    return questions


def _question(raw: object, where: str, line: int) -> Question:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: a line must be a JSON object with id, q, lang and gold")
    for key, kind in (("id", str), ("q", str), ("lang", str), ("gold", list)):
        if not isinstance(raw.get(key), kind):
            raise InputError(f"{where}: field {key!r} is missing or not a {kind.__name__}")
    if raw["lang"] not in LANGUAGES:
        raise InputError(f"{where}: lang {raw['lang']!r} is not one of {', '.join(LANGUAGES)}")
    if not raw["q"].strip():
        raise InputError(f"{where}: the question text is empty")
    gold = []
    for item in raw["gold"]:
        if not (isinstance(item, dict) and isinstance(item.get("region"), str) and isinstance(item.get("span"), str)):
            raise InputError(f"{where}: each gold item needs a region and a span, both strings")
        if not item["span"].strip():
            raise InputError(f"{where}: a gold span is empty")
        gold.append(GoldSpan(item["region"], item["span"]))
    history = raw.get("history", [])
    if not (isinstance(history, list) and all(isinstance(h, str) for h in history)):
        raise InputError(f"{where}: history must be a list of strings")
    return Question(raw["id"], raw["q"], raw["lang"], tuple(gold), tuple(history), str(raw.get("type", "")), line)


def locate_span(span: GoldSpan, documents: Sequence[Document], any_region: bool = False) -> list[SpanLocation]:
    """Every occurrence of the span, script-insensitively, in the documents of its region (or of all regions)."""
    needle = to_simplified(span.span)
    found = []
    for document in documents:
        if document.region != span.region and not any_region:
            continue
        haystack = to_simplified(document.text)
        start = haystack.find(needle)
        while start >= 0:
            found.append(SpanLocation(document.id, start, start + len(needle)))
            start = haystack.find(needle, start + 1)
    return found


def validate_questions(questions: Sequence[Question], documents: Sequence[Document], source: str) -> None:
    """Every gold span occurs exactly once in the whole corpus, in a document of the region it names."""
    regions = {document.region for document in documents}
    for question in questions:
        where = f"{source}:{question.line} (question {question.id})"
        for span in question.gold:
            if span.region not in regions:
                raise InputError(
                    f"{where}: region {span.region!r} has no document; the corpus covers {', '.join(sorted(regions))}"
                )
            count = len(locate_span(span, documents, any_region=True))
            if count != 1:
                raise InputError(
                    f"{where}: span {span.span!r} occurs {count} times in the corpus; a span must occur exactly "
                    "once (quote more of the sentence, or fix a typo)"
                )
            if not locate_span(span, documents):
                raise InputError(f"{where}: span {span.span!r} is not in a document of {span.region}; fix the region")

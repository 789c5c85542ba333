"""Cut a document into clauses along its own numbering, keeping every character and offset."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.model import Clause, Document
from corpus.numbering import SENTENCE_MARKS, Level, Marker, NumberingState, find_markers

# Lines of the republished page that are not policy text.
NOISE_LINE_RE = re.compile(
    r"^\s*(?:↓?掃碼查看政策原文↓?|↓?扫码查看政策原文↓?|!\[[^\]]*\]\([^)]*\)|特別聲明|特别声明|Notice:|來源|来源)"
)

# A heading is a numbered line with a short title and no sentence in it: "一、任務目標", "(一)開發殘疾人優質就業崗位".
HEADING_MAX_CHARS = 50
SENTENCE_MARKS_RE = re.compile(f"[{SENTENCE_MARKS}]")

# The responsible units close a clause: "(責任單位:省人社廳,省殘聯)" or "(省殘聯、省民政廳等按職責分工負責)".
UNITS_RE = re.compile(
    r"[(\uff08](?:責任單位|责任单位)[:\uff1a](?P<listed>[^()\uff08\uff09]*)[)\uff09]\s*$"
    r"|[(\uff08](?P<shared>[^()\uff08\uff09]*?)等?按(?:職責分工|职责分工)(?:負責|负责)[^()\uff08\uff09]*[)\uff09]\s*$"
)
UNIT_SEPARATORS_RE = re.compile(r"[、,\uff0c;\uff1b]|及")


@dataclass(frozen=True)
class _Segment:
    marker: Marker | None
    start: int  # of the body, after the marker
    end: int


@dataclass
class _Heading:
    level: Level
    number: int
    text: str


# A document without any numbering is cut into sentence-aligned windows of about this many characters.
UNNUMBERED_WINDOW_CHARS = 300


def parse_document(document: Document) -> list[Clause]:
    """Clauses of a document in document order; ``clause.text == document.text[clause.start:clause.end]``."""
    builder = _ClauseBuilder(document)
    for segment in _segments(document.text):
        builder.add(segment)
    numbered = any(clause.number for clause in builder.clauses) or builder.seen_headings
    if numbered or all(len(clause.text) <= UNNUMBERED_WINDOW_CHARS for clause in builder.clauses):
        return builder.clauses
    return _windows(document, builder.clauses)


def _windows(document: Document, paragraphs: list[Clause]) -> list[Clause]:
    """Without numbering to follow, long paragraphs become sentence-aligned windows, each a clause."""
    from corpus.chunking import clause_parts

    windows = []
    for paragraph in paragraphs:
        for part in clause_parts(paragraph, UNNUMBERED_WINDOW_CHARS):
            text = document.text[part.start : part.end].strip()
            start = document.text.index(text, part.start)
            windows.append(
                Clause(
                    id=f"{document.id}-s{len(windows) + 1}",
                    document_id=document.id,
                    region=document.region,
                    document_title=document.title,
                    section_path=(),
                    number="",
                    text=text,
                    start=start,
                    end=start + len(text),
                    units=parse_units(text),
                )
            )
    return windows


def parse_units(clause_text: str) -> tuple[str, ...]:
    """The responsible units named at the end of a clause, each verbatim; () when none are named."""
    match = UNITS_RE.search(clause_text)
    if not match:
        return ()
    listed = match.group("listed")
    if listed is None:
        listed = match.group("shared")
    return tuple(unit.strip() for unit in UNIT_SEPARATORS_RE.split(listed) if unit.strip())


def _segments(text: str) -> list[_Segment]:
    """Split the text into numbered or plain segments, line by line, honouring glued markers."""
    state = NumberingState()
    segments: list[_Segment] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        line_start, offset = offset, offset + len(line)
        body = line.rstrip()
        stripped = body.lstrip()
        if not stripped or NOISE_LINE_RE.match(stripped):
            continue
        indent = len(body) - len(stripped)
        accepted: list[Marker] = []
        for marker in find_markers(body):
            if state.accepts(marker, at_line_start=marker.start == indent):
                state.advance(marker)
                accepted.append(marker)
        if not accepted or accepted[0].start != indent:
            first_end = accepted[0].start if accepted else len(body)
            segments.append(_Segment(None, line_start + indent, line_start + len(body[:first_end].rstrip())))
        for index, marker in enumerate(accepted):
            end = accepted[index + 1].start if index + 1 < len(accepted) else len(body)
            segment_end = line_start + len(body[:end].rstrip())
            segments.append(_Segment(marker, line_start + marker.end, segment_end))
    return segments


class _ClauseBuilder:
    """Turns segments into clauses, tracking the heading path and the ids."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.clauses: list[Clause] = []
        self.headings: list[_Heading] = []
        self.after_numbered_clause = False
        self.used_ids: set[str] = set()
        self.seen_headings: list[str] = []

    def add(self, segment: _Segment) -> None:
        text = self.document.text
        marker = segment.marker
        body = text[segment.start : segment.end]
        if marker is not None and self._is_heading(marker, body):
            self._pop_headings(marker.level)
            self.headings.append(_Heading(marker.level, marker.number, marker.text + body))
            self.seen_headings.append(marker.text + body)
            self.after_numbered_clause = False
            return
        if marker is not None:
            self._pop_headings(marker.level)
            self.after_numbered_clause = True
            path_numbers = [str(h.number) for h in self.headings] + [str(marker.number)]
            self._emit(segment, "-".join(path_numbers), marker.text, self._section_path())
            return
        if self.after_numbered_clause:
            # A plain paragraph after numbered clauses closes the document (要求, 有效期), outside any section.
            self._emit(segment, "closing", "", ())
        elif self.headings:
            self._emit(segment, "-".join(str(h.number) for h in self.headings), "", self._section_path())
        else:
            self._emit(segment, "preamble", "", ())

    @staticmethod
    def _is_heading(marker: Marker, body: str) -> bool:
        if marker.level == Level.CHAPTER:
            return True
        if marker.level == Level.ARTICLE:
            return False
        return len(body) <= HEADING_MAX_CHARS and not SENTENCE_MARKS_RE.search(body) and not UNITS_RE.search(body)

    def _pop_headings(self, level: Level) -> None:
        while self.headings and self.headings[-1].level >= level:
            self.headings.pop()

    def _section_path(self) -> tuple[str, ...]:
        return tuple(h.text for h in self.headings)

    def _emit(self, segment: _Segment, local_id: str, number: str, section_path: tuple[str, ...]) -> None:
        clause_id = self._unique_id(f"{self.document.id}-{local_id}")
        body = self.document.text[segment.start : segment.end]
        self.clauses.append(
            Clause(
                id=clause_id,
                document_id=self.document.id,
                region=self.document.region,
                document_title=self.document.title,
                section_path=section_path,
                number=number,
                text=body,
                start=segment.start,
                end=segment.end,
                units=parse_units(body),
            )
        )

    def _unique_id(self, base: str) -> str:
        candidate, suffix = base, 1
        while candidate in self.used_ids:
            suffix += 1
            candidate = f"{base}-p{suffix}"
        self.used_ids.add(candidate)
        return candidate

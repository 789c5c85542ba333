"""Records of the corpus layer: documents and the clauses parsed out of them."""

from __future__ import annotations

from dataclasses import dataclass, field

SECTION_SEPARATOR = " › "
# The region of documents that apply to the whole country (the State Council's plan), not to one province.
NATIONAL_REGION = "全国"


@dataclass(frozen=True)
class Document:
    """One policy document: its verbatim text and its metadata record."""

    id: str
    region: str
    title: str
    text: str
    issuer: str = ""
    validity: str = ""
    source: str = ""
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Clause:
    """A clause of a document, cut along the document's own numbering.

    ``text`` is exactly ``document.text[start:end]``; ``section_path`` holds the headings above it
    (e.g. ``("二、主要措施", "(一)開發殘疾人優質就業崗位")``), ``number`` its own marker (``"(三)"``, ``"1."``)
    or ``""`` for preambles, goals and closing paragraphs.
    """

    id: str
    document_id: str
    region: str
    document_title: str
    section_path: tuple[str, ...]
    number: str
    text: str
    start: int
    end: int
    units: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.section_path)

    def to_dict(self) -> dict[str, object]:
        """The `policyqa clauses --json` record."""
        return {
            "id": self.id,
            "region": self.region,
            "document": self.document_title,
            "section": self.section,
            "clause": self.number,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "units": list(self.units),
        }


@dataclass(frozen=True)
class ClausePart:
    """A piece of a long clause, cut at sentence boundaries for the embedder; keeps its clause id."""

    clause_id: str
    start: int
    end: int

"""The search keys of a clause: Simplified text carrying its context (region, document, section)."""

from __future__ import annotations

from corpus.model import NATIONAL_REGION, Clause
from corpus.parse import UNITS_RE
from corpus.script import to_simplified


def _english_region(region: str) -> str:
    if region == NATIONAL_REGION:
        return "China national"
    from corpus.regions import region_table

    try:
        return region_table().english_name(region)
    except KeyError:
        return ""


def context_header(clause: Clause) -> str:
    """Region (with its English name, for English questions), document title and section headings."""
    english = _english_region(clause.region)
    region = f"{clause.region} {english}" if english else clause.region
    return " ".join(piece for piece in (region, clause.document_title, clause.section) if piece)


def policy_text(text: str) -> str:
    """Clause text without its closing list of responsible units, which every clause shares and no question asks."""
    match = UNITS_RE.search(text)
    return text[: match.start()] if match else text


def bm25_key(clause: Clause) -> str:
    return to_simplified(f"{context_header(clause)} {clause.number}{policy_text(clause.text)}")


def dense_key(clause: Clause, part_text: str) -> str:
    return to_simplified(f"{context_header(clause)}: {policy_text(part_text)}")

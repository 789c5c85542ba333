"""Cut long clauses into parts at sentence boundaries, so each part fits the embedder comfortably."""

from __future__ import annotations

from corpus.model import Clause, ClausePart

# Chinese sentence ends first, then clause-level punctuation; a part never cuts a word in half.
CHINESE_SEPARATORS = [
    "\n",
    "。",
    ";",
    "\uff1b",
    "!",
    "\uff01",
    "?",
    "\uff1f",
    ",",
    "\uff0c",
    "、",
]  # ASCII and fullwidth


def clause_parts(clause: Clause, max_chars: int) -> list[ClausePart]:
    """The clause itself when short enough, else consecutive sentence-aligned parts covering all of it."""
    if len(clause.text) <= max_chars:
        return [ClausePart(clause.id, clause.start, clause.end)]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        separators=CHINESE_SEPARATORS,
        chunk_size=max_chars,
        chunk_overlap=0,
        keep_separator="end",
        strip_whitespace=False,
    )
    parts, cursor = [], 0
    for piece in splitter.split_text(clause.text):
        found = clause.text.find(piece, cursor)
        if found < 0:  # the splitter only cuts, so every piece is found in order; guard against surprises
            raise ValueError(f"part of clause {clause.id} not found in its text")
        parts.append(ClausePart(clause.id, clause.start + found, clause.start + found + len(piece)))
        cursor = found + len(piece)
    return parts

"""Plain-text rendering of an answer for the terminal."""

from __future__ import annotations

from assistant.answer import Answer


def render_answer(answer: Answer) -> str:
    lines = []
    if answer.rewritten != answer.question:
        lines.append(f"(understood as: {answer.rewritten})")
    if answer.message:
        lines.append(answer.message)
    for sentence in answer.sentences:
        marks = "".join(f"[{n}]" for n in sentence.citations)
        lines.append(f"{sentence.text} {marks}")
    if answer.passages:
        lines.append("")
        lines.append("Sources:" if answer.in_scope else "May be related:")
    for passage in answer.passages:
        c = passage.clause
        place = " · ".join(piece for piece in (c.region, f"《{c.document_title}》", c.section, c.number) if piece)
        lines.append(f"[{passage.rank}] {place}  ({c.id})")
        lines.append(f"    {c.text}")
    return "\n".join(lines)

"""Formatting of answers for the chat: everything from the corpus or the user is escaped, never raw HTML."""

from __future__ import annotations

import html

from assistant.answer import Answer, Passage
from corpus.script import to_simplified

ORIGINAL = "原文"
SIMPLIFIED = "简体"


def _text(text: str, script: str) -> str:
    """The words as written, or their Simplified rendering; escaped for HTML either way."""
    return html.escape(to_simplified(text) if script == SIMPLIFIED else text)


def answer_markdown(answer: Answer, script: str) -> str:
    """The chat reply: quoted sentences with their [n] citations, or what the corpus covers."""
    lines = []
    if answer.rewritten != answer.question:
        lines.append(f"*（理解为 / understood as：{html.escape(answer.rewritten)}）*")
    if answer.message:
        lines.append(html.escape(answer.message))
    for sentence in answer.sentences:
        marks = "".join(f'<a href="#source-{n}">[{n}]</a>' for n in sentence.citations)
        lines.append(f"> {_text(sentence.text, script)} {marks}")
    if not answer.passages:
        lines.append("没有找到相关条款。No matching clause was found.")
    elif not answer.in_scope:
        lines.append("下列条款可能相关 / may be related →")
    return "\n\n".join(lines)


def sources_html(answer: Answer | None, script: str) -> str:
    """The sources panel: each passage with region · document · section · clause, units and full text."""
    if answer is None or not answer.passages:
        return '<div id="sources" aria-live="polite"><p>出处将显示在这里。Sources appear here.</p></div>'
    heading = "出处 Sources" if answer.in_scope else "可能相关 May be related"
    items = "".join(_passage_html(passage, script) for passage in answer.passages)
    return f'<div id="sources" aria-live="polite"><h2>{heading}</h2><ol class="sources">{items}</ol></div>'


def _passage_html(passage: Passage, script: str) -> str:
    clause = passage.clause
    place = " · ".join(
        html.escape(piece)
        for piece in (clause.region, f"《{clause.document_title}》", clause.section, clause.number)
        if piece
    )
    units = f"<p class='units'>责任单位：{html.escape('、'.join(clause.units))}</p>" if clause.units else ""
    return (
        f'<li id="source-{passage.rank}" class="source" tabindex="-1">'
        f"<h3>[{passage.rank}] {place}</h3>"
        f"<p class='clause-text'>{_text(clause.text, script)}</p>{units}"
        f"<p class='clause-id'>{html.escape(clause.id)}</p></li>"
    )

"""Formatting of answers for the chat and the sources panel.

Everything from the corpus or the user is escaped and shown as text, never as HTML; the only markup added is the
page's own (paragraphs, quotes, citation links, <mark> around matched words). No gradio here: plain strings in,
HTML strings out.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.answer import Answer, Passage
from corpus.script import to_simplified

ORIGINAL = "原文"
SIMPLIFIED = "简体"
MIN_TERM_CHARS = 2
MAYBE_RELATED = "可能相关 / may be related"
# Who speaks, for screen readers (visually hidden: the chat's layout shows it).
ASKED = "你的问题 Your question："
ANSWERED = "回答 Answer："


@dataclass(frozen=True)
class Turn:
    """One question of the chat and what came back: an Answer, or the message of a question that was refused."""

    question: str
    answer: Answer | None = None
    error: str | None = None
    terms: tuple[str, ...] = ()


def key_terms(search_terms: Iterable[str]) -> tuple[str, ...]:
    """The search terms worth highlighting (Simplified, lower case): two characters or more.

    Longest first, so a longer word is preferred where two overlap. The terms come from the answer, so an English
    question highlights the Chinese words it was translated to.
    """
    terms = {term.lower() for term in search_terms if len(term) >= MIN_TERM_CHARS}
    return tuple(sorted(terms, key=lambda term: (-len(term), term)))


def _search_key(text: str) -> str:
    """The Simplified, lower-case rendering of ``text``, character for character (same length, same offsets)."""
    simplified = to_simplified(text)
    if len(simplified) != len(text):  # to_simplified keeps the length; never highlight at shifted offsets
        return ""
    return "".join(char.lower() if len(char.lower()) == 1 else char for char in simplified)


def matched_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Character ranges of ``text`` where a term occurs, matched on its Simplified key; overlapping ranges merged."""
    key = _search_key(text)
    spans = []
    for term in terms:
        if not term:
            continue
        start = key.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = key.find(term, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def shown(text: str, script: str) -> str:
    """The words as written, or their Simplified rendering (OpenCC); never HTML-escaped here."""
    return to_simplified(text) if script == SIMPLIFIED else text


def highlighted(text: str, terms: Iterable[str], script: str) -> str:
    """``text`` (in the chosen script) escaped for HTML, with <mark> around the matched words.

    Matching is done on the Simplified key; the marks are placed at the same offsets in the text shown, so in
    原文 the original characters are highlighted. Removing the tags and unescaping gives back the text exactly.
    """
    display = shown(text, script)
    pieces, position = [], 0
    for start, end in matched_spans(text, terms):
        pieces.append(html.escape(display[position:start]))
        pieces.append(f"<mark>{html.escape(display[start:end])}</mark>")
        position = end
    pieces.append(html.escape(display[position:]))
    return "".join(pieces)


def source_id(turn: int, rank: int) -> str:
    """The element id of passage ``rank`` of the ``turn``-th question (1-based): ``source-<turn>-<rank>``."""
    return f"source-{turn}-{rank}"


def _cite(turn: int, rank: int) -> str:
    return f'<a class="pq-cite" href="#{source_id(turn, rank)}">[{rank}]</a>'


def _place(passage: Passage, script: str) -> str:
    """region · 《document》 · section · clause number, in the chosen script."""
    clause = passage.clause
    pieces = (clause.region, f"《{clause.document_title}》", clause.section, clause.number)
    return " · ".join(html.escape(shown(piece, script)) for piece in pieces if piece)


# ---- the chat -------------------------------------------------------------------------------------------------


def user_html(question: str) -> str:
    """The user's message, shown literally (markup, Markdown and all)."""
    return f'<p class="pq-question">{_hidden(ASKED)}{html.escape(question)}</p>'


def _hidden(text: str) -> str:
    return f'<span class="pq-sr-only">{html.escape(text)}</span>'


def error_html(message: str) -> str:
    return (
        f'<div class="pq-answer" lang="zh-CN">{_hidden(ANSWERED)}<p class="pq-error">{html.escape(message)}</p></div>'
    )


def answer_html(answer: Answer, script: str, turn: int) -> str:
    """The chat reply: the quoted sentences with [n] citations (grouped by region when several were asked), or
    the message saying what the corpus covers and the passages that may be related."""
    lines = []
    if answer.rewritten != answer.question:
        lines.append(f'<p class="pq-understood">理解为 / understood as：{html.escape(answer.rewritten)}</p>')
    if answer.message:
        lines.append(f'<p class="pq-message">{html.escape(answer.message)}</p>')
    grouped = len(answer.regions) > 1  # several regions asked: each region's sentences under its name
    region = None
    quotes: list[str] = []
    for sentence in answer.sentences:
        if grouped and sentence.region != region:
            if quotes:
                lines.append(_quote(quotes))
                quotes = []
            region = sentence.region
            if region:
                lines.append(f'<p class="pq-region"><strong>{html.escape(region)}</strong></p>')
        marks = " ".join(_cite(turn, n) for n in sentence.citations)
        quotes.append(f"<p>{html.escape(shown(sentence.text, script))} {marks}</p>")
    if quotes:
        lines.append(_quote(quotes))
    if not answer.passages:
        lines.append('<p class="pq-none">没有找到相关条款。No matching clause was found.</p>')
    elif not answer.in_scope:
        items = "".join(f"<li>{_cite(turn, p.rank)} {_place(p, script)}</li>" for p in answer.passages)
        lines.append(f'<p class="pq-maybe">下列条款{MAYBE_RELATED}：</p><ul class="pq-maybe-list">{items}</ul>')
    return f'<div class="pq-answer" lang="zh-CN">{_hidden(ANSWERED)}{"".join(lines)}</div>'


def _quote(paragraphs: Sequence[str]) -> str:
    return f'<blockquote class="pq-quote">{"".join(paragraphs)}</blockquote>'


def chat_messages(turns: Sequence[Turn], script: str) -> list[dict[str, str]]:
    """The whole conversation as Chatbot messages; earlier messages come out the same unless the script changes."""
    messages = []
    for number, turn in enumerate(turns, start=1):
        if turn.question.strip():
            messages.append({"role": "user", "content": user_html(turn.question)})
        if turn.answer is not None:
            messages.append({"role": "assistant", "content": answer_html(turn.answer, script, number)})
        else:
            messages.append({"role": "assistant", "content": error_html(turn.error or "")})
    return messages


# ---- the sources panel ----------------------------------------------------------------------------------------

EMPTY_SOURCES = "出处将显示在这里。Sources appear here."


def sources_html(turns: Sequence[Turn], script: str) -> str:
    """The sources panel: every cited clause of the latest answer in full, earlier answers' clauses folded below.

    Each clause shows region · document · section · clause number, the responsible units, the full text with the
    question's words marked, and its id. The first line is a short live status that says what changed.
    """
    answered = [(number, turn) for number, turn in enumerate(turns, start=1) if turn.answer is not None]
    if not answered:
        body = f'<p class="pq-empty">{EMPTY_SOURCES}</p>'
        status = ""
    else:
        (number, latest), earlier = answered[-1], answered[:-1]
        status = _status(latest.answer)
        body = _turn_sources(number, latest, script, level=3)
        if earlier:
            folded = "".join(_folded(n, turn, script) for n, turn in reversed(earlier))
            body += f'<h3 class="pq-earlier">之前的问题 Earlier questions</h3>{folded}'
    return (
        '<section id="sources" class="pq-sources" lang="zh-CN" tabindex="0" aria-labelledby="sources-heading">'
        '<h2 id="sources-heading">出处 Sources</h2>'
        f'<p id="sources-status" class="pq-status" role="status" aria-live="polite">{html.escape(status)}</p>'
        f"{body}</section>"
    )


def _status(answer: Answer) -> str:
    count = len(answer.passages)
    if not count:
        return "没有找到相关条款。No matching clause."
    if not answer.in_scope:
        return f"{count} 条条款{MAYBE_RELATED}。"
    return f"{count} 条出处 / {count} sources。"


def _turn_sources(number: int, turn: Turn, script: str, level: int, latest: bool = True) -> str:
    """The clauses of one answer; ``level`` is the heading level of each clause's title."""
    answer = turn.answer
    assert answer is not None
    items = "".join(
        _passage_html(number, passage, turn.terms, script, level, answer.in_scope) for passage in answer.passages
    )
    asked = f'<p class="pq-asked">问题 Question：{html.escape(answer.question)}</p>' if latest else ""
    return f'<div class="pq-turn" data-turn="{number}">{asked}<ol class="pq-list">{items}</ol></div>'


def _folded(number: int, turn: Turn, script: str) -> str:
    summary = f"第 {number} 问 Question {number}：{html.escape(turn.question)}"
    sources = _turn_sources(number, turn, script, 4, latest=False)
    return f'<details class="pq-folded"><summary>{summary}</summary>{sources}</details>'


def _passage_html(turn: int, passage: Passage, terms: Sequence[str], script: str, level: int, in_scope: bool) -> str:
    clause = passage.clause
    maybe = "" if in_scope else f'<p class="pq-maybe">{MAYBE_RELATED}</p>'
    element = source_id(turn, passage.rank)
    units = (
        f'<p class="pq-units">责任单位 Responsible units：{html.escape(shown("、".join(clause.units), script))}</p>'
        if clause.units
        else ""
    )
    return (
        f'<li id="{element}" class="pq-source" tabindex="-1" aria-labelledby="{element}-title">'
        f'<h{level} id="{element}-title" class="pq-place">[{passage.rank}] {_place(passage, script)}</h{level}>{maybe}'
        f'<p class="pq-clause">{highlighted(clause.text, terms, script)}</p>{units}'
        f'<p class="pq-id">{html.escape(clause.id)}</p></li>'
    )

"""Event handlers of the chat: turn UI state into Assistant calls and back.

The conversation lives in a gr.State as a list of Turns (question + Answer, or the message of a refused
question); the chat and the sources panel are both rendered from it, so switching 原文/简体 re-renders the
answers without asking again.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from assistant.api import Assistant
from assistant.settings import Settings
from corpus.errors import InputError
from ui.render import Turn, chat_messages, key_terms, sources_html

ALL_REGIONS = "全部"
# Earlier questions passed to the Assistant for follow-ups ("那吉林呢?"), the most recent last.
HISTORY_TURNS = 5

Outputs = tuple[list[dict[str, str]], str, str, list[Turn]]


class ChatHandlers:
    """Holds the Assistant; each method is one event of the page."""

    def __init__(self, assistant: Assistant, settings: Settings | None = None) -> None:
        """``settings`` enable uploads: documents are added to that corpus and index."""
        self.assistant = assistant
        self.settings = settings

    def add_document(self, path: str | None, region: str, title: str) -> tuple[str, list[str]]:
        """Add an uploaded file to the corpus and the index, then answer from the new index.

        Returns a status line (escaped text) and the region choices, which may now include a new region.
        """
        from assistant.ingest import add_documents

        if self.settings is None:
            return "此服务未开放上传。Uploads are turned off on this server.", self.region_choices()
        if not path:
            return "请先选择文件。Choose a file first.", self.region_choices()
        try:
            outcome = add_documents(
                self.settings, [Path(path)], region=(region or "").strip() or None, title=(title or "").strip() or None
            )[0]
        except InputError as error:
            return html.escape(f"未添加 Not added: {error}"), self.region_choices()
        if not outcome.added:
            return html.escape(f"已在语料中 Already in the corpus: {outcome.document_id}"), self.region_choices()
        self.assistant = Assistant.load(settings=self.settings, progress=False)
        return (
            html.escape(
                f"已添加 Added {outcome.document_id}: {outcome.region} 《{outcome.title}》, {outcome.clauses} 条"
            ),
            self.region_choices(),
        )

    def region_choices(self) -> list[str]:
        return [ALL_REGIONS, *self.assistant.covered_regions]

    def submit(self, question: str, turns: Sequence[Turn] | None, region: str, k: float, script: str) -> Outputs:
        """Answer ``question`` in the context of the chat so far.

        Returns the chat, the sources panel, the question box (emptied once answered, kept when refused so it
        can be corrected) and the new list of turns.
        """
        turns = list(turns or [])
        question = question or ""
        history = [turn.question for turn in turns if turn.answer is not None][-HISTORY_TURNS:]
        try:
            answer = self.assistant.ask(
                question, k=int(k), region=None if region in (None, "", ALL_REGIONS) else region, history=history
            )
        except InputError as error:
            turns.append(Turn(question, error=str(error)))
            return chat_messages(turns, script), sources_html(turns, script), question, turns
        terms = key_terms(answer.terms)
        turns.append(Turn(question, answer=answer, terms=terms))
        return chat_messages(turns, script), sources_html(turns, script), "", turns

    def rescript(self, turns: Sequence[Turn] | None, script: str) -> tuple[list[dict[str, str]], str]:
        """The same answers in the other script (原文 or 简体): nothing is asked again."""
        turns = list(turns or [])
        return chat_messages(turns, script), sources_html(turns, script)

    def clear(self) -> Outputs:
        """A new chat: no history, no sources."""
        return [], sources_html([], ""), "", []

    def ask_api(self, question: str, region: str | None = None, k: int = 5, history: list[str] | None = None) -> dict:
        """The `/ask` endpoint: the `ask --json` object."""
        region = None if region in (None, "", ALL_REGIONS) else region
        return self.assistant.ask(question, k=int(k), region=region, history=history or []).to_dict()

"""Event handlers of the chat: turn UI state into Assistant calls and back."""

from __future__ import annotations

import html
from typing import Any

from assistant.api import Assistant
from corpus.errors import InputError
from ui.render import answer_markdown, sources_html

ALL_REGIONS = "全部"


class ChatHandlers:
    """Holds the Assistant; each method is one event of the page."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def region_choices(self) -> list[str]:
        return [ALL_REGIONS, *self.assistant.covered_regions]

    def submit(
        self, question: str, chat: list[dict[str, Any]], region: str, k: float, script: str
    ) -> tuple[list[dict[str, Any]], str, str]:
        """Answer the question in the context of the chat so far; returns chat, sources panel, cleared box."""
        chat = list(chat or [])
        history = [m["content"] for m in chat if m.get("role") == "user" and isinstance(m.get("content"), str)]
        earlier = [_plain(text) for text in history]
        try:
            answer = self.assistant.ask(
                question, k=int(k), region=None if region == ALL_REGIONS else region, history=earlier[-5:]
            )
        except InputError as error:
            chat += [_user(question), {"role": "assistant", "content": html.escape(str(error))}]
            return chat, sources_html(None, script), question
        chat += [_user(question), {"role": "assistant", "content": answer_markdown(answer, script)}]
        return chat, sources_html(answer, script), ""

    def ask_api(self, question: str, region: str | None = None, k: int = 5, history: list[str] | None = None) -> dict:
        """The `/ask` endpoint: the `ask --json` object."""
        region = None if region in (None, "", ALL_REGIONS) else region
        return self.assistant.ask(question, k=int(k), region=region, history=history or []).to_dict()


def _user(question: str) -> dict[str, str]:
    # Shown as text: escaped so a question such as <img onerror=…> is displayed, never run.
    return {"role": "user", "content": html.escape(question)}


def _plain(shown: str) -> str:
    return html.unescape(shown)

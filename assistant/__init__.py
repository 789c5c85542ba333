"""policyqa's assistant layer: question understanding, retrieval, cited answers, the API and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.api import Assistant

__all__ = ["Assistant"]


def __getattr__(name: str):
    if name == "Assistant":
        from assistant.api import Assistant

        return Assistant
    raise AttributeError(name)

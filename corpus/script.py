"""Simplified/Traditional handling with OpenCC: search keys in Simplified, display text untouched."""

from __future__ import annotations

import re
from functools import lru_cache

import opencc

CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """The Simplified rendering of ``text``, with the same length, so offsets carry over.

    OpenCC converts phrase by phrase and may, rarely, change the length; then each character is converted
    on its own, which keeps the one-to-one alignment search and offsets rely on.
    """
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(_single(char) for char in text)


@lru_cache(maxsize=65536)
def _single(char: str) -> str:
    converted = _converter().convert(char)
    return converted if len(converted) == 1 else char


def detect_script(text: str) -> str:
    """``zh-Hant``, ``zh-Hans`` or ``en`` (no Chinese characters at all)."""
    if not CJK_RE.search(text):
        return "en"
    return "zh-Hant" if _converter().convert(text) != text else "zh-Hans"

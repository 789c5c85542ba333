"""The marker grammar of Chinese official documents: 第X章, 第X条, 一、, (一), 1., (1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

CHINESE_DIGITS = "一二三四五六七八九十百零〇两"

# What ends a sentence, ASCII and fullwidth (；！？); a heading holds none of them (corpus/parse.py).
SENTENCE_MARKS = "。;\uff1b!\uff01?\uff1f"
# Markers may stand at the start of a line, or mid-line right after a sentence end or a closing bracket (ASCII or
# fullwidth): the source glues a heading or the next clause onto the end of a clause ("…各區政府)三、注重賦能增技").
SENTENCE_ENDS = SENTENCE_MARKS + ")\uff09"


class Level(IntEnum):
    """Marker kinds, outermost first; the order is the nesting order in Chinese official documents."""

    CHAPTER = 1  # 第一章
    ARTICLE = 2  # 第一条
    SECTION = 3  # 一、
    CLAUSE = 4  # (一)
    ITEM = 5  # 1.
    SUBITEM = 6  # (1)


_MARKER_PATTERNS: tuple[tuple[Level, str], ...] = (
    (Level.CHAPTER, rf"第(?P<n1>[{CHINESE_DIGITS}\d]+)章"),
    (Level.ARTICLE, rf"第(?P<n2>[{CHINESE_DIGITS}\d]+)[条條]"),
    (Level.SECTION, rf"(?P<n3>[{CHINESE_DIGITS}]+)、"),
    (Level.CLAUSE, rf"[(\uff08](?P<n4>[{CHINESE_DIGITS}]+)[)\uff09]"),  # (一) or （一）
    # "2.5萬人" and "2025.6" are numbers, not markers: a digit may not follow the dot.
    (Level.ITEM, r"(?P<n5>\d{1,3})[.．、](?!\d)"),
    (Level.SUBITEM, r"[(\uff08](?P<n6>\d{1,3})[)\uff09]"),
)
MARKER_RE = re.compile("|".join(f"(?:{pattern})" for _, pattern in _MARKER_PATTERNS))


@dataclass(frozen=True)
class Marker:
    """A numbering marker found in a line: its kind, its value and where it stands."""

    level: Level
    number: int
    text: str
    start: int
    end: int


@lru_cache(maxsize=512)
def numeral_value(numeral: str) -> int | None:
    """The value of a marker's numeral, Chinese (二十三) or Arabic (23); None when it is not a well-formed number."""
    if numeral.isdigit():
        return int(numeral)
    import cn2an  # imported here: only parsing needs it, and it costs 0.2 s to import

    try:
        return int(cn2an.cn2an(numeral, "strict"))
    except ValueError:  # "十十", "二二": characters of numerals that do not make one
        return None


def find_markers(line: str) -> list[Marker]:
    """Every marker-shaped match in a line that stands at its start or right after a sentence end."""
    markers = []
    for match in MARKER_RE.finditer(line):
        start = match.start()
        before = line[:start].rstrip()
        if before and before[-1] not in SENTENCE_ENDS:
            continue
        group = next(name for name, value in match.groupdict().items() if value is not None)
        number = numeral_value(match.group(group))
        if number is not None:
            markers.append(Marker(Level(int(group[1:])), number, match.group(0), start, match.end()))
    return markers


class NumberingState:
    """Tracks the last number seen at each level, to accept only markers that continue the sequence.

    A marker at the start of a line is always accepted. A marker glued mid-line is accepted only when it
    continues its level (n = last + 1) or opens a level anew (n = 1 after an outer level moved on), so
    "(二)" after "(一)" splits, while a stray "(三)" in running text does not.
    """

    def __init__(self) -> None:
        self._last: dict[Level, int] = {}
        self._restartable: set[Level] = set(Level)

    def accepts(self, marker: Marker, at_line_start: bool) -> bool:
        if at_line_start:
            return True
        if marker.number == self._last.get(marker.level, 0) + 1:
            return True
        return marker.number == 1 and marker.level in self._restartable

    def advance(self, marker: Marker) -> None:
        self._last[marker.level] = marker.number
        self._restartable.discard(marker.level)
        self._restartable.update(level for level in Level if level > marker.level)

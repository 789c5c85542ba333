"""English → Chinese lookup from CC-CEDICT restricted to the corpus vocabulary."""

from __future__ import annotations

import pytest

from index.translation import (
    build_translation_table,
    dictionary_entries,
    english_terms,
    translate,
    translation_groups,
)


@pytest.fixture(scope="module")
def table():
    return build_translation_table(["盲人", "按摩", "诊所", "国有企业", "国有", "企业", "贷款", "补贴", "福建"])


def test_english_terms_are_stemmed_content_words():
    assert english_terms("What support does a blind massage clinic receive?") == [
        "support",
        "blind",
        "massag",
        "clinic",
    ]
    assert english_terms("blind people") == ["blind", "person"]
    # A possessive is not the letter S (CC-CEDICT's entries for "S" are noise to a question).
    assert english_terms("Fujian's job centres’ rules") == english_terms("Fujian job centres rules")
    assert english_terms("Fujian’s plan") == ["fujian", "plan"]
    # "plans to nurture" is an intention: its 计划/方案 drew a clause naming a programme (holdout81 cj40). The
    # document keeps its word.
    assert english_terms("Which of them plans to nurture fledgling firms?") == english_terms(
        "Which nurture fledgling firms?"
    )
    assert "plan" not in english_terms("Do Jilin and Fujian plan to pool records?")
    for noun in ("obliged by the plan to hire", "any plan to train", "Fujian's plan to hire", "a plan to hire"):
        assert "plan" in english_terms(noun)
    # Words that ask rather than say what is asked, and contractions' stems, are no search terms.
    assert english_terms("I want something like a loan but it hasn't come") == ["loan", "come"]
    # Irregular plurals meet the dictionary's singular.
    assert english_terms("disabled women and children") == english_terms("disabled woman and child")


def test_words_map_to_corpus_tokens_only(table):
    weights = translate(english_terms("blind massage clinic loan subsidy"), table)
    assert {"按摩", "诊所", "贷款", "补贴", "盲人"} <= set(weights)
    assert all(
        token in {"盲人", "按摩", "诊所", "国有企业", "国有", "企业", "贷款", "补贴", "福建"} for token in weights
    )


def test_a_known_phrase_wins_over_its_words(table):
    weights = translate(english_terms("state-owned enterprise"), table)
    assert weights.get("国有企业") == 1.0


def test_each_term_keeps_its_alternative_translations_together(table):
    groups = translation_groups(english_terms("blind massage for state-owned enterprise xylophone"), table)
    assert [sorted(group) for group in groups] == [["盲人"], ["按摩"], ["国有企业"]]
    assert translate(english_terms("blind massage"), table) == {
        word: weight
        for group in translation_groups(english_terms("blind massage"), table)
        for word, weight in group.items()
    }


def test_unknown_words_translate_to_nothing(table):
    assert translate(english_terms("xylophone quantum"), table) == {}


def test_the_parsed_dictionary_is_cached_and_a_damaged_cache_is_rebuilt(table, tmp_path):
    vocabulary = ["盲人", "按摩", "诊所", "国有企业", "国有", "企业", "贷款", "补贴", "福建"]
    assert build_translation_table(vocabulary, tmp_path) == table
    (cache_file,) = tmp_path.glob("cedict-*.marshal")
    assert build_translation_table(vocabulary, tmp_path) == table  # now read from the cache
    cache_file.write_bytes(cache_file.read_bytes()[:1000])  # a cut-off cache, as a full disk might leave it
    assert build_translation_table(vocabulary, tmp_path) == table
    assert len(dictionary_entries(tmp_path)) > 100_000
    assert [path.name for path in tmp_path.iterdir()] == [cache_file.name]  # no partial files left

"""Fusion and retrieval logic on hand-made rankings and a small synthetic corpus with a fake embedder."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SMALL_DOCUMENTS, HashingEmbedder, clause_containing, write_document

from assistant.api import Assistant
from assistant.retrieve import RRF_K, Hit, interleave, reciprocal_rank_fusion, top_hits
from index.build import build_index
from index.search_index import open_index
from index.tokens import SearchTokenizer


def test_rrf_adds_reciprocal_ranks_with_the_named_constant():
    fused = reciprocal_rank_fusion([[Hit(1, 9.0), Hit(2, 8.0)], [Hit(2, 0.9), Hit(3, 0.8)]])
    assert [hit.row for hit in fused] == [2, 1, 3]
    assert fused[0].score == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert fused[1].score == pytest.approx(1 / (RRF_K + 1))


def test_rrf_breaks_ties_by_row():
    fused = reciprocal_rank_fusion([[Hit(7, 1.0)], [Hit(3, 1.0)]])
    assert [hit.row for hit in fused] == [3, 7]


def test_interleave_takes_each_region_in_turn_without_repeats():
    merged = interleave([[Hit(1, 1), Hit(2, 1), Hit(3, 1)], [Hit(9, 1), Hit(2, 1)], [Hit(5, 1)]], k=5)
    assert [hit.row for hit in merged] == [1, 9, 5, 2, 3]


def chances(*scores: float, first_row: int) -> list[Hit]:
    """A rescored region's ranking: consecutive rows, scores read as probabilities."""
    return [Hit(first_row + i, score, probability=True) for i, score in enumerate(scores)]


def test_later_places_go_to_the_region_likeliest_to_need_another_passage():
    shanghai, jilin, fujian = (
        chances(0.99, 0.02, first_row=10),
        chances(0.98, 0.08, first_row=20),
        chances(0.99, 0.49, first_row=30),
    )
    national = [Hit(1, 0.06), Hit(2, 0.05)]  # fusion scores: too short to rescore, so it keeps its turn
    merged = interleave([shanghai, jilin, fujian, national], k=5, keep_place={3})
    assert [hit.row for hit in merged] == [10, 20, 30, 1, 31]
    # An unsure first counts as much as a likely second: (1 - 0.4)·0.3 beats (1 - 0.99)·0.35.
    merged = interleave([chances(0.99, 0.35, first_row=10), chances(0.4, 0.3, first_row=20)], k=3)
    assert [hit.row for hit in merged] == [10, 20, 21]


def test_round_robin_stands_when_a_ranking_was_not_rescored():
    rescored, fused = chances(0.99, 0.02, first_row=10), [Hit(20, 0.03), Hit(21, 0.02)]
    assert [hit.row for hit in interleave([rescored, fused], k=4)] == [10, 20, 11, 21]
    assert [hit.row for hit in interleave([fused, rescored], k=4)] == [20, 10, 21, 11]


def test_top_hits_keeps_positive_scores_in_allowed_rows():
    scores = np.array([0.0, 2.0, 5.0, 2.0, 1.0], dtype=np.float32)
    assert [h.row for h in top_hits(scores, 10, None)] == [2, 1, 3, 4]
    assert [h.row for h in top_hits(scores, 10, [0, 3, 4])] == [3, 4]


@pytest.fixture(scope="module")
def small_assistant(tmp_path_factory):
    """Built once for the module: the tests only read it."""
    root = tmp_path_factory.mktemp("small")
    corpus_dir = root / "corpus"
    for doc_id, (region, title, text) in SMALL_DOCUMENTS.items():
        write_document(corpus_dir, doc_id, region, title, text)
    embedder = HashingEmbedder()
    build_index(corpus_dir, root / "index", embedder, root / "cache", progress=False)
    index = open_index(root / "index", embedder.id, corpus_dir)
    return Assistant(index, embedder, SearchTokenizer(root / "cache"))


@pytest.mark.parametrize("retriever", ["bm25", "dense", "hybrid"])
def test_every_retriever_stays_inside_the_query_regions(small_assistant, retriever):
    from assistant.query import understand

    query = understand("福建盲人按摩有什么扶持", small_assistant.covered_regions)
    hits = small_assistant.retrievers[retriever].search(query, 5)
    assert hits and {small_assistant.index.clauses[hit.row].region for hit in hits} == {"福建"}


def test_a_named_region_restricts_the_shipped_configuration_only(small_assistant):
    shipped = small_assistant.ask("福建盲人按摩有什么扶持", k=5)
    assert shipped.regions == ("福建",) and {p.clause.region for p in shipped.passages} == {"福建"}
    plain = small_assistant.ask("福建盲人按摩有什么扶持", k=5, configuration="hybrid-no-regions")
    assert plain.regions == () and len({p.clause.region for p in plain.passages}) > 1


def test_each_region_question_interleaves_all_regions(small_assistant):
    answer = small_assistant.ask("各地对盲人按摩有什么政策", k=3)
    assert answer.regions == ("上海", "吉林", "福建")
    assert [p.clause.region for p in answer.passages] == ["上海", "吉林", "福建"]


def test_an_unknown_configuration_is_bad_input(small_assistant):
    from corpus.errors import InputError

    with pytest.raises(InputError, match="unknown configuration"):
        small_assistant.ask("盲人按摩", configuration="bm26")


def test_traditional_and_simplified_questions_return_the_same_ids(small_assistant):
    simplified = small_assistant.ask("盲人医疗按摩诊所资金扶持", k=5)
    traditional = small_assistant.ask("盲人醫療按摩診所資金扶持", k=5)
    assert [p.clause.id for p in simplified.passages] == [p.clause.id for p in traditional.passages]
    assert simplified.passages[0].clause.id == "gamma-1-1"


def test_an_uncovered_region_is_out_of_scope_with_a_message(small_assistant):
    answer = small_assistant.ask("北京对盲人按摩有补贴吗")
    assert answer.in_scope is False and answer.regions == ()
    assert answer.message == "语料中没有北京的方案；现有：上海、吉林、福建"


def test_follow_up_with_a_new_region_rewrites_the_previous_question(small_assistant):
    answer = small_assistant.ask("那吉林呢?", history=["福建对盲人医疗按摩诊所有哪些扶持?"])
    assert answer.rewritten == "吉林对盲人医疗按摩诊所有哪些扶持?"
    assert answer.regions == ("吉林",)


def test_answer_quotes_a_verbatim_sentence_of_the_cited_passage(small_assistant):
    answer = small_assistant.ask("福建盲人医疗按摩诊所资金扶持")
    sentence = answer.sentences[0]
    assert sentence.citations == (1,)
    assert sentence.text in answer.passages[0].clause.text


def test_character_pairs_ignore_word_boundaries(tmp_path):
    tokenizer = SearchTokenizer(tmp_path / "cache")
    assert tokenizer.bigrams("非遺傳承 盲") == ["非遗", "遗传", "传承", "盲"]
    assert tokenizer.bigrams("blind") == []


@pytest.mark.parametrize("question", ["福建盲人按摩诊所扶持", "Fujian blind massage clinic"])
def test_bigram_retriever_finds_the_clause_in_both_languages(small_assistant, question):
    from assistant.query import understand
    from assistant.retrieve import BM25Retriever

    retriever = BM25Retriever(small_assistant.index, small_assistant.tokenizer, bigrams=True)
    query = understand(question, small_assistant.covered_regions)
    assert retriever.search(query, 3)[0].row == next(
        row for row, clause in enumerate(small_assistant.index.clauses) if clause.id == "gamma-1-1"
    )


def test_alternative_translations_of_one_english_word_count_once(tmp_path):
    """A clause that holds three dictionary translations of "support" must not outrank one that holds "support"
    and "clinic": the alternatives of one word are one search term (Pirkola's structured query)."""
    from types import SimpleNamespace

    from assistant.query import understand
    from assistant.retrieve import BM25Retriever
    from index.bm25 import BM25Index

    texts = [["支持", "援助", "赞助", "帮扶"], ["支持", "诊所", "帮扶", "工作"], ["工作", "帮扶"], ["工作", "就业"]]
    index = SimpleNamespace(
        clauses=[None] * len(texts),
        bm25=BM25Index.build(texts),
        translations={"support": [["支持", 1.0], ["援助", 1.0], ["赞助", 1.0]], "clinic": [["诊所", 1.0]]},
        clause_rows_by_region={},
    )
    retriever = BM25Retriever(index, SearchTokenizer(tmp_path))
    query = understand("support for a clinic", ["福建"])
    assert query.expansion == ""
    scores = retriever.scores(query)
    assert scores[1] > scores[0] > 0
    assert [hit.row for hit in retriever.search(query, 2)] == [1, 0]


def test_neighbouring_english_words_match_the_documents_phrase_where_their_translations_meet(tmp_path):
    """ "Employment Assistance Month": 就业|援助|月 meet as 业援 and 助月 in a clause that writes 就业援助月, and in
    no clause that holds the three words apart; pairs the documents lack are not searched."""
    from types import SimpleNamespace

    from assistant.query import understand
    from assistant.retrieve import BM25Retriever
    from index.bm25 import BM25Index

    tokenizer = SearchTokenizer(tmp_path)
    texts = ["依托就业援助月宣传政策", "援助资金按月发放,促进就业", "残疾人就业"]
    index = SimpleNamespace(
        clauses=[None] * len(texts),
        bm25=BM25Index.build([tokenizer.tokens(text) for text in texts]),
        bm25_bigrams=BM25Index.build([tokenizer.bigrams(text) for text in texts]),
        translations={"employ": [["就业", 1.0]], "assist": [["援助", 1.0], ["帮助", 0.5]], "month": [["月", 1.0]]},
        clause_rows_by_region={},
        lexicon=None,
    )
    retriever = BM25Retriever(index, tokenizer, bigrams=True)
    groups = retriever.english_groups(understand("the Employment Assistance Month", ["上海"]))
    assert groups[-2:] == [{"业援": 1.0}, {"助月": 1.0}]  # 业帮 and 助月's 帮 forms: not in the documents
    scores = retriever.scores(understand("the Employment Assistance Month", ["上海"]))
    assert scores[0] > scores[1] > 0


def test_an_english_question_searches_the_chinese_words_it_quotes(tmp_path):
    from types import SimpleNamespace

    from assistant.query import understand
    from assistant.retrieve import BM25Retriever
    from index.bm25 import BM25Index

    tokenizer = SearchTokenizer(tmp_path)
    texts = ["认定为事业单位的医院", "残疾人就业"]
    index = SimpleNamespace(
        clauses=[None] * len(texts),
        bm25=BM25Index.build([tokenizer.tokens(text) for text in texts]),
        translations={"hospit": [["医院", 1.0]]},
        clause_rows_by_region={},
        lexicon=None,
    )
    query = understand("I work for a hospital (a 事业单位) — what applies?", ["吉林"])
    assert query.language == "en"
    groups = BM25Retriever(index, tokenizer).english_groups(query)
    assert {"事业单位": 1.0} in groups and {"医院": 1.0} in groups
    # holdout71 bz02: a number written into the quoted Chinese is a word of it ("2.5万" in Jilin's goals).
    quoted_number = understand("What's the 2.5万 figure in Jilin's plan about?", ["吉林"])
    assert {"2.5": 1.0} in BM25Retriever(index, tokenizer).english_groups(quoted_number)


def test_a_chinese_questions_glossary_terms_count_half_of_its_own_words(tmp_path):
    from types import SimpleNamespace

    from assistant.query import understand
    from assistant.retrieve import GLOSSARY_WEIGHT, BM25Retriever
    from index.bm25 import BM25Index

    bm25 = BM25Index.build([["劳务", "派遣"], ["企业"]])
    index = SimpleNamespace(clauses=[None, None], bm25=bm25, bm25_bigrams=bm25, translations={})
    tokenizer = SearchTokenizer(tmp_path)
    query = understand("吉林会不会请劳务派遣公司帮残疾人找工作?", ["吉林"])
    assert "企业" in query.expansion  # 公司 → 企业 用人单位
    weights = BM25Retriever(index, tokenizer).weighted_tokens(query)
    assert weights["派遣"] == 1.0 and weights["公司"] == 1.0
    assert weights["企业"] == weights["用人单位"] == GLOSSARY_WEIGHT == 0.5
    pairs = BM25Retriever(index, tokenizer, bigrams=True).weighted_tokens(query)
    assert pairs["派遣"] == 1.0 and pairs["企业"] == GLOSSARY_WEIGHT


def test_an_english_questions_dense_text_is_its_chinese_words_then_its_own(small_assistant):
    from assistant.query import understand

    dense = small_assistant.dense
    query = understand("What support do blind massage clinics get in Fujian?", small_assistant.covered_regions)
    text = dense.query_text(query)
    chinese = text.removesuffix(query.topic).strip()
    assert text.endswith(query.topic) and "Fujian" not in text  # its own words, without the region's name
    assert chinese and all("\u4e00" <= character <= "\u9fff" or character == " " for character in chinese), text
    # Nothing the dictionary translates: the question as it is, once.
    untranslatable = understand("Xylophone zeppelin quixotic?", small_assistant.covered_regions)
    assert dense.query_text(untranslatable) == untranslatable.key
    # Chinese questions are untouched: their key and glossary terms.
    chinese_query = understand("福建盲人按摩有什么扶持", small_assistant.covered_regions)
    assert dense.query_text(chinese_query) == f"{chinese_query.key} {chinese_query.expansion}".strip()


@pytest.mark.slow
def test_english_words_in_the_dense_query_find_what_the_dictionary_cannot_translate(real_assistant):
    """End to end, real corpus, embedder and FAISS, without the embedded lexicon: "championship" has no dictionary
    translation to a corpus word, and the word-by-word text alone found no skills competition in the top 10; the
    question's own English words, embedded after its Chinese words, put both competitions clauses in the top 5."""
    from dataclasses import replace

    question = "My nephew is a deaf carpenter. Is there some championship he could enter, in Shanghai, Jilin or Fujian?"
    without_lexicon = Assistant(
        replace(real_assistant.index, lexicon=None), real_assistant.embedder, real_assistant.tokenizer
    )
    competitions = {
        clause_containing(real_assistant, "舉辦殘疾人職業技能競賽"),
        clause_containing(real_assistant, "舉辦全省殘疾人職業技能競賽"),
    }
    found = [p.clause.id for p in without_lexicon.ask(question, k=5).passages]
    assert competitions <= set(found), found


def test_an_unknown_compound_is_searched_by_the_document_words_inside_it(tmp_path):
    from types import SimpleNamespace

    from assistant.query import understand
    from assistant.retrieve import BM25Retriever
    from index.bm25 import BM25Index

    # jieba keeps 网红主播 whole (主播 has frequency 0 in its dictionary), so without its parts it matches nothing
    # (holdout59 bn03: "培養身障網紅主播").
    tokenizer = SearchTokenizer(tmp_path)
    assert "网红主播" in tokenizer.tokens("培养身障网红主播") and "主播" not in tokenizer.tokens("培养身障网红主播")
    bm25 = BM25Index.build([["培育", "励志", "主播"], ["烟草专卖", "部门"], ["助视"], ["ai", "数据"]])
    index = SimpleNamespace(clauses=[None] * 4, bm25=bm25, bm25_bigrams=bm25, translations={})
    retriever = BM25Retriever(index, tokenizer)
    weights = retriever.weighted_tokens(understand("上海怎么培养身障网红主播？", ["上海"]))
    assert weights["主播"] == 1.0
    # The longest known parts only, and nothing for a word the documents use.
    assert retriever.vocabulary_parts("烟草专卖局") == ["烟草专卖"]
    assert retriever.vocabulary_parts("主播") == []
    assert retriever.vocabulary_parts("网红") == []
    assert retriever.vocabulary_parts("email") == []  # letters of a Latin word are no word of it

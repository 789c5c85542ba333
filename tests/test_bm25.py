"""BM25Index over bm25s: the document frequency read from its sparse matrix matches a count of the documents."""

from __future__ import annotations

import numpy as np
import pytest

from index.bm25 import BM25Index

DOCUMENTS = [["盲人", "按摩", "补贴"], ["盲人", "就业"], ["就业", "见习", "就业"], ["补贴"]]


def test_document_frequency_counts_documents_not_occurrences_and_unknown_words_are_zero(tmp_path):
    index = BM25Index.build(DOCUMENTS)
    for loaded in (index, _saved_and_loaded(index, tmp_path)):
        expected = {token: sum(token in doc for doc in DOCUMENTS) for doc in DOCUMENTS for token in doc}
        assert {token: loaded.document_frequency(token) for token in expected} == expected
        assert loaded.document_frequency("不存在") == 0
        assert loaded.document_frequency("") == 0
        for token in expected:
            assert loaded.document_frequency(token) == np.count_nonzero(loaded.scores([token]))


def _saved_and_loaded(index: BM25Index, tmp_path) -> BM25Index:
    index.save(tmp_path / "bm25")
    return BM25Index.load(tmp_path / "bm25")


def test_loaded_scores_equal_bm25s_own_for_every_word_and_for_whole_queries(tmp_path):
    import bm25s

    from corpus.loader import default_corpus_dir
    from index.build import parse_corpus
    from index.keys import bm25_key
    from index.tokens import SearchTokenizer

    tokenizer = SearchTokenizer(tmp_path / "cache")
    documents = [tokenizer.tokens(bm25_key(clause)) for clause in parse_corpus(default_corpus_dir())]
    BM25Index.build(documents).save(tmp_path / "bm25")
    ours = BM25Index.load(tmp_path / "bm25")
    theirs = bm25s.BM25.load(str(tmp_path / "bm25"), allow_pickle=False, show_progress=False)
    words = sorted(word for word in theirs.vocab_dict if word)
    assert len(words) > 500
    for word in words:
        assert np.array_equal(ours.scores([word]), theirs.get_scores([word])), word
    for query in (words[:7], words[100:140], ["盲人", "按摩", "不存在"]):
        known = [word for word in query if word in theirs.vocab_dict]
        assert np.allclose(ours.scores(query), theirs.get_scores(known), rtol=1e-6, atol=1e-6)


def test_a_bm25_folder_from_another_scoring_method_is_refused(tmp_path):
    BM25Index.build(DOCUMENTS).save(tmp_path / "bm25")
    params = tmp_path / "bm25" / "params.index.json"
    params.write_text(params.read_text(encoding="utf-8").replace('"lucene"', '"bm25l"', 1), encoding="utf-8")
    with pytest.raises(ValueError, match="bm25l"):
        BM25Index.load(tmp_path / "bm25")

"""BM25Index over bm25s: the document frequency read from its sparse matrix matches a count of the documents."""

from __future__ import annotations

import numpy as np

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

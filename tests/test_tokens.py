"""Search tokens: jieba loaded from its cache in memory cuts exactly as jieba initialised its own way."""

from __future__ import annotations

import shutil

from corpus.loader import default_corpus_dir
from index.build import parse_corpus
from index.tokens import JIEBA_CACHE_FILE, _jieba


def test_the_fast_cache_load_cuts_every_clause_as_jieba_does(tmp_path):
    import jieba

    fresh = tmp_path / "fresh"
    first = _jieba(str(fresh))  # no cache yet: jieba builds its dictionary and writes the cache
    assert (fresh / JIEBA_CACHE_FILE).is_file() and first.initialized
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy2(fresh / JIEBA_CACHE_FILE, again / JIEBA_CACHE_FILE)
    loaded = _jieba(str(again))  # from the cache, in memory
    reference = jieba.Tokenizer()
    reference.tmp_dir = str(again)
    reference.initialize()
    assert loaded.total == reference.total and loaded.FREQ == reference.FREQ
    for clause in parse_corpus(default_corpus_dir()):
        assert list(loaded.cut_for_search(clause.text)) == list(reference.cut_for_search(clause.text))


def test_a_damaged_cache_falls_back_to_jieba(tmp_path):
    (tmp_path / JIEBA_CACHE_FILE).write_bytes(b"not a marshal stream")
    tokenizer = _jieba(str(tmp_path))
    assert tokenizer.initialized and list(tokenizer.cut("盲人医疗按摩诊所")) == ["盲人", "医疗", "按摩", "诊所"]

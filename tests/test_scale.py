"""The scale path end to end, small enough for CI: synthetic corpora of 1k and 5k clauses through the real
parser, the real embedder (pooled sentence vectors), FAISS (HNSW forced above 2k vectors), BM25 and the assistant,
via `policyqa bench --scale 5000`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from conftest import PROJECT_ROOT

from corpus.loader import load_documents
from eval.synthetic import PooledSentenceEmbedder, SentencePool, chinese_number, generate_corpus
from index.build import parse_corpus


def test_chinese_numbers_read_as_the_documents_write_them():
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 23, 99)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "二十三",
        "九十九",
    ]


@pytest.mark.parametrize("count", [1, 7, 1234])
def test_the_generator_writes_exactly_the_clauses_it_promises_each_verbatim(tmp_path, count):
    documents = generate_corpus(count, tmp_path, seed=count)
    clauses = parse_corpus(tmp_path)
    assert len(clauses) == count and len(load_documents(tmp_path)) == documents
    texts = {document.id: document.text for document in load_documents(tmp_path)}
    assert all(texts[clause.document_id][clause.start : clause.end] == clause.text for clause in clauses)
    assert all(clause.number.startswith("(") for clause in clauses)  # numbered (一)…, no stray preamble


def test_the_generator_is_deterministic_and_spreads_over_many_regions(tmp_path):
    generate_corpus(3000, tmp_path / "a", seed=5)
    generate_corpus(3000, tmp_path / "b", seed=5)
    first = sorted(p.name for p in (tmp_path / "a" / "documents").iterdir())
    assert first == sorted(p.name for p in (tmp_path / "b" / "documents").iterdir())
    for name in first:
        assert (tmp_path / "a" / "documents" / name).read_bytes() == (tmp_path / "b" / "documents" / name).read_bytes()
    regions = Counter(clause.region for clause in parse_corpus(tmp_path / "a"))
    assert len(regions) >= 30


def test_generated_clauses_are_made_of_real_sentences():
    pool = SentencePool.from_corpus()
    assert len(pool.sentences) > 100 and len(pool.headings) > 5
    real = "".join(document.text for document in load_documents(PROJECT_ROOT / "corpus"))
    assert all(sentence in real for sentence in pool.sentences)


class FixedEmbedder:
    id, dimension = "fixed", 3

    def __init__(self):
        self.seen = []

    def encode_passages(self, texts):
        import numpy as np

        self.seen.extend(texts)
        return np.asarray([[1.0, float(len(t)), 0.0] for t in texts], dtype="float32") / 100

    encode_queries = encode_passages


def test_pooled_vectors_are_unit_means_of_each_sentence_embedded_once():
    import numpy as np

    real = FixedEmbedder()
    pooled = PooledSentenceEmbedder(real)
    vectors = pooled.encode_passages(["上海 标题: 第一句话很长很长。第二句话也很长。", "北京: 第二句话也很长。"])
    assert real.seen == sorted({"第一句话很长很长。", "第二句话也很长。"})  # header left out, each sentence once
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert pooled.id.endswith(real.id)


def test_bench_scale_runs_the_whole_path_at_5k_clauses(tmp_path):
    env = os.environ | {"POLICYQA_ANN_MIN_VECTORS": "2000", "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "bench", "--scale", "5000", "--json", "--report", str(tmp_path)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout)
    sizes = figures["sizes"]
    assert [row["clauses"] for row in sizes] == [1000, 5000, 1_000_000]
    assert sizes[-1]["extrapolated"]
    small, large = sizes[0], sizes[1]
    assert large["parts"] >= 5000 and large["documents"] > small["documents"]
    assert large["ann_recall_at_10"] >= 0.98  # HNSW on the 5k index
    assert "ann_recall_at_10" not in small  # exact below the threshold
    for row in (small, large):
        assert row["warm_ask_ms"]["n"] > 0 and 0 < row["warm_ask_ms"]["p50"] <= row["warm_ask_ms"]["p95"]
        assert row["peak_rss_mb"] > 0 and row["index_mb_on_disk"] > 0
    assert figures["embedding"]["passages_per_s"]["full_parts"] > 0
    table = (tmp_path / "scale.md").read_text(encoding="utf-8")
    assert "| 5,000 |" in table and "1,000,000 (extrapolated)" in table
    assert (tmp_path / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_scale_out_of_range_is_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "bench", "--scale", "10"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--scale 10" in result.stderr and "1,000" in result.stderr

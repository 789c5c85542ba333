"""FAISS against Milvus on the real corpus: retrieval metrics, build time and warm query latency.

    .venv/bin/python deploy/compare_stores.py                      # Milvus Lite in a temporary folder
    .venv/bin/python deploy/compare_stores.py --milvus-uri http://localhost:19530
    .venv/bin/python deploy/compare_stores.py --json

Builds the index twice (FAISS, Milvus) into a temporary folder, cold (every passage embedded) and warm (the
embedding cache), then scores both on the test and development questions. On Milvus it also scores Milvus' own
BM25 (jieba analyzer) alone, in place of the local BM25 in the hybrid, and beside it as a fourth ranking.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from assistant.api import Assistant
from assistant.retrieve import (
    BIGRAM_WEIGHT,
    BM25_WEIGHT,
    DENSE_WEIGHT,
    ENGLISH_DENSE_WEIGHT,
    BM25Retriever,
    HybridRetriever,
    LateInteractionRetriever,
    StoreBM25Retriever,
)
from assistant.settings import resolve_settings
from corpus.loader import load_documents
from eval.bench import warm_latencies
from eval.questions import QUESTIONS_DIR, load_questions
from eval.run import evaluate
from eval.systems import AssistantSystem
from index.build import build_index
from index.embedders import embedder_from_name
from index.search_index import open_index
from index.stores.choice import StoreChoice
from index.tokens import SearchTokenizer

QUESTION_FILES = ("test.jsonl", "dev.jsonl")
WARM_ROUNDS = 3
METRICS = ("recall@1", "recall@5", "mrr@10")


def _weights(bm25: float, dense: float, bigram: float, extra: float | None = None) -> dict[str, list[float]]:
    """Per-language fusion weights; an English question's dense ranking counts half, as in the Assistant."""
    english_dense = dense * ENGLISH_DENSE_WEIGHT / DENSE_WEIGHT
    rows = {"zh-Hans": [bm25, dense, bigram], "zh-Hant": [bm25, dense, bigram], "en": [bm25, english_dense, bigram]}
    if extra is not None:
        for weights in rows.values():
            weights.append(extra)
    return rows


def variants(assistant: Assistant) -> dict[str, Assistant]:
    """Copies of a Milvus-backed assistant whose bm25 or hybrid use Milvus' own BM25."""
    tokenizer, index = assistant.tokenizer, assistant.index
    store_bm25 = StoreBM25Retriever(index, tokenizer, translator=assistant.dense.translator)
    bigrams = BM25Retriever(index, tokenizer, bigrams=True, translator=assistant.dense.translator)
    out = {}
    alone = Assistant(index, assistant.embedder, tokenizer)
    alone.retrievers["bm25"] = store_bm25
    out["milvus-bm25"] = alone
    replace = Assistant(index, assistant.embedder, tokenizer)
    replace.retrievers["hybrid"] = HybridRetriever(
        [store_bm25, replace.dense, bigrams],
        _weights(BM25_WEIGHT, DENSE_WEIGHT, BIGRAM_WEIGHT),
        late=LateInteractionRetriever(index, replace.dense),
    )
    out["hybrid, Milvus BM25 for local BM25"] = replace
    extra = Assistant(index, assistant.embedder, tokenizer)
    extra.retrievers["hybrid"] = HybridRetriever(
        [extra.bm25, extra.dense, bigrams, store_bm25],
        _weights(BM25_WEIGHT, DENSE_WEIGHT, BIGRAM_WEIGHT, 1.0),
        late=LateInteractionRetriever(index, extra.dense),
    )
    out["hybrid + Milvus BM25 (weight 1)"] = extra
    return out


class Named:
    """An evaluated system under a name of its own (AssistantSystem's name is its configuration)."""

    def __init__(self, name: str, assistant: Assistant, configuration: str) -> None:
        self.name = name
        self.inner = AssistantSystem(assistant, configuration)

    def retrieve(self, question, k):
        return self.inner.retrieve(question, k)


def warm_p50_ms(assistant: Assistant) -> float:
    questions = load_questions(QUESTIONS_DIR / "dev.jsonl")
    ask = lambda q: assistant.ask(q.q, history=list(q.history))  # noqa: E731
    return warm_latencies(ask, questions, WARM_ROUNDS)["p50_ms"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--milvus-uri", default=None, help="Milvus server or Lite file (default: a temporary .db)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-eval", action="store_true", help="build and latency figures only")
    args = parser.parse_args()
    settings = resolve_settings()
    embedder = embedder_from_name(settings.embedder_name, settings.cache_dir)
    corpus_dir = settings.corpus_dir_or_default
    documents = load_documents(corpus_dir)
    figures: dict = {"build_s": {}, "warm_ask_p50_ms": {}, "eval": {}}
    with tempfile.TemporaryDirectory(prefix="policyqa-stores-") as scratch:
        root = Path(scratch)
        uri = args.milvus_uri or str(root / "milvus.db")
        assistants = {}
        for store in (StoreChoice(), StoreChoice("milvus", uri)):
            for label, use_cache in (("cold", False), ("warm", True)):
                started = time.perf_counter()
                build_index(corpus_dir, root / store.kind, embedder, settings.cache_dir, False, use_cache, store=store)
                figures["build_s"][f"{store.kind} {label}"] = round(time.perf_counter() - started, 2)
            index = open_index(root / store.kind, embedder.id, corpus_dir)
            assistants[store.kind] = Assistant(index, embedder, SearchTokenizer(settings.cache_dir))
        for kind, assistant in assistants.items():
            figures["warm_ask_p50_ms"][kind] = warm_p50_ms(assistant)
        systems = []
        for kind, assistant in assistants.items():
            for configuration in ("bm25", "dense", "hybrid"):
                systems.append(Named(f"{kind} {configuration}", assistant, configuration))
        for name, assistant in variants(assistants["milvus"]).items():
            systems.append(Named(f"milvus {name}", assistant, "bm25" if name == "milvus-bm25" else "hybrid"))
        for file in () if args.no_eval else QUESTION_FILES:
            path = QUESTIONS_DIR / file
            report, _ = evaluate(systems, load_questions(path), documents, str(path))
            figures["eval"][file] = {
                name: {key: round(metrics[key], 3) for key in METRICS} for name, metrics in report["configs"].items()
            }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return 0
    print(f"build seconds: {figures['build_s']}")
    print(f"warm ask p50 ms (dev questions, {WARM_ROUNDS} rounds): {figures['warm_ask_p50_ms']}")
    for file, table in figures["eval"].items():
        print(f"\n{file}\n\n| system | recall@1 | recall@5 | MRR@10 |\n|---|---|---|---|")
        for name, metrics in table.items():
            print(f"| {name} | " + " | ".join(f"{metrics[key]:.3f}" for key in METRICS) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

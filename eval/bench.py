"""`policyqa bench`: warm ask latency, cold CLI start, index build time and embedding throughput."""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from eval.metrics import percentile
from eval.questions import load_questions
from eval.run import DEFAULT_QUESTIONS

WARM_ROUNDS = 3
COLD_RUNS = 5
COLD_QUESTION = "福建对盲人医疗按摩诊所有哪些扶持?"


def run_bench(args: argparse.Namespace, settings) -> int:
    from assistant.api import Assistant
    from index.build import build_index
    from index.embedders import embedder_from_name

    embedder = embedder_from_name(settings.embedder)
    build_seconds = {}
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-") as scratch:
        # cold: every passage embedded; warm: vectors of unchanged text come from the embedding cache
        for label, use_cache in (("cold", False), ("warm", True)):
            started = time.perf_counter()
            report = build_index(
                settings.corpus_dir_or_default, Path(scratch) / label, embedder, settings.cache_dir, False, use_cache
            )
            build_seconds[label] = round(time.perf_counter() - started, 2)
    embed_rate = _embedding_rate(embedder)

    assistant = Assistant.load(settings=settings, progress=False)
    questions = load_questions(DEFAULT_QUESTIONS)
    for question in questions:  # warm-up: model, tokenizer and caches loaded once
        assistant.ask(question.q, history=list(question.history))
    latencies = []
    for _ in range(WARM_ROUNDS):
        for question in questions:
            started = time.perf_counter()
            assistant.ask(question.q, history=list(question.history))
            latencies.append((time.perf_counter() - started) * 1000)

    cold = _cold_cli_seconds(settings)
    figures = {
        "index_build_s": build_seconds,
        "index_clauses": report.clauses,
        "index_parts": report.parts,
        "embed_passages_per_s": round(embed_rate, 1),
        "warm_ask_ms": {
            "p50": round(percentile(latencies, 0.5), 2),
            "p95": round(percentile(latencies, 0.95), 2),
            "n": len(latencies),
        },
        "cold_cli_ask_s": {"median": round(median(cold), 3), "runs": len(cold)},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=1))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 0


def _embedding_rate(embedder) -> float:
    texts = [
        f"第{i}条 对取得医疗执业许可证的盲人医疗按摩诊所,给予资金扶持。按年度做好职称评审工作。" for i in range(64)
    ]
    embedder.encode_passages(texts[:4])
    started = time.perf_counter()
    embedder.encode_passages(texts)
    return len(texts) / (time.perf_counter() - started)


def _cold_cli_seconds(settings) -> list[float]:
    command = [
        sys.executable,
        "-m",
        "assistant",
        "ask",
        COLD_QUESTION,
        "--json",
        "--index-dir",
        str(settings.index_dir),
    ]
    runs = []
    for _ in range(COLD_RUNS):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return runs

"""`policyqa bench`: speed and memory of the shipped configuration, each figure from its own process.

Measured on the real corpus: index build (cold: every passage embedded; warm: vectors from the embedding cache),
embedding throughput, warm `Assistant.ask` latency (retrieval plus answer composition) and, over the same
questions, a LangChain-style dense retriever (RecursiveCharacterTextSplitter 500/50 + FAISS IndexFlatIP + the
same query embedding), and the wall time of `policyqa ask … --json` as a whole process. Every item runs in a
child process (`python -m eval.bench ITEM`), so the peak RSS reported beside it is that item's alone.

`--scale N` measures synthetic corpora instead (eval/scale.py): 1k, 10k, … up to N clauses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from eval.metrics import percentile

WARM_ROUNDS = 3
COLD_RUNS = 5
COLD_QUESTION = "福建对盲人医疗按摩诊所有哪些扶持?"
EMBED_RATE_PASSAGES = 64
TARGETS = {"warm_ask_p50_ms": 20.0, "warm_ask_to_baseline": 1.5, "cold_cli_s": 1.5, "index_build_s": 5.0}


def run_bench(args, settings) -> int:
    if getattr(args, "scale", None):
        return _run_scale(args, settings)
    env = _child_env(settings)
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="policyqa-bench-") as scratch:
        for label in ("cold", "warm"):
            figures[f"index_build_{label}"] = _child("build", env, label, str(Path(scratch) / label))
    figures["embedding"] = _child("embed", env)
    figures["warm_ask"] = _child("ask", env)
    figures["baseline_ask"] = _child("baseline", env)
    figures["warm_ask_to_baseline_p50"] = round(figures["warm_ask"]["p50_ms"] / figures["baseline_ask"]["p50_ms"], 2)
    figures["cold_cli_ask"] = _cold_cli(settings, env)
    figures["targets"] = TARGETS
    if args.json:
        print(json.dumps(figures, indent=1, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 0


def _child_env(settings) -> dict[str, str]:
    env = dict(os.environ)
    if settings.corpus_dir is not None:
        env["POLICYQA_CORPUS"] = str(settings.corpus_dir)
    env["POLICYQA_INDEX_DIR"] = str(settings.index_dir)
    env["POLICYQA_CACHE_DIR"] = str(settings.cache_dir)
    return env


def _child(item: str, env: dict[str, str], *arguments: str) -> dict:
    """Run ``python -m eval.bench ITEM …``; its JSON figures plus its own peak RSS."""
    figures, peak_mb = _run_measured([sys.executable, "-m", "eval.bench", item, *arguments], env)
    return json.loads(figures) | {"peak_rss_mb": peak_mb}


def _run_measured(command: list[str], env: dict[str, str]) -> tuple[str, float]:
    """Run a command to the end; its stdout and the peak RSS of that process alone (wait4's rusage)."""
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out:
        process = subprocess.Popen(command, stdout=out, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command[2:])} failed with exit {process.returncode}")
        out.seek(0)
        return out.read(), round(usage.ru_maxrss / 1024, 1)


def _cold_cli(settings, env: dict[str, str]) -> dict:
    command = [sys.executable, "-m", "assistant", "ask", COLD_QUESTION, "--json"]
    command += ["--index-dir", str(settings.index_dir)]
    seconds, peaks = [], []
    for _ in range(COLD_RUNS):
        started = time.perf_counter()
        _, peak = _run_measured(command, env)
        seconds.append(time.perf_counter() - started)
        peaks.append(peak)
    return {"median_s": round(median(seconds), 3), "runs": COLD_RUNS, "peak_rss_mb": max(peaks)}


# --- items, each run in its own process ------------------------------------------------------------------------


def _item_build(label: str, index_dir: str) -> dict:
    from assistant.settings import resolve_settings
    from index.build import build_index
    from index.embedders import embedder_from_name

    settings = resolve_settings()
    embedder = embedder_from_name(settings.embedder_name, settings.cache_dir)
    started = time.perf_counter()
    report = build_index(
        settings.corpus_dir_or_default, Path(index_dir), embedder, settings.cache_dir, False, label == "warm"
    )
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "clauses": report.clauses, "parts": report.parts}


def _item_embed() -> dict:
    from assistant.settings import resolve_settings
    from index.build import PART_MAX_CHARS, parse_corpus
    from index.embedders import embedder_from_name

    settings = resolve_settings()
    embedder = embedder_from_name(settings.embedder_name, settings.cache_dir)
    clauses = parse_corpus(settings.corpus_dir_or_default)
    # Real passages of the corpus, cut to the length the index embeds (PART_MAX_CHARS).
    texts = [clause.text[:PART_MAX_CHARS] for clause in clauses][:EMBED_RATE_PASSAGES]
    short = [text[:40] for text in texts]
    embedder.encode_passages(texts[:2])
    rates = {}
    for label, batch in (("full_parts", texts), ("short_40_chars", short)):
        started = time.perf_counter()
        embedder.encode_passages(batch)
        rates[label] = round(len(batch) / (time.perf_counter() - started), 1)
    started = time.perf_counter()
    for text in short[:20]:
        embedder.encode_queries([text])
    return {"passages_per_s": rates, "one_query_ms": round((time.perf_counter() - started) / 20 * 1000, 2)}


def warm_latencies(ask, questions, rounds: int = WARM_ROUNDS) -> dict:
    """``ask(question)`` over every question once to warm up, then ``rounds`` times timed: p50, p95, count."""
    for question in questions:  # warm-up: model, tokenizer and caches loaded once
        ask(question)
    latencies = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            ask(question)
            latencies.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "asks": len(latencies),
    }


def _item_ask() -> dict:
    from assistant.api import Assistant
    from assistant.query import understand
    from eval.questions import load_questions
    from eval.run import DEFAULT_QUESTIONS

    assistant = Assistant.load(progress=False)
    questions = load_questions(DEFAULT_QUESTIONS)
    figures = warm_latencies(lambda q: assistant.ask(q.q, history=list(q.history)), questions)
    # The part of each answer spent reading the question: script, regions (the 3,200-name table), follow-ups,
    # glossary. A figure here rather than a timed test.
    covered = assistant.covered_regions
    understanding = warm_latencies(lambda q: understand(q.q, covered, list(q.history)), questions)
    figures["understand_p50_ms"] = understanding["p50_ms"]
    return figures


def _item_baseline() -> dict:
    from assistant.settings import resolve_settings
    from corpus.loader import load_documents
    from eval.questions import load_questions
    from eval.run import DEFAULT_QUESTIONS
    from eval.scale import CachedEmbedder
    from eval.systems import LangChainBaseline
    from index.embedders import embedder_from_name

    settings = resolve_settings()
    embedder = CachedEmbedder(embedder_from_name(settings.embedder_name, settings.cache_dir), settings.cache_dir)
    baseline = LangChainBaseline(load_documents(settings.corpus_dir_or_default), embedder)
    questions = load_questions(DEFAULT_QUESTIONS)
    return warm_latencies(lambda q: baseline.retrieve(q, 5), questions)


ITEMS = {"build": _item_build, "embed": _item_embed, "ask": _item_ask, "baseline": _item_baseline}


# --- scale ---------------------------------------------------------------------------------------------------


def scale_ladder(largest: int) -> list[int]:
    """1k, 10k, 100k … below ``largest``, then ``largest`` itself."""
    sizes, size = [], 1000
    while size < largest:
        sizes.append(size)
        size *= 10
    return [*sizes, largest]


def _run_scale(args, settings) -> int:
    from eval.run import DEFAULT_QUESTIONS
    from eval.scale import format_dense_table, format_growth_table, growth_rows, run_scale, write_scale_report

    sizes = scale_ladder(args.scale)
    embedding = _child("embed", _child_env(settings))
    with tempfile.TemporaryDirectory(prefix="policyqa-scale-") as scratch:
        results = run_scale(sizes, Path(scratch), settings.cache_dir, DEFAULT_QUESTIONS)
    rows = growth_rows(results)
    rate = embedding["passages_per_s"]["full_parts"]
    report_dir = Path(args.report) if args.report else None
    if report_dir is not None:
        write_scale_report(rows, report_dir, rate)
        (report_dir / "scale.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.json:
        print(json.dumps({"embedding": embedding, "sizes": rows}, indent=1, ensure_ascii=False))
    else:
        print(format_growth_table(rows, rate))
        print(format_dense_table(rows))
    return 0


if __name__ == "__main__":
    item, *arguments = sys.argv[1:]
    print(json.dumps(ITEMS[item](*arguments)))

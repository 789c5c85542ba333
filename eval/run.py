"""Run a question file through every system side by side and compute the metrics (`policyqa eval`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from statistics import mean

from corpus.errors import InputError, PolicyqaError
from corpus.loader import load_documents
from corpus.model import Document
from eval.metrics import Range, ndcg_at, percentile, recall_at, reciprocal_rank, span_ranks, success_at
from eval.questions import QUESTIONS_DIR, Question, load_questions, locate_span, validate_questions
from eval.systems import AssistantSystem, LangChainBaseline, System

DEFAULT_QUESTIONS = QUESTIONS_DIR / "dev.jsonl"
RECALL_CUTOFFS = (1, 3, 5, 10)
RETRIEVE_K = 10
SUMMARY_KEYS = ("recall@1", "success@1", "recall@5", "mrr@10")
CHINESE_LANGS = ("zh-Hans", "zh-Hant")


class FloorError(PolicyqaError):
    """The shipped configuration scored below the recorded floor."""

    exit_code = 1


def evaluate(systems: Sequence[System], questions: Sequence[Question], documents: Sequence[Document], source: str):
    """The `eval --json` object (``configs`` by system name) and the per-question rows behind it."""
    validate_questions(questions, documents, source)
    gold = {
        q.id: [Range(loc.document_id, loc.start, loc.end) for s in q.gold for loc in locate_span(s, documents)]
        for q in questions
    }
    configs, details = {}, {}
    for system in systems:
        with system.forgetting(q.id for q in questions) if isinstance(system, AssistantSystem) else nullcontext():
            rows = [_score(system, question, gold[question.id]) for question in questions]
        configs[system.name] = _summary(rows)
        details[system.name] = rows
    return {"questions": len(questions), "configs": configs}, details


def in_conversation(questions: Sequence[Question]) -> list[Question]:
    """Each answerable question without history, asked after the question before it in its file: a chat in which
    the user moves on to something else. It should be answered as when asked alone; a question of its own misread
    as a follow-up is searched with the last question's words (holdout files, 2026-11-30: 757 of 3,723 were)."""
    return [
        replace(question, history=(questions[position - 1].q,))
        for position, question in enumerate(questions)
        if position and question.answerable and not question.history
    ]


def conversation_summary(system: System, questions: Sequence[Question], documents, source: str, alone: list[dict]):
    """The `eval --json` object's ``in_conversation``: ``system``'s figures on ``in_conversation(questions)``, the
    same questions' figures asked alone, and the ids whose recall@5 fell (``rows`` for the report)."""
    asked = in_conversation(questions)
    if not asked:
        return None, []
    _, details = evaluate([system], asked, documents, source)
    rows = details[system.name]
    by_id = {row["id"]: row for row in alone}
    summary = {
        "questions": len(asked),
        "in_conversation": {k: v for k, v in _summary(rows).items() if k in (*SUMMARY_KEYS, "chinese", "by_lang")},
        "alone": {
            k: v for k, v in _summary([by_id[row["id"]] for row in rows]).items() if k in (*SUMMARY_KEYS, "chinese")
        },
        "fell": [row["id"] for row in rows if row["recall@5"] < by_id[row["id"]]["recall@5"]],
    }
    return summary, rows


def _score(system: System, question: Question, gold: list[Range]) -> dict:
    started = time.perf_counter()
    retrieval = system.retrieve(question, RETRIEVE_K)
    row = {
        "id": question.id,
        "q": question.q,
        "lang": question.lang,
        "type": question.type,
        "answerable": question.answerable,
        "in_scope": retrieval.in_scope,
        "top": retrieval.ids[:3],
        "ms": (time.perf_counter() - started) * 1000,
    }
    if question.answerable:
        row.update({f"recall@{k}": recall_at(retrieval.ranges, gold, k) for k in RECALL_CUTOFFS})
        row["success@1"] = success_at(retrieval.ranges, gold, 1)
        row["mrr@10"] = reciprocal_rank(retrieval.ranges, gold, 10)
        row["ndcg@10"] = ndcg_at(retrieval.ranges, gold, 10)
        row["gold_ranks"] = span_ranks(retrieval.ranges, gold)
    return row


def _summary(rows: list[dict]) -> dict:
    answerable = [row for row in rows if row["answerable"]]
    unanswerable = [row for row in rows if not row["answerable"]]
    metrics: dict = _averages(answerable)
    metrics["by_lang"] = _grouped(answerable, "lang")
    # Both scripts together: the accuracy targets speak of "Chinese" questions.
    chinese = [row for row in answerable if row["lang"] in CHINESE_LANGS]
    metrics["chinese"] = {k: v for k, v in _averages(chinese).items() if k in SUMMARY_KEYS}
    metrics["by_type"] = _grouped(answerable, "type")
    metrics["out_of_scope"] = {
        "flagged": sum(1 for row in unanswerable if not row["in_scope"]),
        "total": len(unanswerable),
        "false_flags": sum(1 for row in answerable if not row["in_scope"]),
    }
    metrics["p50_ms"] = round(percentile([row["ms"] for row in rows], 0.5), 2)
    return metrics


def _grouped(rows: list[dict], field: str) -> dict:
    groups = sorted({row[field] for row in rows if row[field]})
    return {
        group: {k: v for k, v in _averages([r for r in rows if r[field] == group]).items() if k in SUMMARY_KEYS}
        for group in groups
    }


def _averages(rows: list[dict]) -> dict[str, float]:
    keys = [f"recall@{k}" for k in RECALL_CUTOFFS] + ["success@1", "mrr@10", "ndcg@10"]
    return {key: round(mean(row[key] for row in rows), 4) if rows else 0.0 for key in keys}


def run_cli(args: argparse.Namespace, settings) -> int:
    from assistant.api import CONFIGURATIONS, DEFAULT_CONFIGURATION, Assistant

    path = Path(args.questions) if args.questions else DEFAULT_QUESTIONS
    questions = load_questions(path)
    assistant = Assistant.load(settings=settings)
    documents = load_documents(Path(assistant.index.manifest.corpus_path))
    systems: list[System] = [AssistantSystem(assistant, name) for name in CONFIGURATIONS]
    systems.append(LangChainBaseline(documents, assistant.embedder))
    report, details = evaluate(systems, questions, documents, str(path))
    report = {"questions": report["questions"], "default": DEFAULT_CONFIGURATION, "configs": report["configs"]}
    shipped = next(system for system in systems if system.name == DEFAULT_CONFIGURATION)
    conversation, conversation_rows = conversation_summary(
        shipped, questions, documents, str(path), details[DEFAULT_CONFIGURATION]
    )
    if conversation is not None:
        report["in_conversation"] = conversation
    if args.report:
        import os

        from eval.report import write_report

        os.environ.setdefault("MPLCONFIGDIR", str(settings.cache_dir / "matplotlib"))

        written = write_report(Path(args.report), report, details, str(path), conversation_rows)
        print(f"policyqa: report written to {written}", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else format_table(report))
    if args.floor:
        check_floor(report, Path(args.floor))
    return 0


def check_floor(report: dict, floor_path: Path) -> None:
    """Raise FloorError when the default configuration scores below the floor recorded in ``floor_path``."""
    try:
        floor = json.loads(floor_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(
            f'floor file {floor_path} is unreadable ({error}); it holds e.g. {{"recall@5": 0.9}}'
        ) from None
    metrics = report["configs"][report["default"]]
    below = [
        f"{key} {metrics[key]:.3f} < {value}" for key, value in floor.items() if key in metrics and metrics[key] < value
    ]
    if below:
        raise FloorError(f"{report['default']} fell below the floor in {floor_path}: {'; '.join(below)}")


def format_table(report: dict) -> str:
    columns = ["config", "recall@1", "success@1", "recall@3", "recall@5", "recall@10", "MRR@10", "nDCG@10"]
    header = "| " + " | ".join([*columns, "OOS flagged", "false flags", "p50 ms"]) + " |"
    lines = [f"{report['questions']} questions; default: {report['default']}", "", header, "|" + "---|" * 11]
    for name, m in report["configs"].items():
        oos = m["out_of_scope"]
        figures = [
            m[key] for key in ("recall@1", "success@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10")
        ]
        lines.append(
            f"| {name} | " + " | ".join(f"{value:.3f}" for value in figures) + f" | {oos['flagged']}/{oos['total']} | "
            f"{oos['false_flags']} | {m['p50_ms']:.1f} |"
        )
    lines.append("")
    for name, m in report["configs"].items():
        groups = {**m["by_lang"], "Chinese (both scripts)": m["chinese"]}
        per_lang = "; ".join(
            f"{lang} R@1 {v['recall@1']:.3f} S@1 {v['success@1']:.3f} R@5 {v['recall@5']:.3f} MRR {v['mrr@10']:.3f}"
            for lang, v in groups.items()
        )
        lines.append(f"{name}: {per_lang}")
    return "\n".join(lines)

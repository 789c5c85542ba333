"""Run a question file through the Assistant under each configuration and compute the metrics."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import mean

from corpus.errors import InputError
from corpus.loader import load_documents
from eval.metrics import Range, ndcg_at, percentile, recall_at, reciprocal_rank
from eval.questions import QUESTIONS_DIR, Question, load_questions, locate_span, validate_questions

DEFAULT_QUESTIONS = QUESTIONS_DIR / "dev.jsonl"
RECALL_CUTOFFS = (1, 3, 5, 10)
RETRIEVE_K = 10


def evaluate(assistant, questions: Sequence[Question], configurations: Sequence[str], source: str) -> dict:
    """The `eval --json` object: metrics of every configuration over the questions."""
    documents = load_documents(Path(assistant.index.manifest.corpus_path))
    validate_questions(questions, documents, source)
    gold_ranges = {
        q.id: [Range(loc.document_id, loc.start, loc.end) for span in q.gold for loc in locate_span(span, documents)]
        for q in questions
    }
    report = {"questions": len(questions), "default": assistant.configuration, "configs": {}}
    details = {}
    for configuration in configurations:
        metrics, rows = _evaluate_configuration(assistant, questions, gold_ranges, configuration)
        report["configs"][configuration] = metrics
        details[configuration] = rows
    report["_details"] = details
    return report


def _evaluate_configuration(assistant, questions, gold_ranges, configuration):
    rows, latencies = [], []
    for question in questions:
        started = time.perf_counter()
        answer = assistant.ask(question.q, k=RETRIEVE_K, history=list(question.history), configuration=configuration)
        latencies.append((time.perf_counter() - started) * 1000)
        retrieved = [Range(p.clause.document_id, p.clause.start, p.clause.end) for p in answer.passages]
        row = {
            "id": question.id,
            "lang": question.lang,
            "type": question.type,
            "in_scope": answer.in_scope,
            "answerable": question.answerable,
            "top": [p.clause.id for p in answer.passages[:3]],
        }
        if question.answerable:
            gold = gold_ranges[question.id]
            row.update({f"recall@{k}": recall_at(retrieved, gold, k) for k in RECALL_CUTOFFS})
            row["mrr@10"] = reciprocal_rank(retrieved, gold, 10)
            row["ndcg@10"] = ndcg_at(retrieved, gold, 10)
        rows.append(row)
    answerable = [row for row in rows if row["answerable"]]
    metrics = _averages(answerable)
    metrics["by_lang"] = {
        lang: {
            key: value
            for key, value in _averages([r for r in answerable if r["lang"] == lang]).items()
            if key in ("recall@1", "recall@5", "mrr@10")
        }
        for lang in sorted({row["lang"] for row in answerable})
    }
    metrics["by_type"] = {
        kind: {
            key: value
            for key, value in _averages([r for r in answerable if r["type"] == kind]).items()
            if key in ("recall@1", "recall@5", "mrr@10")
        }
        for kind in sorted({row["type"] for row in answerable if row["type"]})
    }
    unanswerable = [row for row in rows if not row["answerable"]]
    metrics["out_of_scope"] = {
        "flagged": sum(1 for row in unanswerable if not row["in_scope"]),
        "total": len(unanswerable),
        "false_flags": sum(1 for row in answerable if not row["in_scope"]),
    }
    metrics["p50_ms"] = round(percentile(latencies, 0.5), 2)
    return metrics, rows


def _averages(rows: list[dict]) -> dict[str, float]:
    keys = [f"recall@{k}" for k in RECALL_CUTOFFS] + ["mrr@10", "ndcg@10"]
    return {key: round(mean(row[key] for row in rows), 4) if rows else 0.0 for key in keys}


def run_cli(args: argparse.Namespace, settings) -> int:
    from assistant.api import CONFIGURATIONS, Assistant

    path = Path(args.questions) if args.questions else DEFAULT_QUESTIONS
    questions = load_questions(path)
    assistant = Assistant.load(settings=settings)
    report = evaluate(assistant, questions, CONFIGURATIONS, str(path))
    details = report.pop("_details")
    if args.report:
        from eval.report import write_report

        write_report(Path(args.report), report, details, questions)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(format_table(report))
    return 0


def format_table(report: dict) -> str:
    columns = ["config", "recall@1", "recall@3", "recall@5", "recall@10", "MRR@10", "nDCG@10", "OOS flagged"]
    header = "| " + " | ".join([*columns, "false flags", "p50 ms"]) + " |"
    lines = [f"{report['questions']} questions; default: {report['default']}", "", header, "|" + "---|" * 10]
    for name, m in report["configs"].items():
        oos = m["out_of_scope"]
        lines.append(
            f"| {name} | {m['recall@1']:.3f} | {m['recall@3']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | "
            f"{m['mrr@10']:.3f} | {m['ndcg@10']:.3f} | {oos['flagged']}/{oos['total']} | {oos['false_flags']} | "
            f"{m['p50_ms']:.1f} |"
        )
    lines.append("")
    for name, m in report["configs"].items():
        per_lang = "; ".join(
            f"{lang} R@1 {v['recall@1']:.3f} R@5 {v['recall@5']:.3f} MRR {v['mrr@10']:.3f}"
            for lang, v in m["by_lang"].items()
        )
        lines.append(f"{name}: {per_lang}")
    return "\n".join(lines)


__all__ = ["InputError", "evaluate", "format_table", "run_cli"]

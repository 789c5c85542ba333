"""`policyqa eval --report DIR`: a Markdown report (table, failures) and a PNG chart of recall@k."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from eval.run import RECALL_CUTOFFS, SUMMARY_KEYS, format_table

REPORT_FILE = "report.md"
CHART_FILE = "recall_at_k.png"


def write_report(
    folder: Path, report: dict, details: dict[str, list[dict]], source: str, conversation_rows: Sequence[dict] = ()
) -> Path:
    """Write ``report.md`` and ``recall_at_k.png`` into ``folder``; returns the Markdown file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_chart(folder / CHART_FILE, report)
    default = report["default"]
    lines = [
        f"# Retrieval evaluation: {source}",
        "",
        format_table(report),
        "",
        f"![recall@k per configuration]({CHART_FILE})",
        "",
        "## By question type (recall@1 / success@1 / recall@5 / MRR@10)",
        "",
        "| config | " + " | ".join(_types(report)) + " |",
        "|---|" + "---|" * len(_types(report)),
    ]
    for name, metrics in report["configs"].items():
        cells = []
        for kind in _types(report):
            values = metrics["by_type"].get(kind)
            cells.append(" / ".join(f"{values[key]:.2f}" for key in SUMMARY_KEYS) if values else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", f"## Misses of `{default}` (the shipped configuration)", ""]
    misses = [row for row in details[default] if _missed(row)]
    if not misses:
        lines.append("None: every gold span is in the top 5 and every out-of-scope question is flagged.")
    for row in misses:
        if row["answerable"]:
            ranks = ", ".join("not in top 10" if rank is None else f"rank {rank}" for rank in row["gold_ranks"])
            what = f"gold spans at {ranks}"
        else:
            what = "out of scope, but answered as in scope"
        lines.append(
            f"- **{row['id']}** ({row['lang']}, {row['type'] or 'single'}) {row['q']} — {what}; "
            f"top 3: {', '.join(row['top']) or 'nothing'}"
        )
    lines += _conversation_section(report, conversation_rows)
    path = folder / REPORT_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _conversation_section(report: dict, rows: Sequence[dict]) -> list[str]:
    conversation = report.get("in_conversation")
    if conversation is None:
        return []
    chat, alone = conversation["in_conversation"], conversation["alone"]
    lines = [
        "",
        f"## Asked in a conversation (`{report['default']}`)",
        "",
        f"Each of the {conversation['questions']} answerable questions without history, asked again after the "
        "question before it in the file, as a user moving on to something else in the chat would.",
        "",
        "| asked | success@1 | recall@5 | Chinese success@1 | Chinese recall@5 |",
        "|---|---|---|---|---|",
    ]
    for name, figures in (("alone", alone), ("after the previous question", chat)):
        chinese = figures.get("chinese") or {"success@1": 0.0, "recall@5": 0.0}
        lines.append(
            f"| {name} | {figures['success@1']:.3f} | {figures['recall@5']:.3f} | {chinese['success@1']:.3f} | "
            f"{chinese['recall@5']:.3f} |"
        )
    fell = set(conversation["fell"])
    lines += ["", "Recall@5 lower than asked alone: " + ("none." if not fell else "")]
    for row in rows:
        if row["id"] in fell:
            lines.append(f"- **{row['id']}** ({row['lang']}) {row['q']} — top 3: {', '.join(row['top']) or 'nothing'}")
    return lines


def _missed(row: dict) -> bool:
    if row["answerable"]:
        return row["recall@5"] < 1.0
    return row["in_scope"]


def _types(report: dict) -> list[str]:
    return sorted({kind for metrics in report["configs"].values() for kind in metrics["by_type"]})


def _write_chart(path: Path, report: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=120)
    for name, metrics in report["configs"].items():
        values = [metrics[f"recall@{k}"] for k in RECALL_CUTOFFS]
        style = {"linewidth": 3} if name == report["default"] else {"linewidth": 1.5, "linestyle": "--"}
        axes.plot(RECALL_CUTOFFS, values, marker="o", label=name, **style)
    axes.set_xticks(RECALL_CUTOFFS)
    axes.set_xlabel("k (passages returned)")
    axes.set_ylabel("recall@k")
    axes.set_ylim(0, 1.02)
    axes.grid(alpha=0.3)
    axes.set_title(f"recall@k on {report['questions']} questions")
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)

"""Evaluation: the question files, the validator, the metrics against trec_eval, reports and the floor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.errors import InputError
from corpus.loader import default_corpus_dir, load_documents
from eval.metrics import Range, ndcg_at, recall_at, reciprocal_rank, success_at
from eval.questions import QUESTIONS_DIR, load_questions, validate_questions
from eval.run import FloorError, check_floor

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def documents():
    return load_documents(default_corpus_dir())


def test_shipped_question_files_are_valid_and_large_enough(documents):
    # Every shipped file, so a new one is checked without a list to edit (holdout7 was once left out of such a list).
    names = sorted(path.stem for path in QUESTIONS_DIR.glob("*.jsonl"))
    assert {"dev", "test", "holdout", "holdout7"} <= set(names)
    files = {name: load_questions(QUESTIONS_DIR / f"{name}.jsonl") for name in names}
    for name, questions in files.items():
        validate_questions(questions, documents, f"{name}.jsonl")
    dev, test = files["dev"], files["test"]
    everything = [question for questions in files.values() for question in questions]
    assert len({q.id for q in everything}) == len(everything) >= 100

    def count(condition) -> int:
        return sum(1 for q in everything if condition(q))

    assert count(lambda q: q.lang == "zh-Hans") >= 60
    assert count(lambda q: q.lang == "zh-Hant") >= 15
    assert count(lambda q: q.lang == "en") >= 15
    assert count(lambda q: len({g.region for g in q.gold}) >= 2) >= 8
    assert count(lambda q: not q.gold) >= 5
    assert count(lambda q: q.history) >= 5
    dev_chats = {(q.q, q.history) for q in dev}
    assert not dev_chats & {(q.q, q.history) for q in test}, "a question is in both the dev and the test subset"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not valid JSON"),
        ('{"id": "a", "q": "问题", "lang": "fr", "gold": []}', "lang 'fr'"),
        ('{"id": "a", "q": "问题", "lang": "zh-Hans"}', "field 'gold'"),
        ('{"id": "a", "q": " ", "lang": "zh-Hans", "gold": []}', "question text is empty"),
        ('{"id": "a", "q": "问题", "lang": "zh-Hans", "gold": [{"region": "福建"}]}', "region and a span"),
        ('{"id": "a", "q": "问题", "lang": "zh-Hans", "gold": [], "history": "x"}', "history must be a list"),
    ],
)
def test_malformed_lines_are_reported_with_file_and_line(tmp_path, line, problem):
    path = tmp_path / "q.jsonl"
    good = '{"id": "ok", "q": "问题", "lang": "zh-Hans", "gold": []}'
    path.write_text(f"{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_questions(path)
    assert f"{path}:2" in str(raised.value) and problem in str(raised.value)


@pytest.mark.parametrize(
    ("gold", "problem"),
    [
        ({"region": "福建", "span": "殘疾人"}, "occurs"),  # everywhere: not unique
        ({"region": "福建", "span": "这句话不在语料里"}, "occurs 0 times"),
        ({"region": "上海", "span": "盲人醫療按摩診所,給予資金扶持"}, "not in a document of 上海"),
        ({"region": "北京", "span": "盲人醫療按摩診所,給予資金扶持"}, "has no document"),
    ],
)
def test_validator_rejects_spans_that_are_not_unique_verbatim_quotes(tmp_path, documents, gold, problem):
    path = tmp_path / "q.jsonl"
    record = {"id": "x", "q": "问题", "lang": "zh-Hans", "gold": [gold]}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        validate_questions(load_questions(path), documents, str(path))
    assert f"{path}:1" in str(raised.value) and problem in str(raised.value)


def test_spans_match_script_insensitively(tmp_path, documents):
    path = tmp_path / "q.jsonl"
    record = {
        "id": "x",
        "q": "问题",
        "lang": "zh-Hans",
        "gold": [{"region": "福建", "span": "盲人医疗按摩诊所,给予资金扶持"}],
    }
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    validate_questions(load_questions(path), documents, str(path))


def test_metrics_agree_with_trec_eval():
    """Where each gold span lies in its own clause, span metrics are the classic ones: compare with trec_eval."""
    pytrec_eval = pytest.importorskip("pytrec_eval")
    clause = {f"c{i}": Range("doc", i * 100, i * 100 + 90) for i in range(12)}
    cases = {
        "q1": (["c3", "c1", "c7", "c0", "c5"], ["c1", "c5"]),
        "q2": (["c2", "c4", "c6", "c8", "c10", "c11", "c9", "c0", "c1", "c3"], ["c9"]),
        "q3": (["c0", "c1", "c2"], ["c11"]),
        "q4": (["c6", "c7", "c8", "c9"], ["c6", "c7", "c8"]),
    }
    qrels = {q: dict.fromkeys(gold, 1) for q, (_, gold) in cases.items()}
    run = {q: {cid: float(len(ranked) - i) for i, cid in enumerate(ranked)} for q, (ranked, _) in cases.items()}
    measures = {"recall_1", "recall_5", "recall_10", "success_1", "success_5", "recip_rank", "ndcg_cut_10"}
    expected = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    for q, (ranked, gold) in cases.items():
        retrieved = [clause[c] for c in ranked]
        spans = [Range("doc", clause[c].start + 10, clause[c].start + 20) for c in gold]
        assert recall_at(retrieved, spans, 1) == pytest.approx(expected[q]["recall_1"])
        assert recall_at(retrieved, spans, 5) == pytest.approx(expected[q]["recall_5"])
        assert recall_at(retrieved, spans, 10) == pytest.approx(expected[q]["recall_10"])
        assert success_at(retrieved, spans, 1) == pytest.approx(expected[q]["success_1"])
        assert success_at(retrieved, spans, 5) == pytest.approx(expected[q]["success_5"])
        assert reciprocal_rank(retrieved, spans, 10) == pytest.approx(expected[q]["recip_rank"])
        assert ndcg_at(retrieved, spans, 10) == pytest.approx(expected[q]["ndcg_cut_10"])


def test_floor_passes_and_fails(tmp_path):
    report = {"default": "hybrid", "configs": {"hybrid": {"recall@5": 0.95, "mrr@10": 0.9}}}
    floor = tmp_path / "floor.json"
    floor.write_text('{"recall@5": 0.93, "mrr@10": 0.89}', encoding="utf-8")
    check_floor(report, floor)
    floor.write_text('{"recall@5": 0.96}', encoding="utf-8")
    with pytest.raises(FloorError, match=r"recall@5 0\.950 < 0\.96"):
        check_floor(report, floor)


@pytest.mark.slow
def test_eval_scores_an_unseen_file_side_by_side_and_writes_a_report(real_assistant, tmp_path):
    questions = tmp_path / "mine.jsonl"
    lines = [
        {
            "id": "m1",
            "q": "福建盲人按摩诊所能拿到钱吗",
            "lang": "zh-Hans",
            "gold": [{"region": "福建", "span": "給予資金扶持。按年度"}],
        },
        {
            "id": "m2",
            "q": "Jilin rural age limit for help",
            "lang": "en",
            "gold": [{"region": "吉林", "span": "放寬年齡至65周歲"}],
        },
        {"id": "m3", "q": "广东有什么政策", "lang": "zh-Hans", "gold": []},
    ]
    questions.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    report_dir = tmp_path / "report"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant",
            "eval",
            "--questions",
            str(questions),
            "--json",
            "--report",
            str(report_dir),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["questions"] == 3 and report["default"] == "hybrid"
    assert list(report["configs"]) == [
        "bm25",
        "dense",
        "hybrid-no-regions",
        "hybrid-pooled",
        "hybrid-rrf",
        "hybrid",
        "langchain",
    ]
    hybrid = report["configs"]["hybrid"]
    assert hybrid["recall@5"] == 1.0
    assert hybrid["out_of_scope"] == {"flagged": 1, "total": 1, "false_flags": 0}
    assert report["configs"]["hybrid-no-regions"]["out_of_scope"]["flagged"] == 0
    assert set(hybrid["by_lang"]) == {"zh-Hans", "en"}
    # m2, asked after m1 as in a chat, is still answered as a question of its own (m1 is first, m3 unanswerable).
    conversation = report["in_conversation"]
    assert conversation["questions"] == 1 and conversation["fell"] == []
    assert conversation["in_conversation"]["recall@5"] == conversation["alone"]["recall@5"] == 1.0
    markdown = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "| hybrid |" in markdown and "langchain" in markdown
    assert "## Asked in a conversation (`hybrid`)" in markdown and "| after the previous question | 1.000 |" in markdown
    assert (report_dir / "recall_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_glossary_entries_are_owned_by_the_question_file_named_above_them():
    from eval.leave_one_out import GLOSSARY_SOURCE, glossary_owners

    source = """GLOSSARY = {
    "低保": "最低生活保障",
    # From the fourth development file's misses (eval/questions/dev4.jsonl).
    "残障": "残疾人",
    "体彩": "体育彩票",
    # Everyday words.
    "老板": "用人单位",
}
ENGLISH = {
    # From the third development file (eval/questions/dev3.jsonl).
    "expire": "有效期",
}
"""
    assert glossary_owners(source) == {"残障": "dev4", "体彩": "dev4", "expire": "dev3"}
    real = glossary_owners(GLOSSARY_SOURCE.read_text(encoding="utf-8"))
    assert {real["残障"], real["expire"], real["花钱请"]} == {"dev4", "dev3", "dev5"}
    assert "低保" not in real  # grown before files were tracked: owned by none


def test_in_conversation_asks_each_question_of_its_own_after_the_one_before_it(tmp_path):
    from eval.questions import GoldSpan, Question
    from eval.run import in_conversation

    gold = (GoldSpan("福建", "給予資金扶持。按年度"),)
    first = Question("a", "福建盲人按摩诊所能拿到钱吗", "zh-Hans", gold)
    unanswerable = Question("b", "广东有什么政策", "zh-Hans", ())
    own = Question("c", "Jilin rural age limit for help", "en", gold)
    follow_up = Question("d", "那上海呢？", "zh-Hans", gold, history=("福建盲人按摩诊所能拿到钱吗",))
    asked = in_conversation([first, unanswerable, own, follow_up])
    # Only "c": the first has nothing before it, "b" has no answer, "d" has its own history.
    assert [(q.id, q.history) for q in asked] == [("c", ("广东有什么政策",))]

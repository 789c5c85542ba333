"""The `policyqa` command as a user runs it: a subprocess on the real corpus and the real default index."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

from assistant.settings import resolve_settings

FUJIAN_QUESTION = "福建对盲人医疗按摩诊所有哪些扶持?"
ASK_KEYS = {"question", "rewritten", "regions", "in_scope", "message", "answer", "passages"}
CLAUSE_KEYS = {"id", "region", "document", "section", "clause", "text", "start", "end", "units"}
TIMEOUT = 180


def run_cli(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )


def stderr_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a failing command prints (and nothing but that line)."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip("\n").splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def settings(real_assistant):
    """The default settings; depending on ``real_assistant`` makes sure the default index exists and is fresh."""
    return resolve_settings()


@pytest.fixture(scope="module")
def documents(settings) -> dict[str, str]:
    folder = settings.corpus_dir_or_default / "documents"
    return {path.stem: path.read_text(encoding="utf-8") for path in folder.glob("*.txt")}


@pytest.fixture
def index_copy(settings, tmp_path) -> Path:
    """A private copy of the real index, to damage."""
    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy)
    return copy


def ask_json(*args: str) -> dict:
    result = run_cli("ask", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def fujian_answer(settings) -> dict:
    return ask_json(FUJIAN_QUESTION)


def _assert_passages_quote_their_documents(answer: dict, documents: dict[str, str]) -> None:
    for passage in answer["passages"]:
        document_id = passage["id"].split("-", 1)[0]
        assert documents[document_id][passage["start"] : passage["end"]] == passage["text"], passage["id"]


def _assert_answer_cites_its_passages(answer: dict) -> None:
    assert answer["answer"], "no answer sentence"
    ranks = [passage["rank"] for passage in answer["passages"]]
    assert ranks == list(range(1, len(ranks) + 1))
    for sentence in answer["answer"]:
        assert sentence["citations"], sentence
        for rank in sentence["citations"]:
            assert 1 <= rank <= len(answer["passages"]), sentence
            assert sentence["text"] in answer["passages"][rank - 1]["text"], (sentence, rank)


# --- clauses --json --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clauses(settings) -> list[dict]:
    result = run_cli("clauses", "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert isinstance(records, list)
    return records


def test_clauses_json_records_have_exactly_the_contract_keys(clauses):
    assert clauses
    for record in clauses:
        assert set(record) == CLAUSE_KEYS, record.get("id")
    assert len({record["id"] for record in clauses}) == len(clauses)


def test_clauses_json_counts_the_numbered_clauses_of_each_region(clauses):
    numbered = Counter(record["region"] for record in clauses if record["clause"])
    assert numbered["上海"] == 10
    assert numbered["福建"] == 23
    assert numbered["吉林"] == 10


def test_clauses_json_text_is_the_document_text_at_its_offsets_in_document_order(clauses, documents):
    for record in clauses:
        document_id = record["id"].split("-", 1)[0]
        assert document_id in documents, record["id"]
        assert documents[document_id][record["start"] : record["end"]] == record["text"], record["id"]
    for document_id, group in itertools.groupby(clauses, key=lambda record: record["id"].split("-", 1)[0]):
        starts = [record["start"] for record in group]
        assert starts == sorted(starts), document_id


# --- ask --json ------------------------------------------------------------------------------------------------


def test_ask_json_has_the_contract_keys_and_finds_the_fujian_clause(fujian_answer):
    assert set(fujian_answer) >= ASK_KEYS  # the contract keys; later fields are additive
    assert fujian_answer["question"] == FUJIAN_QUESTION
    assert fujian_answer["rewritten"] == FUJIAN_QUESTION
    assert fujian_answer["regions"] == ["福建"]
    assert fujian_answer["in_scope"] is True
    assert fujian_answer["message"] is None
    top = fujian_answer["passages"][0]
    assert top["rank"] == 1
    assert top["id"] == "fujian-5-3"
    assert top["region"] == "福建"
    assert top["section"] == "五、實施殘疾人重點專項幫扶行動"
    assert top["clause"] == "(三)"
    assert len(fujian_answer["passages"]) == 5


def test_ask_json_answer_sentences_are_verbatim_quotes_of_the_cited_passages(fujian_answer, documents):
    _assert_answer_cites_its_passages(fujian_answer)
    _assert_passages_quote_their_documents(fujian_answer, documents)
    assert "盲人醫療按摩診所" in fujian_answer["answer"][0]["text"]


def test_ask_with_history_resolves_the_follow_up_to_jilin(settings, documents):
    answer = ask_json("那吉林呢?", "--history", FUJIAN_QUESTION)
    assert answer["question"] == "那吉林呢?"
    assert answer["rewritten"] == "吉林对盲人医疗按摩诊所有哪些扶持?"
    assert answer["regions"] == ["吉林"]
    assert answer["in_scope"] is True
    assert answer["passages"][0]["id"] == "jilin-2-3-7"
    assert {passage["region"] for passage in answer["passages"]} == {"吉林"}
    _assert_answer_cites_its_passages(answer)
    _assert_passages_quote_their_documents(answer, documents)


def test_ask_about_an_uncovered_region_is_out_of_scope_and_says_what_is_covered(settings):
    answer = ask_json("北京有哪些残疾人就业补贴?")
    assert set(answer) >= ASK_KEYS
    assert answer["in_scope"] is False
    assert answer["regions"] == []
    message = answer["message"]
    assert isinstance(message, str) and "北京" in message
    covered = {"、".join(order) for order in itertools.permutations(["上海", "吉林", "福建"])}
    assert any(listing in message for listing in covered), message


# --- usage errors: exit 2, one line, no traceback ----------------------------------------------------------------

USAGE_ERRORS = [
    pytest.param(["ask", ""], ["empty"], id="empty-question"),
    pytest.param(["ask", "   "], ["empty"], id="whitespace-question"),
    pytest.param(["ask", "福" * 501], ["501", "500"], id="501-characters"),
    pytest.param(["ask", FUJIAN_QUESTION, "--k", "0"], ["k", "0", "50"], id="k-0"),
    pytest.param(["ask", FUJIAN_QUESTION, "--k", "51"], ["k", "51", "50"], id="k-51"),
    pytest.param(["ask", FUJIAN_QUESTION, "--k", "abc"], ["--k", "abc"], id="k-abc"),
    pytest.param(["ask", FUJIAN_QUESTION, "--region", "北京"], ["北京", "福建", "吉林", "上海"], id="uncovered-region"),
    pytest.param(["frobnicate"], ["frobnicate", "ask"], id="unknown-subcommand"),
    pytest.param(["ask"], ["question"], id="missing-question"),
]


@pytest.mark.parametrize(("args", "says"), USAGE_ERRORS)
def test_a_usage_mistake_exits_2_with_one_line_saying_what_was_wrong(settings, args, says):
    result = run_cli(*args)
    assert result.returncode == 2, (result.returncode, result.stderr)
    line = stderr_line(result)
    assert line.startswith("policyqa: "), line
    for word in says:
        assert word in line, (word, line)
    assert result.stdout == ""


def test_a_usage_hint_names_a_command_that_exists(settings):
    line = stderr_line(run_cli("frobnicate"))
    hint = re.search(r"`(policyqa[^`]*)`", line)
    assert hint, line
    assert hint.group(1) == "policyqa --help"


def test_a_reader_that_stops_early_gets_no_traceback():
    # `policyqa clauses --json | head -c 10`. The pipe is shrunk to one page (Linux's F_SETPIPE_SZ) before the command
    # starts, so the JSON (about 50 KB) cannot all fit in it and some write must come after the reader has gone.
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("needs Linux's F_SETPIPE_SZ to make the pipe smaller than the output")
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    command = [sys.executable, "-m", "assistant", "clauses", "--json"]
    writer = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        assert reader.read(10).startswith(b"[")
    assert writer.stderr is not None
    errors = writer.stderr.read().decode("utf-8")
    assert writer.wait(timeout=TIMEOUT) == 141
    assert errors == ""


def test_help_exits_0_and_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: policyqa")
    for command in ("index", "clauses", "ask"):
        assert command in result.stdout
    assert result.stderr == ""


# --- a damaged index: exit 3 naming the file and the fix; never silently rebuilt ------------------------------------


def test_a_deleted_manifest_exits_3_and_is_not_rebuilt(index_copy):
    (index_copy / "manifest.json").unlink()
    before = snapshot(index_copy)
    result = run_cli("ask", FUJIAN_QUESTION, "--index-dir", str(index_copy))
    assert result.returncode == 3, (result.returncode, result.stderr)
    line = stderr_line(result)
    assert "manifest.json" in line and str(index_copy) in line
    assert "`policyqa index`" in line
    assert result.stdout == ""
    assert not (index_copy / "manifest.json").exists()
    assert snapshot(index_copy) == before


def test_a_truncated_dense_faiss_exits_3_and_is_not_rebuilt(index_copy):
    path = index_copy / "dense.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    before = snapshot(index_copy)
    result = run_cli("ask", FUJIAN_QUESTION, "--index-dir", str(index_copy))
    assert result.returncode == 3, (result.returncode, result.stderr)
    line = stderr_line(result)
    assert str(path) in line
    assert "`policyqa index`" in line
    assert result.stdout == ""
    assert snapshot(index_copy) == before


# --- a missing index directory is built first --------------------------------------------------------------------


@pytest.mark.slow
def test_ask_builds_a_missing_index_directory_with_progress_then_answers(settings, tmp_path, documents):
    index_dir = tmp_path / "fresh" / "index"
    result = run_cli("ask", FUJIAN_QUESTION, "--index-dir", str(index_dir), "--json", timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "building" in result.stderr
    assert "embedding clauses" in result.stderr  # the progress bar
    answer = json.loads(result.stdout)
    assert answer["passages"][0]["id"] == "fujian-5-3"
    _assert_answer_cites_its_passages(answer)
    _assert_passages_quote_their_documents(answer, documents)
    assert (index_dir / "manifest.json").is_file()
    assert sorted(path.name for path in index_dir.parent.iterdir()) == ["index"]


HEAVY_FOR_ASK = ("gradio", "torch", "sentence_transformers", "transformers", "pymilvus", "bm25s", "scipy", "matplotlib")


def test_ask_imports_nothing_heavy_it_does_not_use(real_assistant):
    """The cold start of `policyqa ask` stays short: the chat, torch, Milvus, bm25s/scipy and charts load only
    in the commands that use them."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['policyqa', 'ask', '福建对盲人医疗按摩诊所有哪些扶持?', '--json']\n"
        "try:\n"
        "    runpy.run_module('assistant', run_name='__main__')\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY_FOR_ASK!r}))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["passages"][0]["id"] == "fujian-5-3"
    assert "HEAVY []" in result.stderr, result.stderr[-500:]

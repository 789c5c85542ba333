"""SIGKILL `policyqa index` and `policyqa add` at random moments: the index and the corpus stay whole.

After every kill the index directory opens as the complete old index or the complete new one (or, for `add`
killed between committing the corpus and swapping the index in, it is reported stale); the corpus holds only
complete documents; and running the same command again succeeds and leaves a current index.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

from assistant.ingest import STAGED_CORPUS_PREFIX
from corpus.errors import IndexProblem
from corpus.loader import DOCUMENTS_DIR, load_documents
from index.onnx_e5 import OnnxE5Embedder
from index.search_index import open_index

RUNS = 20
WORKERS = 2
TIMING_ROUNDS = 2
MAX_ATTEMPTS_PER_KILL = 2  # runs that finish before their kill are retried, up to twice as many runs in all
SEED = 20261129
POLICYQA = [sys.executable, "-m", "assistant"]
WARM_CACHE = PROJECT_ROOT / ".policyqa" / "cache"
ADDED_TEXT = (
    "上海市浦东新区残疾人就业测试补充办法\n"
    "第一条 对招用残疾人的小微企业给予一次性岗位补贴。\n"
    "第二条 支持残疾人大学生参加就业见习,见习期间发放生活补助。\n"
    "第三条 本办法自发布之日起施行。\n"
)
ADDED_TITLE = "上海市浦东新区残疾人就业测试补充办法"

pytestmark = pytest.mark.slow


def _env(root: Path) -> dict[str, str]:
    return os.environ | {
        "POLICYQA_CORPUS": str(root / "corpus"),
        "POLICYQA_INDEX_DIR": str(root / "state" / "index"),
        "POLICYQA_CACHE_DIR": str(root / "cache"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }


def _command(kind: str, root: Path) -> list[str]:
    if kind == "index":
        return [*POLICYQA, "index"]
    return [*POLICYQA, "add", str(root / "pudong.txt"), "--title", ADDED_TITLE]


def _run(kind: str, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(kind, root), env=_env(root), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )


def _timed_run(kind: str, root: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.monotonic()
    result = _run(kind, root)
    return time.monotonic() - started, result


def _manifest(root: Path) -> dict:
    return json.loads((root / "state" / "index" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float], dict[str, int]]:
    """A corpus copy, a warm cache and a built index; how long each command takes (two at once, as the kill
    runs go) and how many clauses its index then holds."""
    root = tmp_path_factory.mktemp("pristine")
    shutil.copytree(PROJECT_ROOT / "corpus" / DOCUMENTS_DIR, root / "corpus" / DOCUMENTS_DIR)
    (root / "cache").mkdir()
    if (WARM_CACHE / "embeddings").is_dir():
        shutil.copytree(WARM_CACHE / "embeddings", root / "cache" / "embeddings")
    if (WARM_CACHE / "jieba.cache").is_file():
        shutil.copy2(WARM_CACHE / "jieba.cache", root / "cache" / "jieba.cache")
    (root / "pudong.txt").write_text(ADDED_TEXT, encoding="utf-8")
    assert _run("index", root).returncode == 0
    # One `add` first, so its passages are in the cache: timed runs then take as long as the kill runs will
    # (timing a cold add once made most kill delays land after the command had already finished).
    warm_up = tmp_path_factory.mktemp("warm-up")
    shutil.copytree(root, warm_up, dirs_exist_ok=True)
    assert _run("add", warm_up).returncode == 0
    shutil.copytree(warm_up / "cache", root / "cache", dirs_exist_ok=True)
    durations, clause_counts = {}, {}
    for kind in ("index", "add"):
        timed = []
        for _ in range(TIMING_ROUNDS):
            trials = [tmp_path_factory.mktemp(f"timing-{kind}") for _ in range(WORKERS)]
            for trial in trials:
                shutil.copytree(root, trial, dirs_exist_ok=True)
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                timed += pool.map(lambda trial: _timed_run(kind, trial), trials)  # noqa: B023
        results = [result for _, result in timed]
        assert all(result.returncode == 0 for result in results), [result.stderr for result in results]
        # The quickest run: one slowed by the machine (the disk still writing the copies just made, another job)
        # spreads the kill delays past the end of most commands; 11 of 20 kills once landed after the command ended.
        durations[kind] = min(seconds for seconds, _ in timed)
        clause_counts[kind] = _manifest(trials[0])["clause_count"]
    return root, durations, clause_counts


def _check_corpus(corpus_dir: Path) -> list[str]:
    """Every .txt has its metadata and the corpus loads; returns the leftover files the loader ignores."""
    folder = corpus_dir / DOCUMENTS_DIR
    for text_path in folder.glob("*.txt"):
        meta = text_path.with_suffix(".json")
        assert meta.is_file(), f"{text_path.name} has no metadata"
        json.loads(meta.read_text(encoding="utf-8"))
    load_documents(corpus_dir)
    return sorted(
        path.name
        for path in folder.iterdir()
        if not (path.suffix in (".txt", ".json") and not path.name.startswith("."))
    )


def _kill_once(
    kind: str, root: Path, delay: float, clause_counts: dict[str, int]
) -> tuple[str, list[str], float | None]:
    """Start the command, SIGKILL it after ``delay`` seconds, and say what the index then is: old, new or stale;
    also how long the command took when it finished before the kill (None when it was killed)."""
    old = _manifest(root)
    started = time.monotonic()
    process = subprocess.Popen(
        _command(kind, root), env=_env(root), cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        process.wait(timeout=delay)
        finished_after = time.monotonic() - started
    except subprocess.TimeoutExpired:
        finished_after = None
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    killed = finished_after is None
    try:
        index = open_index(root / "state" / "index", OnnxE5Embedder(root / "cache").id, root / "corpus")
    except IndexProblem as problem:
        assert kind == "add" and "stale" in str(problem), f"{kind} killed after {delay:.2f}s: {problem}"
        outcome = "stale"
    else:
        new = _manifest(root)
        assert len(index.clauses) == new["clause_count"]
        if new["built_at"] == old["built_at"] and new["corpus_hash"] == old["corpus_hash"]:
            outcome = "old"
            assert new == old
        else:
            outcome = "new"
            assert new["clause_count"] == clause_counts[kind]
    return (outcome if killed else "finished"), _check_corpus(root / "corpus"), finished_after


def _recover(kind: str, root: Path, clause_counts: dict[str, int]) -> None:
    """The same command, run normally, succeeds and leaves a current index holding what it should."""
    leftovers = _check_corpus(root / "corpus")
    result = _run(kind, root)
    assert result.returncode == 0, f"{kind} after a kill: {result.stderr}"
    index = open_index(root / "state" / "index", OnnxE5Embedder(root / "cache").id, root / "corpus")
    assert len(index.clauses) == clause_counts[kind]
    assert _check_corpus(root / "corpus") == leftovers
    # The killed builds' staging folders are gone: a build removes those no live process holds.
    assert [path.name for path in (root / "state").iterdir()] == ["index"]
    assert not list((root / "cache").glob(f"{STAGED_CORPUS_PREFIX}*"))  # nor the staged corpora of killed adds


def _chain(kind: str, chain: int, pristine: tuple, work: Path) -> list[tuple[str, list[str], int]]:
    """RUNS / WORKERS kills that landed, each on the state the previous one left; an `add` that got through
    starts over. A command that finishes before its kill shows how long it takes now, and later delays are drawn
    below that: the machine's speed drifts between the timing runs and the kills (once 14 of 20 adds finished
    before a delay drawn from the timing runs), so the timing alone cannot promise the kills land mid-command."""
    pristine_root, durations, clause_counts = pristine
    rng = random.Random(f"{SEED}-{kind}-{chain}")
    fresh = iter(range(RUNS * MAX_ATTEMPTS_PER_KILL))
    root = work / f"{kind}-{chain}-{next(fresh)}"
    shutil.copytree(pristine_root, root)
    results = []
    longest_delay = durations[kind]
    for _ in range(RUNS // WORKERS * MAX_ATTEMPTS_PER_KILL):
        if sum(outcome != "finished" for outcome, _, _ in results) == RUNS // WORKERS:
            break
        outcome, leftovers, finished_after = _kill_once(kind, root, rng.uniform(0.0, longest_delay), clause_counts)
        if finished_after is not None:
            longest_delay = min(longest_delay, finished_after)
        stray = [path.name for path in (root / "state").iterdir() if path.name != "index"]
        results.append((outcome, leftovers, len(stray)))
        if kind == "add" and outcome != "old":
            _recover(kind, root, clause_counts)
            root = work / f"{kind}-{chain}-{next(fresh)}"
            shutil.copytree(pristine_root, root)
    _recover(kind, root, clause_counts)
    return results


@pytest.mark.parametrize("kind", ["index", "add"])
def test_sigkill_at_random_moments_leaves_a_whole_index_and_corpus(pristine, kind, tmp_path):
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        chains = list(pool.map(lambda chain: _chain(kind, chain, pristine, tmp_path), range(WORKERS)))
    results = [result for chain in chains for result in chain]
    outcomes = Counter(outcome for outcome, _, _ in results)
    leftovers = Counter(name.rsplit(".", 1)[-1] for _, names, _ in results for name in names)
    print(
        f"\n{kind}: {len(results)} runs, delays over {pristine[1][kind]:.1f} s, "
        f"{len(results) - outcomes['finished']} killed; outcomes {dict(outcomes)}; "
        f"corpus leftovers {dict(leftovers)}; most staging dirs beside the index {max(r[2] for r in results)}; "
        f"{time.monotonic() - started:.0f} s"
    )
    # Most kills landed while the command ran (each chain stops at RUNS / WORKERS of them).
    assert len(results) - outcomes["finished"] >= RUNS * 3 // 4
    if kind == "index":
        assert outcomes["stale"] == 0


def test_add_stopped_between_corpus_commit_and_index_swap_is_finished_by_the_same_add(pristine, tmp_path):
    """The stale window made deterministic: the document is in the corpus, the index is the old one."""
    pristine_root, _, clause_counts = pristine
    root = tmp_path / "window"
    shutil.copytree(pristine_root, root)
    staged = tmp_path / "staged"
    shutil.copytree(pristine_root, staged)
    assert _run("add", staged).returncode == 0
    for path in (staged / "corpus" / DOCUMENTS_DIR).glob("shanghai-*"):
        shutil.copy2(path, root / "corpus" / DOCUMENTS_DIR / path.name)  # the commit, without the swap
    with pytest.raises(IndexProblem, match="stale"):
        open_index(root / "state" / "index", OnnxE5Embedder(root / "cache").id, root / "corpus")

    result = _run("add", root)

    assert result.returncode == 0, result.stderr
    assert "unchanged" in result.stdout
    index = open_index(root / "state" / "index", OnnxE5Embedder(root / "cache").id, root / "corpus")  # no longer stale
    assert len(index.clauses) == clause_counts["add"]

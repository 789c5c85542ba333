"""The index directory contract: plain files with a manifest, atomic rebuilds, and exit-3 errors for damage."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import PROJECT_ROOT, SMALL_DOCUMENTS, HashingEmbedder, write_document

from corpus.errors import IndexProblem
from index.build import build_index, staging_prefix
from index.scratch import remove_abandoned
from index.search_index import open_index

MANIFEST_FIELDS = (
    "format_version",
    "embedder",
    "store",
    "dimension",
    "corpus_path",
    "corpus_hash",
    "clause_count",
    "library_versions",
    "built_at",
    "files",
)
PICKLE_PROTOCOL_2_TO_5 = tuple(bytes([0x80, protocol]) for protocol in range(2, 6))


@pytest.fixture(scope="module")
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One jieba cache for the module: initialising jieba on a fresh cache costs seconds per build."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, embedder: HashingEmbedder, cache_dir: Path) -> tuple[Path, Path]:
    """(corpus, index) of the small corpus, built once for the module; tests that change files copy it first."""
    root = tmp_path_factory.mktemp("pristine")
    corpus_dir = root / "corpus"
    for doc_id, (region, title, text) in SMALL_DOCUMENTS.items():
        write_document(corpus_dir, doc_id, region, title, text)
    index_dir = root / "index"
    build_index(corpus_dir, index_dir, embedder, cache_dir, progress=False)
    return corpus_dir, index_dir


@pytest.fixture
def built(pristine: tuple[Path, Path], tmp_path: Path) -> Path:
    """A private copy of the small corpus's index; open it against ``small_corpus`` (the same documents)."""
    index_dir = tmp_path / "index"
    shutil.copytree(pristine[1], index_dir)
    return index_dir


def _manifest(index_dir: Path) -> dict:
    return json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))


def _files_on_disk(index_dir: Path) -> dict[str, Path]:
    return {path.relative_to(index_dir).as_posix(): path for path in index_dir.rglob("*") if path.is_file()}


def _open_problem(index_dir: Path, embedder_id: str, corpus_dir: Path) -> IndexProblem:
    with pytest.raises(IndexProblem) as caught:
        open_index(index_dir, embedder_id, corpus_dir)
    assert caught.value.exit_code == 3
    return caught.value


def _assert_names_file_and_fix(problem: IndexProblem, file_name: str) -> None:
    message = str(problem)
    assert file_name in message, message
    assert "`policyqa index`" in message, message
    assert "\n" not in message, message


# --- layout and manifest ---------------------------------------------------------------------------------------


def test_the_index_directory_holds_the_documented_artifacts(built):
    assert (built / "manifest.json").is_file()
    assert (built / "clauses.jsonl").is_file()
    assert (built / "dense.faiss").is_file()
    assert (built / "bm25").is_dir()
    assert any((built / "bm25").iterdir())


def test_no_artifact_is_a_pickle(built):
    for name, path in _files_on_disk(built).items():
        assert path.suffix not in (".pkl", ".pickle"), name
        assert not path.read_bytes().startswith(PICKLE_PROTOCOL_2_TO_5), f"{name} looks like a pickle"
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)  # raises if the array needs pickle


def test_clauses_jsonl_is_utf8_with_literal_chinese(built, small_corpus, embedder):
    raw = (built / "clauses.jsonl").read_bytes()
    text = raw.decode("utf-8")
    assert "盲人医疗按摩诊所" in text
    assert "\\u" not in text  # ensure_ascii=False: no escaped code points
    records = [json.loads(line) for line in text.splitlines()]
    index = open_index(built, embedder.id, small_corpus)
    assert [record["id"] for record in records] == [clause.id for clause in index.clauses]
    for record in records:
        assert {"id", "region", "document", "section", "clause", "text", "start", "end", "units"} <= record.keys()


def test_manifest_records_what_the_index_was_built_from(pristine, embedder):
    corpus_dir, built = pristine
    manifest = _manifest(built)
    for name in MANIFEST_FIELDS:
        assert name in manifest, name
    assert manifest["format_version"] == 2
    assert manifest["embedder"] == embedder.id
    assert manifest["store"] == "faiss"
    assert manifest["dimension"] == embedder.dimension
    assert Path(manifest["corpus_path"]) == corpus_dir.resolve()
    assert len(manifest["corpus_hash"]) == 64
    assert manifest["clause_count"] == len((built / "clauses.jsonl").read_text(encoding="utf-8").splitlines())
    assert manifest["clause_count"] == 6
    assert manifest["library_versions"]["python"].startswith("3.")
    assert "faiss-cpu" in manifest["library_versions"]
    assert "bm25s" in manifest["library_versions"]
    assert manifest["built_at"][:4].isdigit() and "T" in manifest["built_at"]


def test_manifest_checksums_every_artifact(built):
    files = _manifest(built)["files"]
    on_disk = _files_on_disk(built)
    assert set(files) == set(on_disk) - {"manifest.json"}
    assert {"clauses.jsonl", "dense.faiss"} <= set(files)
    assert any(name.startswith("bm25/") for name in files)
    for name, path in on_disk.items():
        if name == "manifest.json":
            continue
        assert files[name]["size"] == path.stat().st_size, name
        assert files[name]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), name


# --- rebuilds --------------------------------------------------------------------------------------------------


def test_rebuilding_replaces_the_index_whole_and_leaves_no_temporary_dirs(small_corpus, tmp_path, embedder, cache_dir):
    built = tmp_path / "state" / "index"
    build_index(small_corpus, built, embedder, cache_dir, progress=False)
    first_built_at = _manifest(built)["built_at"]
    (built / "leftover.txt").write_text("from an older build", encoding="utf-8")
    write_document(small_corpus, "delta", "上海", "上海市补充方案", "一、补充\n(一)辅助性就业机构补贴。\n")
    siblings_before = sorted(path.name for path in built.parent.iterdir())

    build_index(small_corpus, built, embedder, cache_dir, progress=False)

    assert not (built / "leftover.txt").exists()
    assert sorted(path.name for path in built.parent.iterdir()) == siblings_before
    assert _manifest(built)["clause_count"] == 7
    assert _manifest(built)["built_at"] >= first_built_at
    assert Path(_manifest(built)["corpus_path"]) == small_corpus.resolve()
    index = open_index(built, embedder.id, small_corpus)
    assert "delta-1-1" in {clause.id for clause in index.clauses}


def test_a_first_build_leaves_only_the_index_in_its_parent(small_corpus, tmp_path, embedder, cache_dir):
    parent = tmp_path / "state"
    build_index(small_corpus, parent / "index", embedder, cache_dir, progress=False)
    assert [path.name for path in parent.iterdir()] == ["index"]


def test_the_index_directory_gets_the_mode_of_an_ordinary_directory(small_corpus, tmp_path, embedder, cache_dir):
    """Built in a temporary sibling, it must not keep a private 0700 mode that other users cannot read."""
    index_dir = tmp_path / "state" / "index"
    build_index(small_corpus, index_dir, embedder, cache_dir, progress=False)
    ordinary = tmp_path / "state" / "ordinary"
    ordinary.mkdir()
    assert stat.S_IMODE(index_dir.stat().st_mode) == stat.S_IMODE(ordinary.stat().st_mode)


# --- damage: every one is IndexProblem (exit 3) naming the file and `policyqa index` ------------------------------


def test_a_deleted_manifest_is_an_index_problem(built, small_corpus, embedder):
    (built / "manifest.json").unlink()
    _assert_names_file_and_fix(_open_problem(built, embedder.id, small_corpus), "manifest.json")


@pytest.mark.parametrize("garbage", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'{"format_version": 1}'])
def test_a_garbage_manifest_is_an_index_problem(built, small_corpus, embedder, garbage):
    (built / "manifest.json").write_bytes(garbage)
    _assert_names_file_and_fix(_open_problem(built, embedder.id, small_corpus), "manifest.json")


def _set(field: str, value: object):
    def mutate(manifest: dict) -> None:
        manifest[field] = value

    return mutate


def _bad_file_entry(manifest: dict) -> None:
    manifest["files"]["dense.faiss"] = "not an entry"


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(_bad_file_entry, id="file-entry-a-string"),
        pytest.param(_set("files", [1, 2]), id="files-a-list"),
        pytest.param(_set("corpus_files", None), id="corpus-files-null"),
        pytest.param(_set("format_version", "1"), id="format-version-a-string"),
        pytest.param(_set("clause_count", "6"), id="clause-count-a-string"),
    ],
)
def test_a_manifest_of_valid_json_but_wrong_shape_is_an_index_problem(built, small_corpus, embedder, mutate):
    manifest = _manifest(built)
    mutate(manifest)
    (built / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    _assert_names_file_and_fix(_open_problem(built, embedder.id, small_corpus), "manifest.json")


def test_garbage_clauses_jsonl_is_an_index_problem(built, small_corpus, embedder):
    (built / "clauses.jsonl").write_text("this is not json\n", encoding="utf-8")
    _assert_names_file_and_fix(_open_problem(built, embedder.id, small_corpus), "clauses.jsonl")


def test_a_truncated_dense_faiss_is_an_index_problem(built, small_corpus, embedder):
    path = built / "dense.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _assert_names_file_and_fix(_open_problem(built, embedder.id, small_corpus), "dense.faiss")


def test_one_flipped_byte_in_a_bm25_file_is_an_index_problem(built, small_corpus, embedder):
    path = max((built / "bm25").iterdir(), key=lambda p: p.stat().st_size)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    _assert_names_file_and_fix(_open_problem(built, embedder.id, small_corpus), path.name)


def test_an_index_built_with_another_embedder_is_an_index_problem(built, small_corpus, embedder):
    problem = _open_problem(built, "other/embedder@1", small_corpus)
    _assert_names_file_and_fix(problem, "manifest.json")
    assert embedder.id in str(problem) and "other/embedder@1" in str(problem)


def test_damage_the_manifest_does_not_list_is_still_an_index_problem(built, small_corpus, embedder):
    """A manifest that lost an entry must not turn a truncated artifact into a crash of the loader."""
    manifest = _manifest(built)
    del manifest["files"]["dense.faiss"]
    (built / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    path = built / "dense.faiss"
    path.write_bytes(path.read_bytes()[:100])
    _assert_names_file_and_fix(_open_problem(built, embedder.id, small_corpus), "dense.faiss")


def test_an_intact_index_opens(built, small_corpus, embedder):
    index = open_index(built, embedder.id, small_corpus)
    assert len(index.clauses) == 6
    assert index.dense.count() == len(index.parts)
    assert index.regions == ["上海", "吉林", "福建"]


# --- stale: the message says what changed in the corpus -----------------------------------------------------------


def test_an_edited_document_makes_the_index_stale_and_is_named(built, small_corpus, embedder):
    text_path = small_corpus / "documents" / "beta.txt"
    text_path.write_text(text_path.read_text(encoding="utf-8") + "(三)新增条款。\n", encoding="utf-8")
    problem = _open_problem(built, embedder.id, small_corpus)
    message = str(problem)
    assert "stale" in message
    assert "changed: beta.txt" in message
    assert "alpha" not in message and "gamma" not in message
    assert "`policyqa index`" in message


def test_an_added_document_makes_the_index_stale_and_is_named_as_added(built, small_corpus, embedder):
    write_document(small_corpus, "delta", "上海", "上海市补充方案", "一、补充\n(一)辅助性就业机构补贴。\n")
    problem = _open_problem(built, embedder.id, small_corpus)
    message = str(problem)
    assert "stale" in message
    assert "added: delta.json, delta.txt" in message
    assert "changed:" not in message and "removed:" not in message
    assert "`policyqa index`" in message


def test_a_removed_document_makes_the_index_stale_and_is_named_as_removed(built, small_corpus, embedder):
    (small_corpus / "documents" / "gamma.txt").unlink()
    (small_corpus / "documents" / "gamma.json").unlink()
    message = str(_open_problem(built, embedder.id, small_corpus))
    assert "stale" in message
    assert "removed: gamma.json, gamma.txt" in message
    assert "alpha" not in message and "beta" not in message
    assert "`policyqa index`" in message


# --- the damage matrix: every artifact, truncated and with one byte flipped ---------------------------------------

ARTIFACTS = (
    "bm25/data.csc.index.npy",
    "bm25/indices.csc.index.npy",
    "bm25/indptr.csc.index.npy",
    "bm25/params.index.json",
    "bm25/vocab.index.json",
    "bm25_bigrams/data.csc.index.npy",
    "bm25_bigrams/indices.csc.index.npy",
    "bm25_bigrams/indptr.csc.index.npy",
    "bm25_bigrams/params.index.json",
    "bm25_bigrams/vocab.index.json",
    "clauses.jsonl",
    "dense.faiss",
    "lexicon/vectors.npy",
    "lexicon/words.json",
    "translation.json",
)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_the_damage_matrix_covers_every_artifact_of_a_built_index(built):
    assert set(_files_on_disk(built)) - {"manifest.json"} == set(ARTIFACTS)


@pytest.mark.parametrize("damage", [_truncate, _flip_middle_byte], ids=["truncated", "one-byte-flipped"])
@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_every_damaged_artifact_is_an_index_problem_naming_it(built, small_corpus, embedder, artifact, damage):
    damage(built / artifact)
    _assert_names_file_and_fix(_open_problem(built, embedder.id, small_corpus), artifact)


def test_ask_on_a_damaged_index_exits_3_with_one_line_and_leaves_the_file_alone(built, small_corpus, tmp_path):
    damaged = built / "dense.faiss"
    _flip_middle_byte(damaged)
    before = damaged.read_bytes()
    env = os.environ | {"POLICYQA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(PROJECT_ROOT)}
    where = ["--index-dir", str(built), "--corpus", str(small_corpus)]
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "盲人按摩", *where],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "dense.faiss" in lines[0] and "`policyqa index`" in lines[0]
    assert damaged.read_bytes() == before
    assert not [path.name for path in built.parent.iterdir() if path.name.startswith(".index")]  # no rebuild begun


def test_a_build_removes_staging_folders_of_killed_builds_but_not_of_running_ones(
    small_corpus, tmp_path, embedder, cache_dir
):
    index_dir = tmp_path / "state" / "index"
    build_index(small_corpus, index_dir, embedder, cache_dir, progress=False)
    # A killed build: its folder and its lock file stay, but nobody holds the lock any more.
    killed = index_dir.parent / f"{staging_prefix(index_dir)}0123456789abcdef"
    killed.mkdir()
    (killed / "dense.faiss").write_bytes(b"half written")
    killed.with_name(killed.name + ".lock").touch()
    # An older kind of leftover without a lock file.
    unlocked = index_dir.parent / f"{staging_prefix(index_dir)}fedcba9876543210"
    unlocked.mkdir()
    # A lock left without its folder (killed between the two).
    (index_dir.parent / f"{staging_prefix(index_dir)}1111222233334444.lock").touch()
    # A build still running in another process holds its lock.
    running = index_dir.parent / f"{staging_prefix(index_dir)}00000000ffffffff"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; d = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(d, fcntl.LOCK_EX); os.mkdir(sys.argv[2]); print('locked', flush=True); time.sleep(60)",
            str(running.with_name(running.name + ".lock")),
            str(running),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        build_index(small_corpus, index_dir, embedder, cache_dir, progress=False)
        left = sorted(path.name for path in index_dir.parent.iterdir())
    finally:
        holder.kill()
        holder.wait()
    assert left == sorted(["index", running.name, running.name + ".lock"])
    # Once its owner is gone, the next build clears it too.
    assert remove_abandoned(index_dir.parent, staging_prefix(index_dir)) == [running]
    assert [path.name for path in index_dir.parent.iterdir()] == ["index"]

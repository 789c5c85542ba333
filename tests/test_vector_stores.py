"""One contract for every vector store (FAISS, Milvus Lite), on small hand-made vectors; then the real corpus
built into Milvus Lite must score as the FAISS index does."""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import PROJECT_ROOT

from index.stores.base import VectorRow
from index.stores.faiss_store import FaissStore
from index.stores.milvus_store import MilvusStore, region_filter

# The FAISS half runs without the optional extra milvus; `make test` installs it.
needs_milvus = pytest.mark.skipif(
    not (importlib.util.find_spec("pymilvus") and importlib.util.find_spec("milvus_lite")),
    reason="pymilvus and milvus-lite are not installed (pip install -e '.[milvus]')",
)

DIMENSION = 4
_names = itertools.count()


def _unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


# Row, document, region, vector: row 2 and row 4 are the same vector (a tie), doc-b spans two regions' rows.
ROWS = [
    (0, "doc-a", "上海", _unit(1, 0, 0, 0)),
    (1, "doc-a", "上海", _unit(0.8, 0.6, 0, 0)),
    (2, "doc-b", "福建", _unit(0.6, 0.8, 0, 0)),
    (3, "doc-c", "吉林", _unit(0, 0, 1, 0)),
    (4, "doc-b", "福建", _unit(0.6, 0.8, 0, 0)),
    (5, "doc-c", "吉林", _unit(0, 0.6, 0, 0.8)),
]
TEXTS = {0: "盲人医疗按摩诊所给予资金扶持", 2: "农村电商带头人培训", 3: "大学生就业见习岗位补贴"}


def _records() -> tuple[np.ndarray, list[VectorRow]]:
    vectors = np.vstack([vector for *_, vector in ROWS])
    rows = [VectorRow(row, f"{doc}-{row}", doc, region, TEXTS.get(row, "")) for row, doc, region, _ in ROWS]
    return vectors, rows


class FaissBackend:
    name = "faiss"

    def __init__(self, root: Path) -> None:
        self.root = root

    def create(self) -> FaissStore:
        return FaissStore.create(DIMENSION)

    def reopen(self, store: FaissStore) -> FaissStore:
        folder = self.root / f"faiss-{next(_names)}"
        folder.mkdir()
        store.save(folder)
        return FaissStore.open(folder, store.rows)


class MilvusBackend:
    name = "milvus"

    def __init__(self, root: Path) -> None:
        self.uri = str(root / "contract.db")

    def create(self) -> MilvusStore:
        return MilvusStore.create(self.uri, f"contract_{next(_names)}", DIMENSION)

    def reopen(self, store: MilvusStore) -> MilvusStore:
        store.save(Path("unused"))
        return MilvusStore.open(self.uri, store.collection)


@pytest.fixture(scope="module")
def backends(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("stores")
    return {"faiss": FaissBackend(root), "milvus": MilvusBackend(root)}


@pytest.fixture(params=["faiss", pytest.param("milvus", marks=needs_milvus)])
def backend(request, backends):
    return backends[request.param]


@pytest.fixture
def store(backend):
    store = backend.create()
    store.add(*_records())
    return store


def _rows(hits: list[tuple[int, float]]) -> list[int]:
    return [row for row, _ in hits]


def test_count_is_the_number_of_vectors_added(backend):
    store = backend.create()
    assert store.count() == 0
    store.add(*_records())
    assert store.count() == len(ROWS)
    assert store.dimension == DIMENSION


def test_search_is_by_inner_product_best_first_with_ties_broken_by_row(store):
    hits = store.search(_unit(1, 0, 0, 0), 6)
    assert _rows(hits) == [0, 1, 2, 4, 3, 5]
    assert [score for _, score in hits] == pytest.approx([1.0, 0.8, 0.6, 0.6, 0.0, 0.0], abs=1e-6)
    assert _rows(store.search(_unit(0.6, 0.8, 0, 0), 3)) == [2, 4, 1]  # the tie: rows 2 and 4, by row


def test_k_bounds_the_hits(store):
    assert _rows(store.search(_unit(1, 0, 0, 0), 2)) == [0, 1]
    assert len(store.search(_unit(1, 0, 0, 0), 100)) == len(ROWS)
    assert store.search(_unit(1, 0, 0, 0), 0) == []


def test_a_region_filter_keeps_only_rows_of_those_regions(store):
    assert _rows(store.search(_unit(1, 0, 0, 0), 6, ["福建"])) == [2, 4]
    assert _rows(store.search(_unit(1, 0, 0, 0), 6, ["吉林", "上海"])) == [0, 1, 3, 5]
    assert store.search(_unit(1, 0, 0, 0), 6, ["广东"]) == []


def test_delete_by_document_removes_its_rows_and_keeps_the_others_numbers(store):
    assert store.delete_document("doc-b") == 2
    assert store.count() == len(ROWS) - 2
    assert _rows(store.search(_unit(0.6, 0.8, 0, 0), 6)) == [1, 0, 5, 3]
    assert store.search(_unit(1, 0, 0, 0), 6, ["福建"]) == []
    assert store.delete_document("doc-b") == 0
    assert store.delete_document("no-such-document") == 0


def test_rows_added_without_records_are_numbered_on(backend):
    store = backend.create()
    store.add(np.vstack([_unit(1, 0, 0, 0), _unit(0, 1, 0, 0)]))
    store.add(np.vstack([_unit(0, 0, 1, 0)]))
    assert _rows(store.search(_unit(0, 0, 1, 0), 1)) == [2]


def test_a_saved_store_reopens_with_the_same_answers(backend, store):
    store.delete_document("doc-c")
    before = [store.search(_unit(0.6, 0.8, 0, 0), 6, regions) for regions in ((), ("上海",), ("福建", "吉林"))]
    reopened = backend.reopen(store)
    assert reopened.count() == len(ROWS) - 2
    after = [reopened.search(_unit(0.6, 0.8, 0, 0), 6, regions) for regions in ((), ("上海",), ("福建", "吉林"))]
    assert [_rows(hits) for hits in after] == [_rows(hits) for hits in before]
    for old, new in zip(before, after, strict=True):
        assert [score for _, score in new] == pytest.approx([score for _, score in old], abs=1e-6)


# --- Milvus only: its own BM25 over the rows' text, and the filter expression -------------------------------


@needs_milvus
def test_milvus_bm25_finds_words_through_jieba_with_positive_scores(backends):
    store = backends["milvus"].create()
    store.add(*_records())
    hits = store.search_text("盲人按摩诊所", 5)
    assert _rows(hits) == [0] and hits[0][1] > 0
    assert _rows(store.search_text("培训", 5)) == [2]
    assert store.search_text("培训", 5, ["上海"]) == []
    assert store.search_text("  ", 5) == []


def test_region_filter_expressions_quote_their_values():
    assert region_filter([]) == ""
    assert region_filter(["福建", "福建", 'a"b']) == 'region in ["福建", "a\\"b"]'


@needs_milvus
@pytest.mark.slow
def test_a_milvus_lite_file_held_by_another_process_is_one_clear_line(backends):
    uri = backends["milvus"].uri
    MilvusStore.open(uri, backends["milvus"].create().collection)  # this process holds the file
    script = (
        "import sys\n"
        "from corpus.errors import IndexProblem\n"
        "from index.stores.milvus_store import connect\n"
        f"try:\n    connect({uri!r})\nexcept IndexProblem as e:\n    print(e); sys.exit(e.exit_code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 3, result.stderr
    assert "open in another process" in result.stdout and uri in result.stdout
    assert "Traceback" not in result.stderr


# --- builds: a new collection per build, the previous one kept, older ones and failed builds' dropped ---------


@needs_milvus
def test_milvus_rebuilds_keep_the_previous_collection_and_drop_older_and_failed_ones(small_corpus, tmp_path):
    from conftest import HashingEmbedder

    from index.build import build_index
    from index.manifest import Manifest
    from index.search_index import open_index
    from index.stores.choice import StoreChoice

    embedder, uri, index_dir = HashingEmbedder(), str(tmp_path / "lite.db"), tmp_path / "index"
    collections = []
    for build in range(3):
        store = StoreChoice("milvus", uri) if build == 0 else None  # None: a rebuild keeps the index's store
        build_index(small_corpus, index_dir, embedder, tmp_path / "cache", progress=False, store=store)
        collections.append(Manifest.read(index_dir).store_params["collection"])
    assert len(set(collections)) == 3
    client = MilvusStore.open(uri, collections[-1])._client
    assert set(client.list_collections()) == set(collections[1:])
    alias = Manifest.read(index_dir).store_params["alias"]
    assert alias in client.list_aliases(collections[-1])["aliases"]

    def fail() -> None:
        raise RuntimeError("the corpus commit failed")

    with pytest.raises(RuntimeError):
        build_index(small_corpus, index_dir, embedder, tmp_path / "cache", progress=False, before_swap=fail)
    assert set(client.list_collections()) == set(collections[1:])
    index = open_index(index_dir, embedder.id, small_corpus)
    assert index.manifest.store_params["collection"] == collections[-1]
    assert index.dense.count() == len(index.parts)


# --- the real corpus in Milvus Lite scores as it does in FAISS -------------------------------------------------


@pytest.fixture(scope="module")
def milvus_assistant(real_assistant, tmp_path_factory):
    """The real corpus built into Milvus Lite with the real embedder (vectors from the warm embedding cache)."""
    from assistant.api import Assistant
    from assistant.settings import resolve_settings
    from index.build import build_index
    from index.search_index import open_index
    from index.stores.choice import StoreChoice

    settings = resolve_settings()
    root = tmp_path_factory.mktemp("milvus-real")
    corpus_dir = settings.corpus_dir_or_default
    store = StoreChoice("milvus", str(root / "policyqa.db"))
    embedder = real_assistant.embedder
    build_index(corpus_dir, root / "index", embedder, settings.cache_dir, progress=False, store=store)
    index = open_index(root / "index", embedder.id, corpus_dir)
    return Assistant(index, embedder, real_assistant.tokenizer)


@needs_milvus
@pytest.mark.slow
def test_the_milvus_index_keeps_its_vectors_in_milvus_and_the_rest_in_the_directory(milvus_assistant):
    index = milvus_assistant.index
    assert index.manifest.store == "milvus"
    assert index.manifest.store_params["uri"].endswith("policyqa.db")
    assert index.manifest.store_params["collection"].startswith(index.manifest.store_params["alias"] + "_")
    assert not (index.directory / "dense.faiss").exists()
    assert {"clauses.jsonl", "bm25", "manifest.json"} <= {path.name for path in index.directory.iterdir()}
    assert index.dense.count() == len(index.parts) and index.full_text is index.dense


@needs_milvus
@pytest.mark.slow
def test_milvus_and_faiss_give_the_same_recall_on_the_test_questions(real_assistant, milvus_assistant):
    from corpus.loader import load_documents
    from eval.questions import QUESTIONS_DIR, load_questions
    from eval.run import evaluate
    from eval.systems import AssistantSystem

    questions = load_questions(QUESTIONS_DIR / "test.jsonl")
    documents = load_documents(Path(real_assistant.index.manifest.corpus_path))
    scores = {}
    for store, assistant in (("faiss", real_assistant), ("milvus", milvus_assistant)):
        systems = [AssistantSystem(assistant, name) for name in ("dense", "hybrid")]
        scores[store] = evaluate(systems, questions, documents, "test.jsonl")[0]["configs"]
    for name in ("dense", "hybrid"):
        assert scores["milvus"][name]["recall@5"] == pytest.approx(scores["faiss"][name]["recall@5"], abs=0.01), name
        assert scores["milvus"][name]["mrr@10"] == pytest.approx(scores["faiss"][name]["mrr@10"], abs=0.01), name


@needs_milvus
@pytest.mark.slow
def test_milvus_dense_search_ranks_as_faiss_within_regions(real_assistant, milvus_assistant):
    vector = real_assistant.embedder.encode_queries(["盲人医疗按摩诊所资金扶持"])[0]
    for regions in ((), ("福建",), ("上海", "吉林")):
        faiss_hits = real_assistant.index.dense.search(vector, 10, regions)
        milvus_hits = milvus_assistant.index.dense.search(vector, 10, regions)
        assert _rows(milvus_hits) == _rows(faiss_hits)
        assert [s for _, s in milvus_hits] == pytest.approx([s for _, s in faiss_hits], abs=1e-5)


@needs_milvus
@pytest.mark.slow
def test_policyqa_index_store_milvus_then_ask(tmp_path):
    env_args = {"cwd": PROJECT_ROOT, "capture_output": True, "text": True, "timeout": 300}
    index_dir, uri = tmp_path / "index", tmp_path / "lite.db"
    built = subprocess.run(
        [sys.executable, "-m", "assistant", "index", "--store", "milvus", "--milvus-uri", str(uri),
         "--index-dir", str(index_dir)],
        **env_args,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    manifest = (index_dir / "manifest.json").read_text(encoding="utf-8")
    assert '"store": "milvus"' in manifest and str(uri) in manifest
    asked = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "福建对盲人医疗按摩诊所有哪些扶持?", "--json",
         "--index-dir", str(index_dir)],
        **env_args,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert '"id": "fujian-5-3"' in asked.stdout.split('"passages"')[1][:400]


# --- settings ---------------------------------------------------------------------------------------------------


def test_a_milvus_uri_alone_asks_for_the_milvus_store_and_lite_paths_become_absolute(tmp_path, monkeypatch):
    from assistant.settings import resolve_settings
    from corpus.errors import InputError
    from index.stores.choice import StoreChoice

    monkeypatch.chdir(tmp_path)
    settings = resolve_settings(environ={"POLICYQA_MILVUS_URI": "lite.db"})
    assert settings.store == "milvus"
    assert settings.store_choice() == StoreChoice("milvus", str(tmp_path / "lite.db"))
    assert resolve_settings(environ={}).store_choice() is None  # a build keeps the store the index has
    server = resolve_settings(store="milvus", milvus_uri="http://milvus:19530/", environ={}).store_choice()
    assert server.milvus_uri == "http://milvus:19530"
    assert resolve_settings(store="milvus", environ={}).store_choice().milvus_uri.endswith("milvus.db")
    with pytest.raises(InputError, match=r"ending in \.db"):
        resolve_settings(milvus_uri="lite.sqlite", environ={}).store_choice()
    with pytest.raises(InputError, match="unknown store"):
        resolve_settings(environ={"POLICYQA_STORE": "pinecone"}).store_choice()

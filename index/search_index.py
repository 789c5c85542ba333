"""Open an index directory, checking its manifest against its files, the corpus and the embedder."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TypeVar

import numpy as np

from corpus.errors import IndexProblem
from corpus.loader import corpus_fingerprint
from corpus.model import Clause, ClausePart
from index.bm25 import BM25Index
from index.build import BM25_BIGRAMS_DIR, BM25_DIR, CLAUSES_FILE, TRANSLATION_FILE
from index.late import LATE_DIR, TOKENS_FILE, TokenStates
from index.lexicon import LEXICON_DIR, LEXICON_VECTORS_FILE, Lexicon
from index.manifest import MANIFEST_FILE, REBUILD_HINT, Manifest, describe_corpus_change
from index.stores.base import VectorRow, VectorStore
from index.stores.faiss_store import FAISS_FILE, FaissStore

T = TypeVar("T")


@dataclass(frozen=True)
class SearchIndex:
    """Everything retrieval needs: clauses (BM25 rows), their parts (dense rows) and the indexes."""

    directory: Path
    manifest: Manifest
    clauses: list[Clause]
    parts: list[ClausePart]
    bm25: BM25Index  # over jieba words
    bm25_bigrams: BM25Index  # over character pairs
    dense: VectorStore
    translations: dict[str, list[list[object]]]
    # Milvus' own BM25 over the same collection when the manifest says milvus (a MilvusStore), else None.
    full_text: object | None = None
    # Every part's token vectors for late interaction (index/late.py); None when the index has none.
    token_states: TokenStates | None = None
    # The corpus words embedded as questions (index/lexicon.py); None in an index built before it existed.
    lexicon: Lexicon | None = None

    @property
    def regions(self) -> list[str]:
        """The regions the corpus covers, in first-appearance order."""
        return list(self.clause_rows_by_region)

    @cached_property
    def clause_rows_by_region(self) -> dict[str, np.ndarray]:
        """Each region's clause rows, ascending; regions in first-appearance order. Computed once: every
        question reads it, and at 100k clauses a scan per question cost more than the search itself."""
        rows: dict[str, list[int]] = {}
        for row, clause in enumerate(self.clauses):
            rows.setdefault(clause.region, []).append(row)
        return {region: np.asarray(found, dtype=np.int64) for region, found in rows.items()}


def open_index(
    index_dir: Path,
    embedder_id: str,
    corpus_dir: Path | None = None,
    milvus_uri: str | None = None,
    milvus_token: str = "",
) -> SearchIndex:
    """Load and verify an index; ``corpus_dir`` defaults to the corpus recorded in its manifest.

    ``milvus_uri`` reaches the index's Milvus collection by another address than the one it was built with.
    """
    if not index_dir.is_dir():
        raise IndexProblem(f"index directory {index_dir} does not exist; run `policyqa index` to build it")
    manifest = Manifest.read(index_dir)
    manifest.verify_files(index_dir)
    if manifest.embedder != embedder_id:
        raise IndexProblem(
            f"index {index_dir} was built with embedder {manifest.embedder} (see {index_dir / MANIFEST_FILE}), "
            f"queries use {embedder_id}; {REBUILD_HINT} with this embedder"
        )
    _check_corpus(manifest, Path(corpus_dir) if corpus_dir else Path(manifest.corpus_path), index_dir)
    clauses, parts = _read_clauses(index_dir / CLAUSES_FILE)
    if len(clauses) != manifest.clause_count or len(parts) != manifest.part_count:
        raise IndexProblem(f"{index_dir / CLAUSES_FILE} disagrees with the manifest's counts; {REBUILD_HINT}")
    dense, where = _open_dense(index_dir, manifest, clauses, parts, milvus_uri, milvus_token)
    if dense.count() != len(parts) or dense.dimension != manifest.dimension:
        raise IndexProblem(f"{where} disagrees with the manifest; {REBUILD_HINT}")
    translation_path = index_dir / TRANSLATION_FILE
    translations = _load(translation_path, lambda: json.loads(translation_path.read_text(encoding="utf-8")))
    bm25 = _load(index_dir / BM25_DIR, lambda: BM25Index.load(index_dir / BM25_DIR))
    bigrams = _load(index_dir / BM25_BIGRAMS_DIR, lambda: BM25Index.load(index_dir / BM25_BIGRAMS_DIR))
    full_text = dense if manifest.store == "milvus" else None
    token_states = None
    if f"{LATE_DIR}/{TOKENS_FILE}" in manifest.files:
        token_states = _load(index_dir / LATE_DIR, lambda: TokenStates.load(index_dir / LATE_DIR))
        if token_states.part_count != len(parts) or token_states.projection.shape[0] != manifest.dimension:
            raise IndexProblem(f"{index_dir / LATE_DIR} disagrees with the manifest; {REBUILD_HINT}")
    lexicon = None
    if f"{LEXICON_DIR}/{LEXICON_VECTORS_FILE}" in manifest.files:
        lexicon = _load(index_dir / LEXICON_DIR, lambda: Lexicon.load(index_dir / LEXICON_DIR))
        if lexicon.vectors.shape[1] != manifest.dimension:
            raise IndexProblem(f"{index_dir / LEXICON_DIR} disagrees with the manifest; {REBUILD_HINT}")
    return SearchIndex(
        index_dir, manifest, clauses, parts, bm25, bigrams, dense, translations, full_text, token_states, lexicon
    )


def _open_dense(
    index_dir: Path,
    manifest: Manifest,
    clauses: list[Clause],
    parts: list[ClausePart],
    milvus_uri: str | None,
    milvus_token: str,
) -> tuple[VectorStore, str]:
    """The dense store the manifest names, and how to name it in a message."""
    if manifest.store == "milvus":
        from index.stores.milvus_store import MilvusStore, normalise_uri

        uri = normalise_uri(milvus_uri or manifest.store_params.get("uri", ""))
        collection = manifest.store_params.get("collection", "")
        return MilvusStore.open(uri, collection, milvus_token), f"Milvus collection {collection} at {uri}"
    by_id = {clause.id: clause for clause in clauses}
    rows = [
        VectorRow(number, part.clause_id, by_id[part.clause_id].document_id, by_id[part.clause_id].region)
        for number, part in enumerate(parts)
    ]
    return _load(index_dir / FAISS_FILE, lambda: FaissStore.open(index_dir, rows)), str(index_dir / FAISS_FILE)


def _load(path: Path, read: Callable[[], T]) -> T:
    """Read one artifact; a file the checksums did not cover may still be damaged, and that is exit 3 too."""
    try:
        return read()
    except (OSError, RuntimeError, ValueError, KeyError, TypeError, EOFError) as error:
        raise IndexProblem(f"index file {path} is unreadable ({type(error).__name__}); {REBUILD_HINT}") from None


def _check_corpus(manifest: Manifest, corpus_dir: Path, index_dir: Path) -> None:
    if not (corpus_dir / "documents").is_dir():
        return  # the index is self-contained: it can still answer where the corpus is not at hand
    now = corpus_fingerprint(corpus_dir)
    if not manifest.built_from(now):
        change = describe_corpus_change(manifest.corpus_files, now)
        raise IndexProblem(
            f"index {index_dir} is stale: the corpus {corpus_dir} changed since it was built ({change}); "
            f"run `policyqa index` to rebuild it"
        )


def _read_clauses(path: Path) -> tuple[list[Clause], list[ClausePart]]:
    clauses, parts = [], []
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                clause = Clause(
                    id=record["id"],
                    document_id=record["document_id"],
                    region=record["region"],
                    document_title=record["document"],
                    section_path=tuple(record["section_path"]),
                    number=record["clause"],
                    text=record["text"],
                    start=record["start"],
                    end=record["end"],
                    units=tuple(record["units"]),
                )
                clauses.append(clause)
                parts.extend(ClausePart(clause.id, start, end) for start, end in record["parts"])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise IndexProblem(f"{path} is unreadable ({type(error).__name__}); {REBUILD_HINT}") from None
    return clauses, parts

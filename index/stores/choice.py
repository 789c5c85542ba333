"""Which vector store an index uses, and the life of its store through a build (created, kept or dropped)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import InputError
from corpus.model import Clause, ClausePart
from index.manifest import Manifest
from index.stores.base import VectorRow, VectorStore

STORES = ("faiss", "milvus")
COLLECTION_PREFIX = "policyqa"


@dataclass(frozen=True)
class StoreChoice:
    """The store a build writes to: ``faiss`` (a file in the index directory) or ``milvus`` at ``milvus_uri``."""

    kind: str = "faiss"
    milvus_uri: str = ""
    milvus_token: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.kind not in STORES:
            raise InputError(f"unknown store {self.kind!r}; choose one of {', '.join(STORES)}")
        if self.kind == "milvus" and not self.milvus_uri:
            raise InputError("the milvus store needs a URI; pass --milvus-uri (a .db file or http://host:19530)")
        if self.kind == "milvus":  # a malformed URI is refused before anything is embedded
            from index.stores.milvus_store import normalise_uri

            object.__setattr__(self, "milvus_uri", normalise_uri(self.milvus_uri))


def previous_choice(index_dir: Path) -> StoreChoice:
    """The store of the index already in ``index_dir`` (a rebuild keeps it); FAISS when there is none."""
    with contextlib.suppress(Exception):
        manifest = Manifest.read(index_dir)
        if manifest.store == "milvus" and manifest.store_params.get("uri"):
            return StoreChoice("milvus", manifest.store_params["uri"])
    return StoreChoice()


def vector_rows(
    parts: Sequence[ClausePart], clause_by_id: dict[str, Clause], bm25_keys: dict[str, str]
) -> list[VectorRow]:
    """One row per part; the first part of each clause carries the clause's BM25 key (``bm25_keys`` by clause
    id), the others none.

    Milvus' BM25 then scores whole clauses, as the local BM25 does, and each clause is counted once in its
    document statistics.
    """
    rows, seen = [], set()
    for number, part in enumerate(parts):
        clause = clause_by_id[part.clause_id]
        text = "" if clause.id in seen else bm25_keys[clause.id]
        seen.add(clause.id)
        rows.append(VectorRow(number, clause.id, clause.document_id, clause.region, text))
    return rows


class StoreBuild:
    """The store of one build. A Milvus build writes a new collection, so the index in use keeps its own until
    the new index directory is swapped in; ``commit`` then points the alias at the new collection and drops
    all but the two newest (a replica that still holds the previous index keeps working); ``abort`` drops it."""

    def __init__(self, choice: StoreChoice, dimension: int, index_dir: Path) -> None:
        self.kind = choice.kind
        self.params: dict[str, str] = {}
        self._previous = ""
        if choice.kind == "faiss":
            from index.stores.faiss_store import FaissStore

            self.store: VectorStore = FaissStore.create(dimension)
            return
        from index.stores.milvus_store import MilvusStore

        uri = choice.milvus_uri
        alias = f"{COLLECTION_PREFIX}_{hashlib.sha256(str(index_dir.resolve()).encode()).hexdigest()[:12]}"
        with contextlib.suppress(Exception):
            old = Manifest.read(index_dir)
            if old.store == "milvus" and old.store_params.get("uri") == uri:
                self._previous = old.store_params.get("collection", "")
        collection = f"{alias}_{secrets.token_hex(6)}"
        self.store = self._milvus = MilvusStore.create(uri, collection, dimension, choice.milvus_token)
        self.params = {"uri": uri, "collection": collection, "alias": alias}

    def manifest_params(self) -> dict[str, str]:
        """What the manifest records: where a Milvus collection is, or which FAISS index was built."""
        return self.params if self.kind == "milvus" else self.store.describe()

    def abort(self) -> None:
        if self.kind == "milvus":
            with contextlib.suppress(Exception):
                self._milvus.drop()

    def commit(self) -> None:
        """After the swap: the new index is live whatever happens here, so cleaning up never raises."""
        if self.kind == "milvus":
            with contextlib.suppress(Exception):
                self._milvus.retire_others(self.params["alias"], keep=self._previous)

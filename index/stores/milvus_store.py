"""Milvus vector store (pymilvus): dense vectors, a region field filtered by expression, and Milvus' own BM25.

A URI ending in ``.db`` is a Milvus Lite database on this machine (pip ``milvus-lite``, one process at a time);
``http://host:19530`` is a Milvus standalone or cluster. The same code talks to both.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from corpus.errors import IndexProblem, InputError
from index.stores.base import VectorRow

SERVER_SCHEMES = ("http://", "https://", "tcp://")
LITE_SUFFIX = ".db"
INSTALL_HINT = "install the Milvus client with `pip install -e '.[milvus]'`"
# Milvus caps a search's limit at 16384 rows.
MAX_LIMIT = 16384
# The local BM25's parameters (bm25s' defaults); a Milvus server's own default k1 is 1.2.
BM25_K1 = 1.5
BM25_B = 0.75
# VARCHAR lengths are in bytes (a Chinese character takes 3).
ID_BYTES = 512
REGION_BYTES = 128
TEXT_BYTES = 65535
# Rows per insert call, well under gRPC's message limit with 1024-d vectors and long texts.
INSERT_BATCH = 512
# What the analyzer drops besides jieba's cut: the function words the local BM25 drops (index.tokens.STOPWORDS)
# and punctuation, which jieba returns as words of their own.
PUNCTUATION = tuple("，。、；：？！（）《》〈〉「」『』【】“”‘’·—…,.;:?!()[]<>\"'-/%")


def normalise_uri(uri: str) -> str:
    """A server URI as given; a Milvus Lite file as an absolute path ending in ``.db``."""
    uri = uri.strip()
    if uri.startswith(SERVER_SCHEMES):
        return uri.rstrip("/")
    if not uri.endswith(LITE_SUFFIX):
        raise InputError(
            f"Milvus URI {uri!r} is neither a server (http://host:19530) nor a Milvus Lite file (a path ending in "
            f"{LITE_SUFFIX}); pass e.g. --milvus-uri .policyqa/milvus.db or --milvus-uri http://localhost:19530"
        )
    return str(Path(uri).expanduser().resolve())


def is_lite(uri: str) -> bool:
    return not uri.startswith(SERVER_SCHEMES)


class MilvusStore:
    """One Milvus collection: a row per clause part, with its clause, document, region, vector and BM25 text."""

    def __init__(self, client, uri: str, collection: str, dimension: int) -> None:
        self._client = client
        self.uri = uri
        self.collection = collection
        self._dimension = dimension

    @classmethod
    def create(cls, uri: str, collection: str, dimension: int, token: str = "") -> MilvusStore:
        """A new, empty collection named ``collection``; it must not exist yet."""
        from pymilvus import DataType, Function, FunctionType

        from index.tokens import STOPWORDS

        client = connect(uri, token)
        if client.has_collection(collection):
            raise InputError(f"Milvus collection {collection} already exists at {uri}; choose another name")
        schema = client.create_schema(auto_id=False, description="policyqa clause parts")
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("clause_id", DataType.VARCHAR, max_length=ID_BYTES)
        schema.add_field("document_id", DataType.VARCHAR, max_length=ID_BYTES)
        schema.add_field("region", DataType.VARCHAR, max_length=REGION_BYTES)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dimension)
        analyzer = {
            "tokenizer": {"type": "jieba", "mode": "search"},
            "filter": ["lowercase", {"type": "stop", "stop_words": sorted(STOPWORDS | set(PUNCTUATION))}],
        }
        schema.add_field(
            "text", DataType.VARCHAR, max_length=TEXT_BYTES, enable_analyzer=True, analyzer_params=analyzer
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="text_bm25",
                function_type=FunctionType.BM25,
                input_field_names=["text"],
                output_field_names=["sparse"],
            )
        )
        indexes = client.prepare_index_params()
        # FLAT: exact search, the same ranking as FAISS' IndexFlatIP; a large corpus would take HNSW here.
        indexes.add_index("dense", index_type="FLAT", metric_type="IP")
        indexes.add_index(
            "sparse",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
        )
        indexes.add_index("region", index_type="INVERTED")
        indexes.add_index("document_id", index_type="INVERTED")
        # Strong: a count or search right after the build (the same process opening the new index) sees every row.
        client.create_collection(collection, schema=schema, consistency_level="Strong")
        # Milvus Lite builds the indexes of an empty collection at once, and pymilvus would poll each one twice a
        # second; a server is waited for.
        client.create_index(collection, indexes, sync=not is_lite(uri))
        client.load_collection(collection)
        return cls(client, uri, collection, dimension)

    @classmethod
    def open(cls, uri: str, collection: str, token: str = "") -> MilvusStore:
        """An existing collection, loaded for search."""
        client = connect(uri, token)
        if not client.has_collection(collection):
            raise IndexProblem(
                f"Milvus collection {collection} is missing at {uri}; run `policyqa index --store milvus` to rebuild it"
            )
        fields = client.describe_collection(collection)["fields"]
        dense = next((f for f in fields if f["name"] == "dense"), None)
        if dense is None:
            raise IndexProblem(
                f"Milvus collection {collection} at {uri} has no dense field (not a policyqa collection); "
                "run `policyqa index --store milvus` to rebuild it"
            )
        client.load_collection(collection)
        return cls(client, uri, collection, int(dense["params"]["dim"]))

    @property
    def dimension(self) -> int:
        return self._dimension

    def add(self, vectors: np.ndarray, rows: Sequence[VectorRow] | None = None) -> None:
        if rows is None:
            first = self._next_row()
            rows = [VectorRow(first + offset) for offset in range(len(vectors))]
        if len(rows) != len(vectors):
            raise ValueError(f"{len(rows)} row records for {len(vectors)} vectors")
        vectors = np.asarray(vectors, dtype=np.float32)
        records = [
            {
                "row": row.row,
                "clause_id": row.clause_id,
                "document_id": row.document_id,
                "region": row.region,
                "dense": vector.tolist(),
                "text": _fit(row.text, TEXT_BYTES),
            }
            for row, vector in zip(rows, vectors, strict=True)
        ]
        for start in range(0, len(records), INSERT_BATCH):
            self._client.insert(self.collection, records[start : start + INSERT_BATCH])

    def delete_document(self, document_id: str) -> int:
        expression = f"document_id == {_literal(document_id)}"
        gone = self._count(expression)
        if gone:
            self._client.delete(self.collection, filter=expression)
        return gone

    def count(self) -> int:
        return self._count("")

    def search(self, query: np.ndarray, k: int, regions: Sequence[str] = ()) -> list[tuple[int, float]]:
        vector = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        hits = self._search([vector], "dense", "IP", k, regions)
        return sorted(hits, key=lambda hit: (-hit[1], hit[0]))

    def search_text(self, text: str, k: int, regions: Sequence[str] = ()) -> list[tuple[int, float]]:
        """The ``k`` best rows for ``text`` under Milvus' BM25 (its jieba analyzer), best first, ties by row."""
        if not text.strip():
            return []
        # Milvus Lite reports BM25 as a distance (negated score); a server reports the score itself.
        hits = [(row, abs(score)) for row, score in self._search([text], "sparse", "BM25", k, regions)]
        return sorted((hit for hit in hits if hit[1] > 0), key=lambda hit: (-hit[1], hit[0]))

    def save(self, folder: Path) -> None:
        self._client.flush(self.collection)

    def retire_others(self, alias: str, keep: str = "") -> None:
        """Point ``alias`` at this collection and drop the other ``<alias>_*`` collections except ``keep``."""
        if alias in self._client.list_aliases().get("aliases", []):
            self._client.alter_alias(self.collection, alias)
        else:
            self._client.create_alias(self.collection, alias)
        for name in self._client.list_collections():
            if name.startswith(f"{alias}_") and name not in (self.collection, keep):
                self._client.drop_collection(name)

    def drop(self) -> None:
        self._client.drop_collection(self.collection)

    def close(self) -> None:
        self._client.close()

    def _search(self, data: list, field: str, metric: str, k: int, regions: Sequence[str]) -> list[tuple[int, float]]:
        k = min(k, MAX_LIMIT)
        if k <= 0:
            return []
        results = self._client.search(
            self.collection,
            data=data,
            anns_field=field,
            limit=k,
            filter=region_filter(regions),
            output_fields=["row"],
            search_params={"metric_type": metric},
        )
        return [(int(hit["entity"]["row"]), float(hit["distance"])) for hit in results[0]]

    def _count(self, expression: str) -> int:
        result = self._client.query(self.collection, filter=expression, output_fields=["count(*)"])
        return int(result[0]["count(*)"])

    def _next_row(self) -> int:
        if not self.count():
            return 0
        # The largest row: a search would need a vector, so ask for rows in pages of the primary key.
        rows = self._client.query(self.collection, filter="row >= 0", output_fields=["row"], limit=MAX_LIMIT)
        return max(int(r["row"]) for r in rows) + 1


def _fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def region_filter(regions: Sequence[str]) -> str:
    """The Milvus filter expression for rows in ``regions`` ("" for all)."""
    if not regions:
        return ""
    return f"region in [{', '.join(_literal(region) for region in dict.fromkeys(regions))}]"


def _literal(value: str) -> str:
    """A Milvus string literal: JSON's double-quoted escaping is Milvus' too."""
    return json.dumps(value, ensure_ascii=False)


def connect(uri: str, token: str = ""):
    """A MilvusClient for ``uri``; a Milvus Lite file another process holds is an IndexProblem that says so."""
    try:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException
    except ImportError:
        raise InputError(f"the Milvus store needs pymilvus and milvus-lite; {INSTALL_HINT}") from None
    if is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        _keep_jieba_cache_beside(Path(uri))
    try:
        with _quiet_lite_log():
            return MilvusClient(uri=uri, token=token)
    except MilvusException as error:
        if is_lite(uri) and _held_elsewhere(uri):
            raise IndexProblem(
                f"Milvus Lite database {uri} is open in another process (Milvus Lite serves one process at a "
                "time); stop that process (a running `policyqa serve`?) and retry, or run a Milvus server "
                "(deploy/README.md) and build with `policyqa index --store milvus --milvus-uri http://host:19530`"
            ) from None
        raise IndexProblem(
            f"cannot reach Milvus at {uri} ({error.message if hasattr(error, 'message') else error}); "
            "start it (deploy/README.md) or pass the right --milvus-uri / POLICYQA_MILVUS_URI, then retry"
        ) from None


def _keep_jieba_cache_beside(database: Path) -> None:
    """Milvus Lite cuts words with jieba's global tokenizer, which caches its dictionary in the system temp folder
    and announces it on stderr: keep the cache beside the database, and quiet."""
    with contextlib.suppress(ImportError):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        if not jieba.dt.initialized and jieba.dt.tmp_dir is None:
            jieba.dt.tmp_dir = str(database.parent)


def _held_elsewhere(uri: str) -> bool:
    import fcntl
    import os

    lock = Path(uri) / "LOCK"
    if not lock.is_file():
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@contextlib.contextmanager
def _quiet_lite_log() -> Iterator[None]:
    """Milvus Lite logs a full traceback when it cannot open its file; the IndexProblem raised says it in a line."""
    logger = logging.getLogger("milvus_lite.server_manager")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)

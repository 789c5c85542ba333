"""Settings, built once at the entry point (CLI, UI) and passed down; paths resolve in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from corpus.loader import default_corpus_dir
from index.embedders import DEFAULT_EMBEDDER

CORPUS_ENV = "POLICYQA_CORPUS"
INDEX_DIR_ENV = "POLICYQA_INDEX_DIR"
CACHE_DIR_ENV = "POLICYQA_CACHE_DIR"
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
    embedder: str = DEFAULT_EMBEDDER

    @property
    def corpus_dir_or_default(self) -> Path:
        return self.corpus_dir or default_corpus_dir()


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
        embedder=embedder or DEFAULT_EMBEDDER,
    )

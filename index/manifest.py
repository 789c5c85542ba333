"""The manifest of an index directory: what it was built from, with what, and a checksum of every file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.errors import IndexProblem

# 2: token vectors for late interaction (late/); an index of format 1 would rank without them, so it is rebuilt.
FORMAT_VERSION = 2
MANIFEST_FILE = "manifest.json"
REBUILD_HINT = "run `policyqa index` to rebuild it"
FIELD_TYPES: dict[str, type] = {
    "format_version": int,
    "embedder": str,
    "store": str,
    "dimension": int,
    "corpus_path": str,
    "corpus_hash": str,
    "corpus_files": dict,
    "clause_count": int,
    "part_count": int,
    "part_max_chars": int,
    "library_versions": dict,
    "built_at": str,
    "files": dict,
    "store_params": dict,
}


@dataclass(frozen=True)
class Manifest:
    format_version: int
    embedder: str
    store: str
    dimension: int
    corpus_path: str
    corpus_hash: str
    corpus_files: dict[str, str]
    clause_count: int
    part_count: int
    part_max_chars: int
    library_versions: dict[str, str]
    built_at: str
    files: dict[str, dict[str, object]] = field(default_factory=dict)
    # Where a store outside the index directory keeps the vectors (milvus: uri, collection, alias); {} for faiss.
    store_params: dict[str, str] = field(default_factory=dict)

    def write(self, folder: Path) -> None:
        text = json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        (folder / MANIFEST_FILE).write_text(text, encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST_FILE
        if not path.is_file():
            raise IndexProblem(f"index {folder} has no {MANIFEST_FILE}: it is incomplete or damaged; {REBUILD_HINT}")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**raw)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as error:
            raise IndexProblem(f"{path} is unreadable ({type(error).__name__}); {REBUILD_HINT}") from None
        wrong = manifest._wrongly_typed_field()
        if wrong:
            raise IndexProblem(f"{path} is unreadable (field {wrong} has the wrong type); {REBUILD_HINT}")
        if manifest.format_version != FORMAT_VERSION:
            raise IndexProblem(
                f"{path} has format version {manifest.format_version}, this policyqa reads {FORMAT_VERSION}; "
                f"{REBUILD_HINT}"
            )
        return manifest

    def _wrongly_typed_field(self) -> str | None:
        """The first field whose JSON value has the wrong shape (valid JSON is not yet a valid manifest)."""
        for name, expected in FIELD_TYPES.items():
            value = getattr(self, name)
            if not isinstance(value, expected) or isinstance(value, bool):
                return name
        if not all(isinstance(v, str) for v in self.corpus_files.values()):
            return "corpus_files"
        if not all(isinstance(v, str) for v in self.store_params.values()):
            return "store_params"
        for entry in self.files.values():
            if not (
                isinstance(entry, dict) and isinstance(entry.get("size"), int) and isinstance(entry.get("sha256"), str)
            ):
                return "files"
        return None

    def built_from(self, corpus_now: dict[str, str]) -> bool:
        """Whether the index was built from exactly this corpus (a ``corpus_fingerprint``)."""
        return fingerprint_hash(corpus_now) == self.corpus_hash

    def verify_files(self, folder: Path) -> None:
        """Every artifact is present with the size and SHA-256 recorded at build time."""
        for name, expected in sorted(self.files.items()):
            path = folder / name
            if not path.is_file():
                raise IndexProblem(f"index file {path} is missing; {REBUILD_HINT}")
            if path.stat().st_size != expected["size"] or file_sha256(path) != expected["sha256"]:
                raise IndexProblem(f"index file {path} is damaged (size or checksum differs); {REBUILD_HINT}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint_hash(fingerprint: dict[str, str]) -> str:
    """One hash for the whole corpus, from the per-file hashes."""
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()


def describe_corpus_change(built_from: dict[str, str], now: dict[str, str]) -> str:
    """Which documents were added, removed or changed since the index was built."""
    added = sorted(set(now) - set(built_from))
    removed = sorted(set(built_from) - set(now))
    changed = sorted(name for name in set(now) & set(built_from) if now[name] != built_from[name])
    pieces = [
        f"{label}: {', '.join(names)}"
        for label, names in (("added", added), ("removed", removed), ("changed", changed))
        if names
    ]
    return "; ".join(pieces)

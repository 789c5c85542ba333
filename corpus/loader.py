"""Read the corpus directory: ``documents/<id>.txt`` (verbatim text) beside ``documents/<id>.json`` (metadata)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from corpus.errors import CorpusError
from corpus.model import Document

DOCUMENTS_DIR = "documents"
REQUIRED_FIELDS = ("region", "title")


def default_corpus_dir() -> Path:
    """The corpus shipped with the project: this package's own folder."""
    return Path(__file__).resolve().parent


def document_paths(corpus_dir: Path) -> list[Path]:
    """The text files of the corpus, sorted so every build sees the same order."""
    folder = corpus_dir / DOCUMENTS_DIR
    if not folder.is_dir():
        raise CorpusError(f"corpus folder {folder} does not exist; pass --corpus DIR with a documents/ folder inside")
    return sorted(folder.glob("*.txt"))


def load_documents(corpus_dir: Path) -> list[Document]:
    """Every document of the corpus, in file-name order."""
    documents = []
    for text_path in document_paths(corpus_dir):
        meta_path = text_path.with_suffix(".json")
        if not meta_path.is_file():
            raise CorpusError(f"{text_path.name} has no metadata file {meta_path.name}; add one with region and title")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CorpusError(f"{meta_path} is not valid UTF-8 JSON ({error}); fix or remove it") from None
        missing = [name for name in REQUIRED_FIELDS if not meta.get(name)]
        if missing:
            raise CorpusError(f"{meta_path} lacks {', '.join(missing)}; every document needs region and title")
        documents.append(
            Document(
                id=text_path.stem,
                region=meta["region"],
                title=meta["title"],
                text=text_path.read_text(encoding="utf-8"),
                issuer=meta.get("issuer", ""),
                validity=meta.get("validity", ""),
                source=meta.get("source", ""),
                metadata={k: str(v) for k, v in meta.items()},
            )
        )
    # Documents list in their "order" (the source article's sequence), then by file name.
    documents.sort(key=lambda d: (_order(d.metadata.get("order")), d.id))
    if not documents:
        raise CorpusError(f"corpus {corpus_dir} has no documents; add .txt files under {corpus_dir / DOCUMENTS_DIR}")
    return documents


def _order(value: str | None) -> int:
    return int(value) if value is not None and value.lstrip("-").isdigit() else 1_000_000


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """SHA-256 of every document's text and metadata file, by file name: what an index was built from.

    Only documents count (a text file and its metadata): a metadata file whose text is not there yet, as
    `policyqa add` leaves it for a moment, is not part of the corpus.
    """
    fingerprint = {}
    for text_path in document_paths(corpus_dir):
        for path in (text_path, text_path.with_suffix(".json")):
            if path.is_file():
                fingerprint[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return fingerprint

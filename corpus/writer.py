"""Write documents into the corpus and take them out, each change visible all at once or not at all.

A document is ``documents/<id>.txt`` plus ``documents/<id>.json``. The metadata file is written first and the
text last: the loader only sees documents whose text file exists, so renaming the text into place is the
moment a document joins the corpus (and deleting it the moment it leaves).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from corpus.errors import InputError
from corpus.loader import DOCUMENTS_DIR, document_paths

DOCUMENT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_id(region_slug: str, text: str) -> str:
    """A stable id from the region and the text: the same document always gets the same id."""
    slug = re.sub(r"[^a-z0-9]+", "-", region_slug.lower()).strip("-") or "doc"
    return f"{slug[:40]}-{content_hash(text)[:8]}"


def find_same_text(corpus_dir: Path, text: str) -> str | None:
    """The id of a document in the corpus whose text is exactly ``text``, if any."""
    wanted = content_hash(text)
    for path in document_paths(corpus_dir):
        if content_hash(path.read_text(encoding="utf-8")) == wanted:
            return path.stem
    return None


def write_document(corpus_dir: Path, doc_id: str, text: str, metadata: dict[str, object]) -> Path:
    """Add a document: metadata first, then the text, each written beside its name and renamed into place."""
    if not DOCUMENT_ID_RE.match(doc_id):
        raise InputError(f"document id {doc_id!r} is not lowercase letters, digits and '-' (at most 64); rename it")
    folder = corpus_dir / DOCUMENTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    record = {"id": doc_id, **metadata}
    write_atomically(folder / f"{doc_id}.json", json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    text_path = folder / f"{doc_id}.txt"
    write_atomically(text_path, text)
    return text_path


def remove_document(corpus_dir: Path, doc_id: str) -> None:
    """Take a document out: the text goes first (it leaves the corpus then), its metadata after."""
    folder = corpus_dir / DOCUMENTS_DIR
    text_path = folder / f"{doc_id}.txt"
    if not DOCUMENT_ID_RE.match(doc_id) or not text_path.is_file():
        known = ", ".join(path.stem for path in document_paths(corpus_dir))
        raise InputError(f"no document {doc_id!r} in {folder}; documents: {known}")
    text_path.unlink()
    (folder / f"{doc_id}.json").unlink(missing_ok=True)


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8) so that readers see the old file or the whole new one, never a part."""
    pending = path.with_name(f".{path.name}.{os.getpid()}.pending")
    with pending.open("wb") as handle:
        handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pending, path)

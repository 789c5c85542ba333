"""`policyqa add` and `policyqa remove`: documents in and out of the corpus, with the index kept in step.

Everything that can fail is done first: text extraction, metadata, parsing, and the new index, built from a
staged copy of the corpus. Only then are the corpus files written, and the finished index swapped in. A failure
before that point leaves the corpus and the index exactly as they were.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from assistant.settings import Settings
from corpus.errors import IndexProblem, InputError
from corpus.loader import DOCUMENTS_DIR, corpus_fingerprint, document_paths
from corpus.model import NATIONAL_REGION, Document
from corpus.parse import parse_document
from corpus.regions import region_table
from corpus.writer import document_id, find_same_text, remove_document, write_document
from index.manifest import Manifest
from index.scratch import ScratchDir, remove_abandoned

NATIONAL_HINTS = ("国务院", "國務院", "全国", "全國", "国家", "國家")
# Where to look for the region when the title names none: the opening of the text.
REGION_SCAN_CHARS = 600
STAGED_CORPUS_PREFIX = "staged-corpus-"


@dataclass(frozen=True)
class AddOutcome:
    path: Path
    document_id: str
    added: bool  # False: the same text was already in the corpus
    region: str = ""
    title: str = ""
    clauses: int = 0


@dataclass(frozen=True)
class _Prepared:
    outcome: AddOutcome
    text: str
    metadata: dict[str, object]


def add_documents(
    settings: Settings, paths: Sequence[str | Path], region: str | None = None, title: str | None = None
) -> list[AddOutcome]:
    """Add files to the corpus and rebuild the index (embedding only new passages)."""
    if title and len(paths) > 1:
        raise InputError(f"--title names one document, but {len(paths)} files were given; add them one at a time")
    corpus_dir = settings.corpus_dir_or_default
    outcomes: list[AddOutcome] = []
    prepared: list[_Prepared] = []
    seen_ids: set[str] = set()
    for path in paths:
        item = _prepare(Path(path), corpus_dir, region, title)
        if item.outcome.added and item.outcome.document_id in seen_ids:
            item = _Prepared(AddOutcome(item.outcome.path, item.outcome.document_id, False), "", {})
        seen_ids.add(item.outcome.document_id)
        outcomes.append(item.outcome)
        if item.outcome.added:
            prepared.append(item)
    if prepared:

        def commit() -> None:
            for item in prepared:
                write_document(corpus_dir, item.outcome.document_id, item.text, item.metadata)

        _rebuild(settings, corpus_dir, stage=lambda staged: _stage_added(staged, prepared), commit=commit)
    elif not _index_matches_corpus(settings.index_dir, corpus_dir):
        # Every file is already in the corpus, but the index is not built from it: an earlier `add` was stopped
        # after committing the corpus and before swapping in its index. Finish that `add` now.
        _rebuild(settings, corpus_dir, stage=lambda staged: None, commit=lambda: None)
    else:
        # Nothing to build, but an earlier `add` may have been stopped after its index was swapped in and before it
        # removed its scratch folders: remove what no live process holds, as a rebuild would have.
        from index.build import staging_prefix

        for parent, prefix in (
            (settings.cache_dir, STAGED_CORPUS_PREFIX),
            (settings.index_dir.parent, staging_prefix(settings.index_dir)),
        ):
            if parent.is_dir():
                remove_abandoned(parent, prefix)
    return outcomes


def _index_matches_corpus(index_dir: Path, corpus_dir: Path) -> bool:
    """Whether the index's manifest records exactly the corpus as it is now (its files are not checked)."""
    try:
        manifest = Manifest.read(index_dir)
    except IndexProblem:
        return False
    return manifest.built_from(corpus_fingerprint(corpus_dir))


def remove_documents(settings: Settings, doc_ids: Sequence[str]) -> None:
    """Take documents out of the corpus and the index."""
    corpus_dir = settings.corpus_dir_or_default
    known = {path.stem for path in document_paths(corpus_dir)}
    for doc_id in doc_ids:
        if doc_id not in known:
            raise InputError(
                f"no document {doc_id!r} in {corpus_dir / DOCUMENTS_DIR}; documents: {', '.join(sorted(known))}"
            )
    if len(known - set(doc_ids)) == 0:
        raise InputError("removing every document would leave an empty corpus; keep at least one")

    def stage(staged: Path) -> None:
        for doc_id in doc_ids:
            remove_document(staged, doc_id)

    def commit() -> None:
        for doc_id in doc_ids:
            remove_document(corpus_dir, doc_id)

    _rebuild(settings, corpus_dir, stage, commit)


def _prepare(path: Path, corpus_dir: Path, region: str | None, title: str | None) -> _Prepared:
    from corpus.extract import extract_text

    extracted = extract_text(path)
    same = find_same_text(corpus_dir, extracted.text)
    if same:
        return _Prepared(AddOutcome(path, same, added=False), "", {})
    doc_title = (title or extracted.title or path.stem).strip()
    doc_region, city = _region(region, doc_title, extracted.text, path)
    english = region_table().english_name(doc_region) if doc_region != NATIONAL_REGION else "national"
    doc_id = document_id(english, extracted.text)
    clauses = parse_document(Document(doc_id, doc_region, doc_title, extracted.text))
    if not clauses:
        raise InputError(f"{path}: no policy text found after extraction; check the file has a text body")
    encoding = f", {extracted.encoding}" if extracted.encoding else ""
    metadata: dict[str, object] = {
        "region": doc_region,
        "title": doc_title,
        "source": f"{path.name} ({extracted.source_format}{encoding})",
        "added": date.today().isoformat(),
    }
    if city:
        metadata["city"] = city
    return _Prepared(AddOutcome(path, doc_id, True, doc_region, doc_title, len(clauses)), extracted.text, metadata)


def _region(region: str | None, title: str, text: str, path: Path) -> tuple[str, str]:
    """The province (or 全国) a document is about, and the city when a city is named; --region wins."""
    table = region_table()
    if region is not None:
        if region.strip() in (NATIONAL_REGION, "全國", "national"):
            return NATIONAL_REGION, ""
        mentions = table.find(region.strip())
        if len(mentions) != 1 or mentions[0].surface != region.strip():
            raise InputError(f"--region {region!r} is not a Chinese province, city or county; e.g. --region 浙江")
        return mentions[0].region, mentions[0].surface if mentions[0].level != "province" else ""
    for source in (title, text[:REGION_SCAN_CHARS]):
        mentions = table.find(source)
        if mentions:
            city = next((m.surface for m in mentions if m.level != "province"), "")
            return mentions[0].region, city
        if any(hint in source for hint in NATIONAL_HINTS):
            return NATIONAL_REGION, ""
    raise InputError(f"{path}: cannot tell which region this document is about; pass --region (e.g. --region 浙江)")


def _stage_added(staged: Path, prepared: Sequence[_Prepared]) -> None:
    for item in prepared:
        write_document(staged, item.outcome.document_id, item.text, item.metadata)


def _rebuild(settings: Settings, corpus_dir: Path, stage: Callable[[Path], None], commit: Callable[[], None]) -> None:
    """Build the index from a staged copy of the changed corpus; commit the corpus just before the swap."""
    from index.build import build_index
    from index.embedders import embedder_from_name

    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    # A scratch folder a killed `add` leaves behind is removed by the next one (index.scratch).
    with ScratchDir.create(settings.cache_dir, STAGED_CORPUS_PREFIX) as staged:
        (staged / DOCUMENTS_DIR).mkdir()
        for text_path in document_paths(corpus_dir):
            for path in (text_path, text_path.with_suffix(".json")):
                if path.is_file():
                    shutil.copy2(path, staged / DOCUMENTS_DIR / path.name)
        stage(staged)
        build_index(
            staged,
            settings.index_dir,
            embedder_from_name(settings.embedder_name, settings.cache_dir),
            settings.cache_dir,
            recorded_corpus_dir=corpus_dir,
            before_swap=commit,
        )

"""Train the rescorer (assistant/rescore.py) on the project's question files, or measure it file by file.

    .venv/bin/python -m eval.train_rescorer                    # writes assistant/data/rescorer.json
    .venv/bin/python -m eval.train_rescorer --cross-validate   # each file ranked by a model trained on the others

Every answerable question gives one example per candidate of its search (one search per region when it asks of
several regions side by side): the candidate's ranks and scores under each ranking, and whether it holds a gold
span. Each file is searched without the glossary entries its own misses added (eval/leave_one_out.py), so its
BM25 ranks look the way a new question's would, not the way the glossary grown on it makes them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.api import Assistant
from assistant.memory import QuestionMemory, asked_text, question_words
from assistant.query import Query, understand
from assistant.rescore import (
    ALL_FEATURE_NAMES,
    MEMORY_FEATURES,
    MEMORY_MODEL_NAME,
    MODEL_PATH,
    LinearRescorer,
    candidate_features,
    memory_columns,
)
from assistant.retrieve import MIN_RESCORED_CANDIDATES, HybridRetriever
from corpus.loader import load_documents
from corpus.model import NATIONAL_REGION
from eval.leave_one_out import without_own_glossary_entries
from eval.metrics import Range
from eval.questions import QUESTIONS_DIR, load_questions, locate_span

# Named, not globbed: a new blind file is trained on only after its first run has been recorded.
TRAINING_FILES = (
    "dev", "dev2", "dev3", "dev4", "dev5", "test", "holdout", "holdout2", "holdout3", "holdout4", "holdout5",
    "holdout6", "holdout7", "holdout8", "holdout9", "holdout10", "holdout11", "holdout12", "holdout13", "holdout14",
    "holdout15", "holdout16", "holdout17", "holdout18", "holdout19", "holdout20", "holdout21", "holdout22",
    "holdout23", "holdout24", "holdout25", "holdout26", "holdout27", "holdout28", "holdout29", "holdout30",
    "holdout31", "holdout32", "holdout33", "holdout34", "holdout35", "holdout36", "holdout37",
    "holdout38", "holdout39", "holdout40", "holdout41", "holdout42", "holdout43", "holdout44", "holdout45",
    "holdout46", "holdout47", "holdout48", "holdout49", "holdout50", "holdout51", "holdout52", "holdout53",
    "holdout54", "holdout55", "holdout56", "holdout57", "holdout58", "holdout59", "holdout60", "holdout61",
    "holdout62", "holdout63", "holdout64", "holdout65", "holdout66", "holdout67", "holdout68", "holdout69",
    "holdout70", "holdout71", "holdout72", "holdout73", "holdout74", "holdout75", "holdout76", "holdout77",
    "holdout78", "holdout79", "holdout80", "holdout81", "holdout82", "holdout83", "holdout84", "holdout85",
    "holdout86", "holdout87", "holdout88", "holdout89", "holdout90", "holdout91", "holdout92", "holdout93",
    "holdout94", "holdout95", "holdout96", "holdout97", "holdout98", "holdout99", "holdout100", "holdout101",
    "holdout102", "holdout103", "holdout104", "holdout105", "holdout106", "holdout107", "holdout108", "holdout109",
    "holdout110", "holdout111", "holdout112", "holdout113", "holdout114", "holdout115", "holdout116", "holdout117",
    "holdout118", "holdout119", "holdout120", "holdout121", "holdout122", "holdout123", "holdout124", "holdout125",
    "holdout126", "holdout127", "holdout128", "holdout129",
)  # fmt: skip
# scikit-learn's C (inverse L2 strength). Cross-validated on the training files, 0.1, 1 and 10 rank within three
# questions of each other; 1 is the library's default.
REGULARISATION = 1.0


@dataclass(frozen=True)
class Search:
    """One search of a training question: its candidates' features, which of them hold gold, and the fusion's
    first clause (what the rescorer is measured against)."""

    file: str
    language: str
    candidates: list[int]
    features: np.ndarray
    gold: np.ndarray
    fused_first: int | None
    # For the question memory (assistant/memory.py): whose search it is, its dense query vector, the ids of the
    # clauses that answer it, its candidates' ids, and what it asks (asked_text).
    question_id: str = ""
    query_vector: np.ndarray | None = None
    answers: tuple[str, ...] = ()
    candidate_ids: tuple[str, ...] = ()
    text: str = ""


def searches(assistant: Assistant, files: Sequence[str], memory: QuestionMemory | None = None) -> list[Search]:
    """Every training search; with ``memory``, each file's candidates include what the memory brings in
    (HybridRetriever.remembered_candidates), the file's own questions forgotten."""
    hybrid = assistant.retrievers["hybrid"]
    assert isinstance(hybrid, HybridRetriever) and hybrid.late is not None, "the rescorer needs late interaction"
    documents = load_documents(Path(assistant.index.manifest.corpus_path))
    clauses = assistant.index.clauses
    found = []
    kept_memory = hybrid.memory
    for stem in files:
        hybrid.memory = memory.without(files=[stem]) if memory is not None else None
        with without_own_glossary_entries(stem):
            for question in load_questions(QUESTIONS_DIR / f"{stem}.jsonl"):
                if not question.answerable:
                    continue
                query = understand(question.q.strip(), assistant.covered_regions, question.history)
                gold: dict[str, list[Range]] = {}
                for span in question.gold:
                    for where in locate_span(span, documents):
                        gold.setdefault(span.region, []).append(Range(where.document_id, where.start, where.end))
                for search_query, its_gold in _region_searches(query, gold):
                    inputs = hybrid.inputs(search_query)
                    if len(inputs.candidates) < MIN_RESCORED_CANDIDATES:
                        continue  # the fusion ranks these alone
                    # Every clause that answers the search (for the memory); a candidate holds gold when it is one.
                    answers = tuple(
                        clause.id
                        for clause in clauses
                        if any(Range(clause.document_id, clause.start, clause.end).overlaps(g) for g in its_gold)
                    )
                    holds = [clauses[row].id in answers for row in inputs.candidates]
                    fused = hybrid.fuse(inputs, search_query.language)
                    english = search_query.language == "en"
                    found.append(
                        Search(
                            stem,
                            search_query.language,
                            inputs.candidates,
                            candidate_features(
                                [*inputs.rankings, inputs.late],
                                inputs.candidates,
                                english,
                                hybrid.answer_types(search_query, inputs.candidates),
                            ),
                            np.asarray(holds),
                            fused[0].row if fused else None,
                            question.id,
                            np.asarray(hybrid.late.dense.query_vector(search_query), dtype=np.float32).reshape(-1),
                            answers,
                            tuple(clauses[row].id for row in inputs.candidates),
                            asked_text(search_query.topic, search_query.expansion),
                        )
                    )
    hybrid.memory = kept_memory
    return found


def memory_and_searches(assistant: Assistant, files: Sequence[str]) -> tuple[QuestionMemory, list[Search]]:
    """The question memory of ``files`` (their searches' vectors and answers, which do not depend on it), then their
    searches with the candidates it brings in."""
    clause_ids = [clause.id for clause in assistant.index.clauses]
    memory = question_memory(searches(assistant, files), assistant.embedder.id, clause_ids)
    return memory, searches(assistant, files, memory)


def _region_searches(query: Query, gold: dict[str, list[Range]]) -> list[tuple[Query, list[Range]]]:
    """The searches the answer makes (Assistant._search), each with the gold it can find: one per region asked side
    by side; the national introduction's own search when the question names the national plan or asks of every
    region, and then the search over everything too, which decides where the introduction goes or what follows it."""
    national = gold.get(NATIONAL_REGION, [])
    others = [g for region, spans in gold.items() if region != NATIONAL_REGION for g in spans]
    found = []
    if query.each_region:
        found += [(query.within(r), gold[r]) for r in query.regions if r in gold and r != NATIONAL_REGION]
        if query.every_region and national:
            found += [
                (query.within(NATIONAL_REGION), national),
                (query.everywhere(), national),
            ]
    elif query.national_first:
        if national:
            found.append((query.within(NATIONAL_REGION), national))
        if others:
            found.append((query, others))
    else:
        found.append((query, national + others))
    return found


def question_memory(found: Sequence[Search], embedder_id: str, corpus_clause_ids: Iterable[str]) -> QuestionMemory:
    """One remembered question per question id: its query vector, what it asks and every clause that answers any of
    its searches (a question asked of several regions is searched once per region, with the same vector and words)."""
    entries: dict[str, tuple[str, np.ndarray, str, dict[str, None]]] = {}
    for search in found:
        entry = entries.setdefault(search.question_id, (search.file, search.query_vector, search.text, {}))
        entry[3].update(dict.fromkeys(search.answers))
    return QuestionMemory(
        embedder_id,
        tuple(entries),
        tuple(file for file, _, _, _ in entries.values()),
        tuple(tuple(answers) for _, _, _, answers in entries.values()),
        np.vstack([vector for _, vector, _, _ in entries.values()]).astype(np.float16).astype(np.float32),
        frozenset(corpus_clause_ids),
        tuple(text for _, _, text, _ in entries.values()),
    )


MEMORY_COLUMNS = [ALL_FEATURE_NAMES.index(name) for name in MEMORY_FEATURES] + [
    ALL_FEATURE_NAMES.index(f"en*{name}") for name in MEMORY_FEATURES
]


def remembering(search: Search, memory: QuestionMemory) -> np.ndarray | None:
    """The search's features as the memory-reading model sees them (the memory's columns filled), or None when the
    memory knows none of its candidates and the plain rescorer orders them."""
    if not memory.has_seen(search.candidate_ids):
        return None
    similarities = memory.similarities(search.query_vector, search.candidate_ids)
    if not similarities.any():
        return None
    columns = memory_columns(similarities, memory.shared_words(question_words(search.text), search.candidate_ids))
    features = search.features.copy()
    english = float(search.language == "en")
    features[:, MEMORY_COLUMNS] = np.hstack([columns, columns * english])
    return features


def with_own_file_forgotten(found: Sequence[Search], memory: QuestionMemory, also: Sequence[str] = ()) -> list:
    """Each search's ``remembering`` features with its own file's questions (and files ``also``) out of the memory:
    what a question nobody has labelled meets."""
    forgotten = {stem: memory.without(files=[stem, *also]) for stem in dict.fromkeys(s.file for s in found)}
    return [remembering(search, forgotten[search.file]) for search in found]


def fit(
    found: Sequence[Search],
    embedder_id: str,
    files: Sequence[str],
    regularisation: float,
    features: Sequence[np.ndarray | None] | None = None,
) -> LinearRescorer:
    """The rescorer over ``found``; with ``features`` (one per search, None to leave a search out), over those."""
    from sklearn.linear_model import LogisticRegression

    if features is not None:
        found = [search for search, f in zip(found, features, strict=True) if f is not None]
        features = np.vstack([f for f in features if f is not None])
    else:
        features = np.vstack([search.features for search in found])
    labels = np.concatenate([search.gold for search in found])
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0  # a feature constant over the training set: leave it as it is
    model = LogisticRegression(C=regularisation, max_iter=5000).fit((features - mean) / scale, labels)
    return LinearRescorer(
        embedder_id, mean, scale, model.coef_[0].copy(), float(model.intercept_[0]), tuple(files), regularisation
    )


def first_is_gold(search: Search, rescorer: LinearRescorer, features: np.ndarray | None = None) -> bool:
    features = search.features if features is None else features
    return bool(search.gold[rescorer.order(features, search.candidates)[0]])


def cross_validate(
    found: Sequence[Search], files: Sequence[str], embedder_id: str, regularisation: float, memory: QuestionMemory
) -> str:
    """A table of success@1 per file and language: the fusion's first clause against the first clause of a
    rescorer trained on every other file."""
    lines = [
        "| file | language | searches | fusion first | rescorer first | with the memory |",
        "|---|---|---|---|---|---|",
    ]
    totals: dict[str, list[int]] = {}
    for stem in files:
        training = [s for s in found if s.file != stem]
        others = [f for f in files if f != stem]
        rescorer = fit(training, embedder_id, others, regularisation)
        # The held-out file's questions are in neither the training features' memory nor its own.
        forgotten = with_own_file_forgotten(training, memory, [stem])
        remembered = fit(training, embedder_id, others, regularisation, forgotten)
        held_memory = memory.without(files=[stem])
        for language in ("Chinese", "English"):
            held = [s for s in found if s.file == stem and (s.language == "en") == (language == "English")]
            fused = sum(bool(s.fused_first is not None and s.gold[s.candidates.index(s.fused_first)]) for s in held)
            learned = sum(first_is_gold(s, rescorer) for s in held)
            with_memory = 0
            for search in held:
                features = remembering(search, held_memory)
                model = rescorer if features is None else remembered
                with_memory += first_is_gold(search, model, features)
            lines.append(f"| {stem} | {language} | {len(held)} | {fused} | {learned} | {with_memory} |")
            total = totals.setdefault(language, [0, 0, 0, 0])
            for position, value in enumerate((len(held), fused, learned, with_memory)):
                total[position] += value
    for language, (count, fused, learned, with_memory) in totals.items():
        lines.append(
            f"| all | {language} | {count} | {fused} ({fused / count:.3f}) | {learned} ({learned / count:.3f}) "
            f"| {with_memory} ({with_memory / count:.3f}) |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.train_rescorer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=list(TRAINING_FILES), help="question file stems to train on")
    parser.add_argument("--cross-validate", action="store_true", help="score each file with a model of the others")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help=f"where to write the model (default {MODEL_PATH})")
    parser.add_argument("--regularisation", type=float, default=REGULARISATION, help="scikit-learn's C")
    args = parser.parse_args(argv)
    missing = [stem for stem in args.files if not (QUESTIONS_DIR / f"{stem}.jsonl").is_file()]
    if missing:
        print(
            f"train_rescorer: no question file {', '.join(missing)} in {QUESTIONS_DIR}; name existing files",
            file=sys.stderr,
        )
        return 2
    # Without the shipped model: its candidates and features are the fusion's, and a model file of other features
    # (the one being replaced) must not stop its own retraining.
    assistant = Assistant.load(rescorer_path=None)
    memory, found = memory_and_searches(assistant, args.files)
    if args.cross_validate:
        print(cross_validate(found, args.files, assistant.embedder.id, args.regularisation, memory))
        return 0
    rescorer = fit(found, assistant.embedder.id, args.files, args.regularisation)
    rescorer.save(args.out)
    memory.save(args.out.parent)
    remembered = fit(
        found, assistant.embedder.id, args.files, args.regularisation, with_own_file_forgotten(found, memory)
    )
    remembered.save(args.out.with_name(MEMORY_MODEL_NAME))
    examples = sum(len(s.candidates) for s in found)
    print(
        f"train_rescorer: {len(found)} searches, {examples} candidates from {len(args.files)} files -> {args.out}, "
        f"{args.out.with_name(MEMORY_MODEL_NAME).name}; {len(memory)} questions remembered in {args.out.parent}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

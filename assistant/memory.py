"""A memory of answered questions: which clauses answered the labelled questions most like this one.

The question files (eval/questions/) hold thousands of questions, most labelled with the clauses that answer them. A new
question is often a paraphrase of one asked before ("上海郊区低保户的残疾人做劳务协作有年龄限制吗" has been asked five
ways); the rankings, reading the words, can still prefer a neighbouring clause that shares more of them. The memory
keeps each labelled question's dense query vector and the ids of its answering clauses; the rescorer reads, for each
candidate, the cosine of the most similar remembered question it answered, and the clauses that answered the most
similar ones join the candidates (HybridRetriever.remembered_candidates). This is nearest-neighbour learning from
relevance labels (as FAQ retrieval and click models learn from past queries): it helps only clauses that have been
asked about, and a clause nobody has asked about keeps its rankings' verdict: assistant/retrieve.py uses a rescorer
trained without the memory when no candidate is remembered, or when any candidate is a clause the memory has never
seen (a document added since), whose silence means nothing.

The embedder's cosines crowd together (a question about one region's clause on public posts lies within 0.01 of one
about the same region's exam rules), so the rescorer also reads the words a candidate's remembered questions share
with this one (``shared_words``: the Dice overlap of Chinese character pairs and English words); in a five-fold
comparison over the training files that put the right clause first in 31 more of 8,502 searches (50 gained, 19
lost).

Stored beside the rescorer (assistant/data/): ``question-memory.json`` (the embedder, and per question its id,
file, clause ids and text) and ``question-memory.npy`` (its vectors, float16, read without pickle). Like the rescorer,
it belongs to one embedder: another embedder's vectors are not comparable, so it is not used with them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus.errors import PolicyqaError
from corpus.writer import write_atomically

MEMORY_FILE = "question-memory.json"
VECTORS_FILE = "question-memory.npy"

CJK_RUN_RE = re.compile(r"[\u3400-\u9fff]+")
LATIN_WORD_RE = re.compile(r"[a-z][a-z0-9'-]+")
# Words every English question has; they would make any two questions look alike.
ENGLISH_FUNCTION_WORDS = frozenset(
    "the an of to in on for and or is are do does what which who how can will be by with that this it its any there"
    " their they as at from".split()
)


def asked_text(topic: str, expansion: str) -> str:
    """What a question asks, as the memory keeps it: its topic (no region names, which every candidate of a region
    shares) and the documents' terms for its everyday words (Query.topic, Query.expansion)."""
    return f"{topic} {expansion}".strip()


def question_words(text: str) -> frozenset[str]:
    """The words two questions can share: each Chinese character pair (Chinese is not spaced, and a pair of
    characters is the unit BM25's bigram ranking reads too) and each English word but the function words."""
    text = text.lower()
    words = {run[i : i + 2] for run in CJK_RUN_RE.findall(text) for i in range(len(run) - 1)}
    words.update(word for word in LATIN_WORD_RE.findall(text) if word not in ENGLISH_FUNCTION_WORDS)
    return frozenset(words)


class MemoryFileError(PolicyqaError):
    """The question memory's files cannot be read."""

    exit_code = 3


@dataclass(frozen=True)
class QuestionMemory:
    """Remembered questions: ``vectors[i]`` is question ``question_ids[i]``'s dense query vector (unit length),
    ``answers[i]`` the ids of the clauses that answer it, ``files[i]`` the question file it came from; ``seen`` every
    clause of the corpus the questions were labelled against; ``texts[i]`` what question ``i`` asked, as searched (its
    topic and the documents' terms for it, Query.topic and Query.expansion), for ``shared_words``."""

    embedder_id: str
    question_ids: tuple[str, ...]
    files: tuple[str, ...]
    answers: tuple[tuple[str, ...], ...]
    vectors: np.ndarray
    seen: frozenset[str]
    texts: tuple[str, ...]
    # clause id -> positions of the questions it answers; built once, read at every search.
    _asked: dict[str, np.ndarray] = field(init=False, repr=False, compare=False)
    # The question_words of every text as numbers, made once: word -> number, each question's word numbers one after
    # another with the question each belongs to, and each question's count (read by ``word_overlaps``).
    _word_numbers: dict[str, int] = field(init=False, repr=False, compare=False)
    _numbered_words: np.ndarray = field(init=False, repr=False, compare=False)
    _word_owners: np.ndarray = field(init=False, repr=False, compare=False)
    _word_counts: np.ndarray = field(init=False, repr=False, compare=False)
    # The last query vector's cosines to every remembered question (see ``cosines``), and the last words' overlaps.
    _recent: dict[bytes, np.ndarray] = field(init=False, repr=False, compare=False)
    _recent_overlaps: dict[frozenset[str], np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        count = len(self.question_ids)
        if not len(self.files) == len(self.answers) == self.vectors.shape[0] == len(self.texts) == count:
            raise ValueError("one file, one list of answers, one vector and one text per question")
        asked: dict[str, list[int]] = {}
        for position, clause_ids in enumerate(self.answers):
            for clause_id in clause_ids:
                asked.setdefault(clause_id, []).append(position)
        object.__setattr__(self, "_asked", {key: np.asarray(value) for key, value in asked.items()})
        object.__setattr__(self, "_recent", {})
        object.__setattr__(self, "_recent_overlaps", {})
        numbers: dict[str, int] = {}
        numbered, owners, counts = [], [], []
        for position, text in enumerate(self.texts):
            words = question_words(text)
            numbered.extend(numbers.setdefault(word, len(numbers)) for word in words)
            owners.extend([position] * len(words))
            counts.append(len(words))
        object.__setattr__(self, "_word_numbers", numbers)
        object.__setattr__(self, "_numbered_words", np.asarray(numbered, dtype=np.int64))
        object.__setattr__(self, "_word_owners", np.asarray(owners, dtype=np.int64))
        object.__setattr__(self, "_word_counts", np.asarray(counts, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.question_ids)

    def has_seen(self, clause_ids: Iterable[str]) -> bool:
        """Whether every one of these clauses was in the corpus when the questions were labelled: only then does a
        clause's absence from the answers say that nobody asked for it."""
        return all(clause_id in self.seen for clause_id in clause_ids)

    def similarities(self, query_vector: np.ndarray, clause_ids: Sequence[str]) -> np.ndarray:
        """For each clause, the cosine of the most similar remembered question it answers; 0 when it answers none
        (or only questions less similar than orthogonal)."""
        best = np.zeros(len(clause_ids))
        asked = [self._asked.get(clause_id) for clause_id in clause_ids]
        if all(positions is None for positions in asked):
            return best  # no clause here answers a remembered question: no cosines needed
        cosines = self.cosines(query_vector)
        for column, positions in enumerate(asked):
            if positions is not None:
                best[column] = max(0.0, float(cosines[positions].max()))
        return best

    def shared_words(self, words: frozenset[str], clause_ids: Sequence[str]) -> np.ndarray:
        """For each clause, the most that one remembered question it answers shares of ``words`` (question_words):
        twice the words in common over both counts (Dice), 0 when it answers none."""
        shared = np.zeros(len(clause_ids))
        asked = [self._asked.get(clause_id) for clause_id in clause_ids]
        if not words or all(positions is None for positions in asked):
            return shared
        overlaps = self.word_overlaps(words)
        for column, positions in enumerate(asked):
            if positions is not None:
                shared[column] = float(overlaps[positions].max())
        return shared

    def word_overlaps(self, words: frozenset[str]) -> np.ndarray:
        """The Dice overlap of ``words`` with every remembered question's words (read-only; 0 for a question without
        words). Counted with numbers, not sets: a busy clause answers 370 questions, and set by set a search took
        10 ms. The last words' overlaps are kept, as ``cosines`` keeps the last vector's."""
        overlaps = self._recent_overlaps.get(words)
        if overlaps is not None:
            return overlaps
        known = [self._word_numbers[word] for word in words if word in self._word_numbers]
        asked_for = np.zeros(len(self._word_numbers), dtype=np.float64)
        asked_for[known] = 1.0
        common = np.bincount(self._word_owners, weights=asked_for[self._numbered_words], minlength=len(self))
        with np.errstate(invalid="ignore", divide="ignore"):
            overlaps = np.where(self._word_counts > 0, 2 * common / (len(words) + self._word_counts), 0.0)
        overlaps.flags.writeable = False
        self._recent_overlaps.clear()
        self._recent_overlaps[words] = overlaps
        return overlaps

    def cosines(self, query_vector: np.ndarray) -> np.ndarray:
        """The query's cosine to every remembered question (read-only). A search asks for them twice with one vector
        (the neighbours' clauses join the candidates, then each candidate's best cosine is a feature), and a question
        about several regions searches once per region: the last vector's cosines are kept, not computed again."""
        query = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        key = query.tobytes()
        cosines = self._recent.get(key)
        if cosines is None:
            # By einsum, not BLAS: right after the embedder's ONNX Runtime call, its spinning threads held a BLAS
            # matrix-vector product of the whole memory up for ~5 ms.
            cosines = np.einsum("ij,j->i", self.vectors, query)
            cosines.flags.writeable = False
            self._recent.clear()  # one entry: threads asking at once at worst compute it again
            self._recent[key] = cosines
        return cosines

    def neighbour_answers(self, query_vector: np.ndarray, count: int) -> list[str]:
        """The clauses answering the ``count`` remembered questions most similar to this one, most similar first."""
        if not len(self):
            return []
        nearest = np.argsort(-self.cosines(query_vector), kind="stable")[:count]
        return list(dict.fromkeys(clause_id for position in nearest for clause_id in self.answers[position]))

    def without(self, question_ids: Iterable[str] = (), files: Iterable[str] = ()) -> QuestionMemory:
        """The memory less the named questions and every question of the named files (a question being scored must
        not find itself)."""
        dropped_ids, dropped_files = set(question_ids), set(files)
        keep = [
            i
            for i, (question_id, file) in enumerate(zip(self.question_ids, self.files, strict=True))
            if question_id not in dropped_ids and file not in dropped_files
        ]
        return QuestionMemory(
            self.embedder_id,
            tuple(self.question_ids[i] for i in keep),
            tuple(self.files[i] for i in keep),
            tuple(self.answers[i] for i in keep),
            self.vectors[keep],
            self.seen,
            tuple(self.texts[i] for i in keep),
        )

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        records = [
            {"id": question_id, "file": file, "clauses": list(clauses), "text": text}
            for question_id, file, clauses, text in zip(
                self.question_ids, self.files, self.answers, self.texts, strict=True
            )
        ]
        scratch = folder / f".{VECTORS_FILE}.tmp"
        with scratch.open("wb") as handle:
            np.save(handle, self.vectors.astype(np.float16), allow_pickle=False)
        scratch.replace(folder / VECTORS_FILE)
        raw = {"embedder": self.embedder_id, "seen": sorted(self.seen), "questions": records}
        text = json.dumps(raw, ensure_ascii=False, indent=0)
        write_atomically(folder / MEMORY_FILE, text + "\n")

    @classmethod
    def read(cls, folder: Path) -> QuestionMemory:
        try:
            raw = json.loads((folder / MEMORY_FILE).read_text(encoding="utf-8"))
            vectors = np.load(folder / VECTORS_FILE, allow_pickle=False).astype(np.float32)
            records = raw["questions"]
            return cls(
                str(raw["embedder"]),
                tuple(str(r["id"]) for r in records),
                tuple(str(r["file"]) for r in records),
                tuple(tuple(str(c) for c in r["clauses"]) for r in records),
                vectors,
                frozenset(str(c) for c in raw["seen"]),
                tuple(str(r["text"]) for r in records),
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise MemoryFileError(
                f"cannot read the question memory in {folder}: {error}; "
                "rebuild it with .venv/bin/python -m eval.train_rescorer"
            ) from None

    @classmethod
    def for_embedder(cls, embedder_id: str, folder: Path) -> QuestionMemory | None:
        """The shipped memory when it was made with this embedder, else None (nothing is remembered)."""
        if not (folder / MEMORY_FILE).exists():
            return None
        memory = cls.read(folder)
        return memory if memory.embedder_id == embedder_id else None

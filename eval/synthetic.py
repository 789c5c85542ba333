"""A synthetic corpus of any size that looks like the real one, for measuring how costs grow.

Documents are built from the real plans' own sentences and section headings, recombined: every province and many
cities, titles in the real plans' style, numbered 一、/(一) like the real documents, some in Traditional script. They
are written with `corpus.writer`, so the normal loader and parser read them; the parser's clause count is what
`generate_corpus` promises.

Vectors at scale: `PooledSentenceEmbedder` gives each synthetic passage the normalised mean of the real
embedder's vectors of the real sentences it is made of (each sentence embedded once, then cached). Search,
fusion and answers then run exactly as shipped on vectors shaped like real ones, without hours of embedding on
two cores; the real embedder's cost at each size is reported separately from its measured throughput.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.loader import default_corpus_dir
from corpus.regions import region_table
from corpus.script import to_simplified
from corpus.writer import write_document

CLAUSES_PER_SECTION = (3, 12)
SECTIONS_PER_DOCUMENT = (3, 8)
# Two or more sentences: with one, hundreds of clauses would share each sentence's vector exactly.
SENTENCES_PER_CLAUSE = (2, 5)
TITLE_FORMS = (
    "{place}促进残疾人就业三年行动方案(2025—2027年)",
    "{place}关于进一步做好残疾人就业工作的实施意见",
    "{place}残疾人就业创业扶持若干措施",
    "{place}促进残疾人按比例就业实施办法",
    "{place}残疾人职业技能提升行动工作方案",
)
SENTENCE_END_RE = re.compile(r"(?<=[。;；!！?？])")
HEADING_NUMBER_RE = re.compile(r"^[一二三四五六七八九十]+、")
CHINESE_NUMERALS = "一二三四五六七八九十"
SYNTHETIC_SOURCE = "synthetic: recombined sentences of the real plans (eval/synthetic.py)"


@dataclass(frozen=True)
class SentencePool:
    sentences: list[str]
    headings: list[str]

    @classmethod
    def from_corpus(cls, corpus_dir: Path | None = None) -> SentencePool:
        """The real corpus's sentences (8 characters or more) and its section headings without their numbers."""
        from index.build import parse_corpus

        sentences: dict[str, None] = {}
        headings: dict[str, None] = {}
        for clause in parse_corpus(corpus_dir or default_corpus_dir()):
            for sentence in split_sentences(clause.text):
                if _usable(sentence):
                    sentences[sentence] = None
            if clause.section_path:
                heading = HEADING_NUMBER_RE.sub("", clause.section_path[0])
                if heading and "\n" not in heading:
                    headings[heading] = None
        return cls(list(sentences), list(headings))


def _usable(sentence: str) -> bool:
    """Whole sentences only: a fragment of a units list (unbalanced brackets) would renumber or glue clauses."""
    balanced = all(sentence.count(a) == sentence.count(b) for a, b in ("()", "（）", "《》", "“”"))
    return len(sentence) >= 8 and balanced and sentence[0] not in "(（" and "\n" not in sentence


def split_sentences(text: str) -> list[str]:
    return [piece.strip() for piece in SENTENCE_END_RE.split(text) if piece.strip()]


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (up to 99), as the documents number their items."""
    tens, ones = divmod(n, 10)
    prefix = "" if tens == 0 else ("十" if tens == 1 else CHINESE_NUMERALS[tens - 1] + "十")
    return prefix + (CHINESE_NUMERALS[ones - 1] if ones else "")


def _places() -> list[tuple[str, str]]:
    """(province short name, place named in the title): every province, and its cities."""
    table = region_table()
    places = [(province, table.chinese_names(province)[1]) for province in table.regions]
    cities = sorted({(region, surface) for surface, region, _ in table.names("city") if surface.endswith("市")})
    return places + cities


def generate_corpus(clause_count: int, corpus_dir: Path, seed: int = 0, pool: SentencePool | None = None) -> int:
    """Write documents holding exactly ``clause_count`` numbered clauses into ``corpus_dir``; return the count of
    documents. Deterministic for a given seed."""
    if clause_count < 1:
        raise ValueError(f"clause_count is {clause_count}; it must be at least 1")
    pool = pool or SentencePool.from_corpus()
    rng = random.Random(seed)
    places = _places()
    remaining, documents = clause_count, 0
    while remaining:
        province, place = places[documents % len(places)] if documents < len(places) else rng.choice(places)
        sections = []
        for _ in range(rng.randint(*SECTIONS_PER_DOCUMENT)):
            size = min(remaining, rng.randint(*CLAUSES_PER_SECTION))
            if size == 0:
                break
            sections.append(size)
            remaining -= size
        title = rng.choice(TITLE_FORMS).format(place=place)
        lines = []
        for number, size in enumerate(sections, 1):
            lines.append(f"{chinese_number(number)}、{rng.choice(pool.headings)}")
            for item in range(1, size + 1):
                sentences = rng.sample(pool.sentences, rng.randint(*SENTENCES_PER_CLAUSE))
                lines.append(f"({chinese_number(item)}){''.join(sentences)}")
        text = "\n".join(lines) + "\n"
        metadata = {
            "region": province,
            "title": title,
            "issuer": f"{place}人民政府办公厅",
            "source": SYNTHETIC_SOURCE,
            "order": documents + 1,
        }
        write_document(corpus_dir, f"synthetic-{documents:06d}", text, metadata)
        documents += 1
    return documents


class PooledSentenceEmbedder:
    """Queries through the real embedder; a passage is the normalised mean of its sentences' real vectors.

    The context header before ": " is left out, as is any sentence shorter than 8 characters, so the vectors
    come only from real sentences the pool has embedded once.
    """

    def __init__(self, real) -> None:
        self.real = real
        self.dimension = real.dimension
        self._vectors: dict[str, np.ndarray] = {}

    @property
    def id(self) -> str:
        return f"pooled-sentences:{self.real.id}"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.real.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        pieces = [self._sentences(text) for text in texts]
        missing = sorted({s for sentences in pieces for s in sentences} - self._vectors.keys())
        if missing:
            for sentence, vector in zip(missing, self.real.encode_passages(missing), strict=True):
                self._vectors[sentence] = vector
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, sentences in enumerate(pieces):
            if sentences:
                mean = np.mean([self._vectors[s] for s in sentences], axis=0)
                out[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return out

    @staticmethod
    def _sentences(text: str) -> list[str]:
        body = text.split(": ", 1)[-1]
        return [s for s in split_sentences(body) if len(s) >= 8] or [to_simplified(body)[:200] or "空"]


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        sys.exit("usage: python -m eval.synthetic CLAUSES CORPUS_DIR   (e.g. 100000 /tmp/synthetic)")
    written = generate_corpus(int(sys.argv[1]), Path(sys.argv[2]))
    print(f"{sys.argv[1]} clauses in {written} documents under {sys.argv[2]}/documents")

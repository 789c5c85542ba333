"""What evaluation compares: the Assistant under each configuration, and a LangChain-style baseline."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from corpus.model import Document
from eval.metrics import Range
from eval.questions import Question
from index.embedders import Embedder
from index.stores.faiss_store import FaissStore

BASELINE_CHUNK_CHARS = 500
BASELINE_CHUNK_OVERLAP = 50
BASELINE_NAME = "langchain"


@dataclass(frozen=True)
class Retrieval:
    """A system's ranked passages for one question, as character ranges, and whether it kept it in scope."""

    ranges: list[Range]
    ids: list[str]
    in_scope: bool


class System(Protocol):
    name: str

    def retrieve(self, question: Question, k: int) -> Retrieval: ...


class AssistantSystem:
    """The Assistant API under one of its configurations."""

    def __init__(self, assistant, configuration: str) -> None:
        self.assistant = assistant
        self.name = configuration

    @contextmanager
    def forgetting(self, question_ids: Iterable[str]) -> Iterator[None]:
        """Within the block, the question memory (assistant/memory.py) lacks these questions: a question being
        scored must not find itself remembered with its own answer."""
        retriever = self.assistant.retrievers.get(self.name)
        memory = getattr(retriever, "memory", None)
        if memory is None:
            yield
            return
        retriever.memory = memory.without(question_ids=question_ids)
        try:
            yield
        finally:
            retriever.memory = memory

    def retrieve(self, question: Question, k: int) -> Retrieval:
        answer = self.assistant.ask(question.q, k=k, history=list(question.history), configuration=self.name)
        clauses = [passage.clause for passage in answer.passages]
        return Retrieval(
            [Range(c.document_id, c.start, c.end) for c in clauses], [c.id for c in clauses], answer.in_scope
        )


class LangChainBaseline:
    """The common RAG recipe, for comparison: RecursiveCharacterTextSplitter(500, 50) over whole documents,
    dense vectors from the same embedder in a FAISS IndexFlatIP; no clause structure, no regions, no BM25."""

    name = BASELINE_NAME

    def __init__(self, documents: Sequence[Document], embedder: Embedder) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=BASELINE_CHUNK_CHARS, chunk_overlap=BASELINE_CHUNK_OVERLAP, add_start_index=True
        )
        self.chunks: list[Range] = []
        texts = []
        for document in documents:
            for chunk in splitter.create_documents([document.text]):
                start = chunk.metadata["start_index"]
                self.chunks.append(Range(document.id, start, start + len(chunk.page_content)))
                texts.append(chunk.page_content)
        self.embedder = embedder
        self.store = FaissStore.create(embedder.dimension)
        self.store.add(embedder.encode_passages(texts))

    def retrieve(self, question: Question, k: int) -> Retrieval:
        vector = self.embedder.encode_queries([question.q])[0]
        rows = [row for row, _ in self.store.search(vector, k)]
        chunks = [self.chunks[row] for row in rows]
        return Retrieval(chunks, [f"{c.document_id}@{c.start}" for c in chunks], in_scope=True)

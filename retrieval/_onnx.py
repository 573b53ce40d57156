"""Query encoding on onnxruntime: the same model as sentence-transformers, twice as fast on 2 cores.

Encoding the query is 95% of a search (``docs/retrieval.md``). On this machine torch encodes a
short question in ~31 ms on one thread, onnxruntime in ~14 ms, with the same vectors (cosine 1.0
to six places). sentence-transformers' own ONNX backend needs ``optimum``, which cannot be
installed beside transformers 5, so the graph is exported here, once, from a sentence-transformers
folder (transformer, mean pooling and L2 normalisation in one graph) and kept next to it.

Queries run by default on an int8 copy of that graph (the attention output and feed-forward
weights quantised per channel; self-attention and the embedding table left in float), made once
beside it: on 320 dev questions it encodes a query in p50 16.9 / p95 21.2 ms instead of 22.6 /
28.9 ms, and ranks as well against fp32 passage vectors (Recall@1 0.828 vs 0.825, MRR 0.886
both). Passages stay on the fp32 graph: int8 passage vectors lost two points of Recall@1 (0.806);
quantising self-attention or the embedding table as well lost 0.6-1.2 (:func:`quantize_onnx`).

:class:`OnnxEmbedder` reads the folder's own tokenizer, prompts and sequence limit, and names
itself like :class:`~retrieval._dense.SentenceTransformerEmbedder` over the same folder, so the
two share one embedding cache: switching backends, or query precision, re-embeds nothing.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._dense import model_name
from ._folders import built_in_place

log = logging.getLogger(__name__)

ONNX_FILENAME = "model.onnx"
INT8_FILENAME = "model.int8.onnx"
QUERY_PRECISIONS = ("int8", "fp32")
_MARKER = "SOURCE.json"
_FORMAT = "wardbot.onnx-export/1"
_INT8_FORMAT = "wardbot.onnx-int8/2"  # bump when the quantisation recipe changes
_OPSET = 17


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _check_exportable(model_dir: Path) -> None:
    """Only what the exported graph computes: a transformer, mean pooling, L2 normalisation."""
    modules = [
        module.get("type", "").rsplit(".", 1)[-1]
        for module in json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    ]
    pooling = _read_json(model_dir / "1_Pooling" / "config.json").get("pooling_mode")
    if modules != ["Transformer", "Pooling", "Normalize"] or pooling != "mean":
        raise ValueError(
            f"{model_dir}: the ONNX backend handles transformer + mean pooling + normalise models only "
            f'(this one is {" + ".join(modules)}, pooling {pooling!r}); use backend = "torch"'
        )


def export_onnx(model_dir: str | Path, out_dir: str | Path) -> Path:
    """Export ``model_dir`` (a sentence-transformers folder) to ``out_dir/model.onnx``.

    Written to a staging folder and renamed into place, so a crash never leaves half a model.
    """
    import torch
    from transformers import AutoModel

    model_dir, out_dir = Path(model_dir), Path(out_dir)
    _check_exportable(model_dir)

    class _Embedding(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    transformer = AutoModel.from_pretrained(str(model_dir), local_files_only=True, add_pooling_layer=False).eval()
    with built_in_place(out_dir) as staging:
        example = torch.tensor([[0, 6, 2]]), torch.ones(1, 3, dtype=torch.int64)
        # The tracer warns that Python-level branches in transformers' attention code become
        # constants of the graph; for this encoder they do not depend on the input (no causal
        # mask, no cache), which tests/test_embedders.py checks on padded batches of all lengths.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Embedding(transformer),
                example,
                str(staging / ONNX_FILENAME),
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=_OPSET,
                dynamo=False,
            )
        _write_marker(staging, model_dir)
    return out_dir / ONNX_FILENAME


def _expected_marker(model_dir: Path) -> dict:
    return {"format": _FORMAT, "source": model_name(model_dir), "opset": _OPSET}


def _write_marker(out_dir: Path, model_dir: Path) -> None:
    (out_dir / _MARKER).write_text(json.dumps(_expected_marker(model_dir), indent=2) + "\n", encoding="utf-8")


def ensure_onnx_model(model_dir: str | Path) -> Path:
    """The exported graph for ``model_dir``, exporting it first when missing or made from another
    model. It lives beside the folder (``<folder>-onnx/``): inside, it would change the folder's
    fingerprint and with it every cached passage vector."""
    model_dir = Path(model_dir)
    out_dir = model_dir.with_name(model_dir.name + "-onnx")
    expected = _expected_marker(model_dir)
    marker = _read_json(out_dir / _MARKER)
    if {k: marker.get(k) for k in expected} != expected or not (out_dir / ONNX_FILENAME).is_file():
        log.info("exporting %s to ONNX once, into %s (takes about 10 s)", model_dir.name, out_dir)
        export_onnx(model_dir, out_dir)
    return out_dir / ONNX_FILENAME


class _QuantiserNoise(logging.Filter):
    """onnxruntime's quantiser logs on the root logger: a warning asking for a pre-processing pass
    (shape inference and graph fusions) that the measured recipe did without, and a line per
    activation saying it has no stored scale, which dynamic quantisation never has."""

    def filter(self, record: logging.LogRecord) -> bool:
        hint = "pre-processing before quantization" in record.getMessage()
        return record.levelno >= logging.WARNING and not hint


def quantize_onnx(onnx_path: str | Path, out_path: str | Path) -> Path:
    """Write an int8 copy of ``onnx_path`` to ``out_path``: the weights of the attention output
    and feed-forward layers, per output channel; activations are quantised on the fly.

    Self-attention stays in float (its query, key and value projections and its products of two
    activations), and so does the embedding table (a Gather). Measured on the development
    questions: quantising the projections too is 3 ms faster but cost 1.2 points of Recall@1;
    the activation products or the table, 0.6-0.9 points each; this recipe lost nothing.
    Written in a staging folder and renamed into place, so a crash never leaves half a model.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    onnx_path, out_path = Path(onnx_path), Path(out_path)
    graph = onnx.load(str(onnx_path), load_external_data=False).graph
    constants = {tensor.name for tensor in graph.initializer}
    constants |= {output for node in graph.node if node.op_type == "Constant" for output in node.output}
    kept_in_float = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and ("/attention/self/" in node.name or not any(name in constants for name in node.input))
    ]
    staging = out_path.with_name(out_path.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    noise = _QuantiserNoise()
    logging.getLogger().addFilter(noise)
    try:
        # The quantiser writes a shape-inferred copy beside its input: in staging, not beside the
        # live graph, where a crash would leave it.
        source = staging / onnx_path.name
        try:
            os.link(onnx_path, source)
        except OSError:
            shutil.copyfile(onnx_path, source)
        quantize_dynamic(
            source,
            staging / out_path.name,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Gemm"],
            per_channel=True,
            nodes_to_exclude=kept_in_float,
        )
        os.replace(staging / out_path.name, out_path)
    finally:
        logging.getLogger().removeFilter(noise)
        shutil.rmtree(staging, ignore_errors=True)
    return out_path


def _int8_marker(onnx_path: Path) -> dict:
    stat = onnx_path.stat()
    return {"format": _INT8_FORMAT, "from": {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}}


def ensure_onnx_int8_model(model_dir: str | Path) -> Path:
    """The int8 copy of :func:`ensure_onnx_model`'s graph, ``model.int8.onnx`` beside it, made
    first when missing or when the folder's marker says it came from another graph or recipe."""
    onnx_path = ensure_onnx_model(model_dir)
    out_dir = onnx_path.parent
    int8_path = out_dir / INT8_FILENAME
    marker = _read_json(out_dir / _MARKER)
    expected = _int8_marker(onnx_path)
    if marker.get("int8") != expected or not int8_path.is_file():
        log.info("quantising %s to int8 once, into %s (takes about 10 s)", onnx_path, int8_path)
        quantize_onnx(onnx_path, int8_path)
        # The marker is updated last: a crash before this leaves it saying "rebuild".
        staged_marker = out_dir / (_MARKER + ".partial")
        staged_marker.write_text(json.dumps({**marker, "int8": expected}, indent=2) + "\n", encoding="utf-8")
        os.replace(staged_marker, out_dir / _MARKER)
    return int8_path


class OnnxEmbedder:
    """An :class:`~retrieval._dense.Embedder` running an exported sentence-transformers model on
    onnxruntime, with the folder's tokenizer, ``query``/``passage`` prompts and length limit.

    ``query_precision="int8"`` encodes queries on the int8 graph; passages always use the fp32
    one, so cached passage vectors and :attr:`name` do not depend on the precision. A search
    needs only the int8 graph: the fp32 one is loaded on the first passage to embed (an index
    build or a KB reload with new text) and kept.
    """

    def __init__(
        self,
        model_dir: str | Path,
        *,
        threads: int | None = None,
        batch_size: int = 32,
        query_precision: str = "int8",
    ):
        from tokenizers import Tokenizer

        if query_precision not in QUERY_PRECISIONS:
            allowed = " or ".join(f'"{p}"' for p in QUERY_PRECISIONS)
            raise ValueError(f"query_precision: expected {allowed}, got {query_precision!r}")
        model_dir = Path(model_dir)
        self._onnx_path = ensure_onnx_model(model_dir)
        self._passage_session = None
        self._passage_session_lock = threading.Lock()
        if query_precision == "int8":
            self._query_session = self._open(ensure_onnx_int8_model(model_dir), threads)
        else:
            self._query_session = self._passage_session = self._open(self._onnx_path, threads)
        self.query_precision = query_precision
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        max_tokens = _read_json(model_dir / "sentence_bert_config.json").get("max_seq_length", 512)
        self._tokenizer.enable_truncation(max_length=max_tokens)
        pad_id = self._tokenizer.token_to_id("<pad>")
        self._pad_id = pad_id if pad_id is not None else 0
        prompts = _read_json(model_dir / "config_sentence_transformers.json").get("prompts") or {}
        self._query_prompt = prompts.get("query", "")
        self._passage_prompt = prompts.get("passage", "")
        self._batch_size = batch_size
        self.name = model_name(model_dir)
        self.dimension = int(self._query_session.get_outputs()[0].shape[-1])

    @staticmethod
    def _open(path: Path, threads: int | None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: onnxruntime's default, one per core
        options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _passages(self):
        with self._passage_session_lock:
            if self._passage_session is None:
                # Passages come in bulk (a build, a reload with new text), where every core
                # helps: ``threads`` is for the one short query a citizen waits on.
                self._passage_session = self._open(self._onnx_path, None)
            return self._passage_session

    def _encode(self, session, texts: Sequence[str], prompt: str) -> np.ndarray:
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch([prompt + text for text in texts])
        # Batches of similar lengths, as sentence-transformers does: padding a short passage to
        # the longest of a mixed batch costs time and memory (attention is quadratic in length).
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            input_ids = np.full((len(batch), width), self._pad_id, dtype=np.int64)
            attention_mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                ids = encodings[i].ids
                input_ids[row, : len(ids)] = ids
                attention_mask[row, : len(ids)] = 1
            vectors[batch] = session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
        return vectors

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(self._query_session, texts, self._query_prompt)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:  # nothing to embed must not load the fp32 graph
            return np.empty((0, self.dimension), dtype=np.float32)
        return self._encode(self._passages(), texts, self._passage_prompt)

"""Query encoding on onnxruntime: the same model as sentence-transformers, twice as fast on 2 cores.

Encoding the query is 95% of a search (``docs/retrieval.md``). On this machine torch encodes a
short question in ~31 ms on one thread, onnxruntime in ~14 ms, with the same vectors (cosine 1.0
to six places). sentence-transformers' own ONNX backend needs ``optimum``, which cannot be
installed beside transformers 5, so the graph is exported here, once, from a sentence-transformers
folder (transformer, mean pooling and L2 normalisation in one graph) and kept next to it.

:class:`OnnxEmbedder` reads the folder's own tokenizer, prompts and sequence limit, and names
itself like :class:`~retrieval._dense.SentenceTransformerEmbedder` over the same folder, so the
two share one embedding cache: switching backends re-embeds nothing.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._dense import model_name

log = logging.getLogger(__name__)

ONNX_FILENAME = "model.onnx"
_MARKER = "SOURCE.json"
_FORMAT = "wardbot.onnx-export/1"
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
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
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
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
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
    if _read_json(out_dir / _MARKER) != _expected_marker(model_dir) or not (out_dir / ONNX_FILENAME).is_file():
        log.info("exporting %s to ONNX once, into %s (takes about 10 s)", model_dir.name, out_dir)
        export_onnx(model_dir, out_dir)
    return out_dir / ONNX_FILENAME


class OnnxEmbedder:
    """An :class:`~retrieval._dense.Embedder` running an exported sentence-transformers model on
    onnxruntime, with the folder's tokenizer, ``query``/``passage`` prompts and length limit."""

    def __init__(self, model_dir: str | Path, *, threads: int | None = None, batch_size: int = 32):
        import onnxruntime
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        onnx_path = ensure_onnx_model(model_dir)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: onnxruntime's default, one per core
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
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
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
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
            vectors[batch] = self._session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
        return vectors

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)

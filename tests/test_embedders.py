"""Contract every embedder must meet, on the real e5 model: the torch (sentence-transformers) and
the onnxruntime backends give the same vectors, names and dimensions, so they share one cache."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from retrieval import EmbeddingCache, OnnxEmbedder, SentenceTransformerEmbedder, embed_passages, ensure_onnx_model

pytestmark = pytest.mark.slow

TEXTS = [
    "làm giấy khai sinh cho con cần gì",
    "dang ky tam tru o dau",
    "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất trong các trường hợp "
    "chuyển đổi, chuyển nhượng, cho thuê, cho thuê lại, thừa kế, tặng cho quyền sử dụng đất",
    "x",
    "cảm ơn 👍",
]


@pytest.fixture(scope="module")
def embedders(e5_model_dir):
    return {
        "torch": SentenceTransformerEmbedder(e5_model_dir, threads=1),
        "onnx": OnnxEmbedder(e5_model_dir, threads=1),
    }


@pytest.mark.parametrize("backend", ["torch", "onnx"])
@pytest.mark.parametrize("method", ["encode_queries", "encode_passages"])
def test_each_backend_gives_unit_vectors_batch_or_one_by_one(embedders, backend, method):
    encode = getattr(embedders[backend], method)
    batch = encode(TEXTS)
    assert batch.shape == (len(TEXTS), embedders[backend].dimension) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    # Padding a batch to its longest text must not change any vector.
    one_by_one = np.vstack([encode([text]) for text in TEXTS])
    assert (batch * one_by_one).sum(axis=1).min() > 0.9999
    assert encode([]).shape == (0, embedders[backend].dimension)


@pytest.mark.parametrize("method", ["encode_queries", "encode_passages"])
def test_the_backends_agree(embedders, method):
    torch_vectors = getattr(embedders["torch"], method)(TEXTS)
    onnx_vectors = getattr(embedders["onnx"], method)(TEXTS)
    assert (torch_vectors * onnx_vectors).sum(axis=1).min() > 0.9999


def test_queries_and_passages_are_prompted_differently(embedders):
    onnx = embedders["onnx"]
    assert (onnx.encode_queries(TEXTS[:1]) * onnx.encode_passages(TEXTS[:1])).sum() < 0.999


def test_the_backends_share_one_cache(embedders, tmp_path):
    assert embedders["torch"].name == embedders["onnx"].name
    assert embedders["torch"].dimension == embedders["onnx"].dimension == 384
    cache = EmbeddingCache(tmp_path / "vectors.sqlite3")
    _, embedded = embed_passages(embedders["torch"], TEXTS, cache)
    assert embedded == len(TEXTS)
    _, embedded = embed_passages(embedders["onnx"], TEXTS, cache)
    assert embedded == 0


def test_the_export_is_reused_and_redone_for_another_model(e5_model_dir, tmp_path):
    model = shutil.copytree(e5_model_dir, tmp_path / "model")
    onnx_path = ensure_onnx_model(model)
    assert onnx_path.parent == tmp_path / "model-onnx"  # beside the folder: its fingerprint stays
    built = onnx_path.stat().st_mtime_ns
    assert ensure_onnx_model(model).stat().st_mtime_ns == built
    # Another model in the same folder (here: another config) gets a fresh export.
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "note": "retrained"}))
    assert ensure_onnx_model(model).stat().st_mtime_ns != built


def test_models_the_graph_cannot_express_are_refused(e5_model_dir, tmp_path):
    model = shutil.copytree(e5_model_dir, tmp_path / "model")
    pooling = model / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps({**json.loads(pooling.read_text()), "pooling_mode": "cls"}))
    with pytest.raises(ValueError, match="mean pooling"):
        ensure_onnx_model(model)

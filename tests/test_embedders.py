"""Contract every embedder must meet, on the real e5 model: the torch (sentence-transformers) and
the onnxruntime backends give the same vectors, names and dimensions, so they share one cache.
The onnxruntime backend's int8 queries come close to them and rank the same; its passages are the
fp32 ones exactly."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from retrieval import (
    EmbeddingCache,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    embed_passages,
    ensure_onnx_int8_model,
    ensure_onnx_model,
)

pytestmark = pytest.mark.slow

TEXTS = [
    "làm giấy khai sinh cho con cần gì",
    "dang ky tam tru o dau",
    "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất trong các trường hợp "
    "chuyển đổi, chuyển nhượng, cho thuê, cho thuê lại, thừa kế, tặng cho quyền sử dụng đất",
    "x",
    "cảm ơn 👍",
]

# Questions and, at the same index, the passage that answers them.
QUESTIONS = [
    "làm giấy khai sinh cho con cần gì",
    "đăng ký tạm trú ở đâu",
    "thẻ căn cước hết hạn thì làm sao",
    "muốn đăng ký kết hôn thì làm thế nào",
    "bán đất thì phải đăng ký gì",
]
PASSAGES = [
    "Đăng ký khai sinh cho trẻ em: tờ khai, giấy chứng sinh, giấy tờ tùy thân của người đi đăng ký",
    "Đăng ký tạm trú: tờ khai thay đổi thông tin cư trú, giấy tờ chứng minh chỗ ở hợp pháp",
    "Cấp đổi thẻ căn cước khi hết hạn hoặc bị hỏng",
    "Đăng ký kết hôn tại Ủy ban nhân dân cấp xã",
    "Đăng ký biến động đất đai khi chuyển nhượng quyền sử dụng đất",
]


@pytest.fixture(scope="module")
def embedders(e5_model_dir):
    return {
        "torch": SentenceTransformerEmbedder(e5_model_dir, threads=1),
        "onnx": OnnxEmbedder(e5_model_dir, threads=1, query_precision="fp32"),
        "onnx-int8": OnnxEmbedder(e5_model_dir, threads=1),
    }


@pytest.mark.parametrize("backend", ["torch", "onnx", "onnx-int8"])
@pytest.mark.parametrize("method", ["encode_queries", "encode_passages"])
def test_each_backend_gives_unit_vectors_batch_or_one_by_one(embedders, backend, method):
    encode = getattr(embedders[backend], method)
    batch = encode(TEXTS)
    assert batch.shape == (len(TEXTS), embedders[backend].dimension) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    # Padding a batch to its longest text must not change any vector. Int8 queries move a little
    # (cosine ~0.996): activations are quantised with one scale per batch, padding included. A
    # search encodes its one query alone.
    same = 0.99 if (backend, method) == ("onnx-int8", "encode_queries") else 0.9999
    one_by_one = np.vstack([encode([text]) for text in TEXTS])
    assert (batch * one_by_one).sum(axis=1).min() > same
    assert encode([]).shape == (0, embedders[backend].dimension)


@pytest.mark.parametrize("method", ["encode_queries", "encode_passages"])
def test_the_backends_agree(embedders, method):
    torch_vectors = getattr(embedders["torch"], method)(TEXTS)
    onnx_vectors = getattr(embedders["onnx"], method)(TEXTS)
    assert (torch_vectors * onnx_vectors).sum(axis=1).min() > 0.9999


def test_int8_queries_stay_close_to_fp32_and_rank_the_same(embedders):
    int8, fp32 = embedders["onnx-int8"], embedders["onnx"]
    int8_queries = np.vstack([int8.encode_queries([q]) for q in QUESTIONS])
    fp32_queries = np.vstack([fp32.encode_queries([q]) for q in QUESTIONS])
    assert (int8_queries * fp32_queries).sum(axis=1).min() >= 0.98
    passages = fp32.encode_passages(PASSAGES)
    answers = list(range(len(QUESTIONS)))
    assert list((fp32_queries @ passages.T).argmax(axis=1)) == answers
    assert list((int8_queries @ passages.T).argmax(axis=1)) == answers


def test_int8_queries_leave_passages_on_the_fp32_graph(embedders):
    int8, fp32 = embedders["onnx-int8"], embedders["onnx"]
    assert np.array_equal(int8.encode_passages(PASSAGES + TEXTS), fp32.encode_passages(PASSAGES + TEXTS))
    assert int8.name == fp32.name == embedders["torch"].name  # one cache whatever the precision


def test_int8_holds_the_linear_layers_weights_only(e5_model_dir):
    import onnx

    graph = onnx.load(str(ensure_onnx_int8_model(e5_model_dir)), load_external_data=False).graph
    ops = [node.op_type for node in graph.node]
    assert ops.count("MatMulInteger") == 12 * 3  # attention output, intermediate, output
    # Left in float, as measured best: self-attention (query, key, value projections and the two
    # products of activations, five a layer) and the embedding table.
    float_matmuls = [node.name for node in graph.node if node.op_type == "MatMul"]
    assert len(float_matmuls) == 12 * 5 and all("/attention/self/" in name for name in float_matmuls)
    table = next(t for t in graph.initializer if t.name.endswith("word_embeddings.weight"))
    assert table.data_type == onnx.TensorProto.FLOAT


def test_the_fp32_graph_is_loaded_only_to_embed_passages(e5_model_dir):
    embedder = OnnxEmbedder(e5_model_dir, threads=1)
    embedder.encode_queries(QUESTIONS)
    embedder.encode_passages([])
    assert embedder._passage_session is None  # a search and a fully cached index need int8 only
    embedder.encode_passages(PASSAGES[:1])
    loaded = embedder._passage_session
    embedder.encode_passages(PASSAGES[1:])
    assert loaded is not None and embedder._passage_session is loaded


def test_queries_take_the_configured_threads_and_passages_every_core(e5_model_dir):
    # A citizen waits on one short query; passages come in bulk (a build, a reload).
    embedder = OnnxEmbedder(e5_model_dir, threads=1)
    embedder.encode_passages(PASSAGES[:1])
    assert embedder._query_session.get_session_options().intra_op_num_threads == 1
    assert embedder._passage_session.get_session_options().intra_op_num_threads == 0  # onnxruntime: one per core


def test_an_unknown_query_precision_is_refused(e5_model_dir):
    with pytest.raises(ValueError, match='"int8" or "fp32"'):
        OnnxEmbedder(e5_model_dir, query_precision="int4")


def test_queries_and_passages_are_prompted_differently(embedders):
    onnx = embedders["onnx"]
    assert (onnx.encode_queries(TEXTS[:1]) * onnx.encode_passages(TEXTS[:1])).sum() < 0.999


def test_the_backends_share_one_cache(embedders, tmp_path):
    assert embedders["torch"].name == embedders["onnx"].name == embedders["onnx-int8"].name
    assert embedders["torch"].dimension == embedders["onnx"].dimension == embedders["onnx-int8"].dimension == 384
    cache = EmbeddingCache(tmp_path / "vectors.sqlite3")
    _, embedded = embed_passages(embedders["torch"], TEXTS, cache)
    assert embedded == len(TEXTS)
    _, embedded = embed_passages(embedders["onnx"], TEXTS, cache)
    assert embedded == 0
    _, embedded = embed_passages(embedders["onnx-int8"], TEXTS, cache)
    assert embedded == 0


def test_the_export_and_its_int8_copy_are_reused_and_redone_when_stale(e5_model_dir, tmp_path, caplog):
    model = shutil.copytree(e5_model_dir, tmp_path / "model")
    onnx_path = ensure_onnx_model(model)
    assert onnx_path.parent == tmp_path / "model-onnx"  # beside the folder: its fingerprint stays
    built = onnx_path.stat().st_mtime_ns
    assert ensure_onnx_model(model).stat().st_mtime_ns == built

    with caplog.at_level(logging.INFO):
        int8_path = ensure_onnx_int8_model(model)
    assert int8_path == onnx_path.with_name("model.int8.onnx")
    assert "quantising" in caplog.text and "pre-processing" not in caplog.text
    assert sorted(p.name for p in onnx_path.parent.iterdir()) == ["SOURCE.json", "model.int8.onnx", "model.onnx"]
    quantised = int8_path.stat().st_mtime_ns
    assert ensure_onnx_int8_model(model).stat().st_mtime_ns == quantised
    assert ensure_onnx_model(model).stat().st_mtime_ns == built  # the int8 entry leaves the export valid
    # A marker that does not vouch for the int8 copy (another recipe, another graph) remakes it.
    marker_path = onnx_path.parent / "SOURCE.json"
    marker = json.loads(marker_path.read_text())
    marker_path.write_text(json.dumps({**marker, "int8": {**marker["int8"], "format": "wardbot.onnx-int8/0"}}))
    assert ensure_onnx_int8_model(model).stat().st_mtime_ns != quantised
    assert json.loads(marker_path.read_text()) == marker

    # Another model in the same folder (here: another config) gets a fresh export, without the
    # old model's int8 copy.
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "note": "retrained"}))
    assert ensure_onnx_model(model).stat().st_mtime_ns != built
    assert not int8_path.exists() and "int8" not in json.loads(marker_path.read_text())


def test_models_the_graph_cannot_express_are_refused(e5_model_dir, tmp_path):
    model = shutil.copytree(e5_model_dir, tmp_path / "model")
    pooling = model / "1_Pooling" / "config.json"
    pooling.write_text(json.dumps({**json.loads(pooling.read_text()), "pooling_mode": "cls"}))
    with pytest.raises(ValueError, match="mean pooling"):
        ensure_onnx_model(model)

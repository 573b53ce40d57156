"""Foreign-party procedures: told apart by name, held back unless the question names a foreign party."""

import pytest

from retrieval import Retriever, RetrieverSettings, SearchDoc
from retrieval._scope import has_foreign_twin, is_foreign_procedure, mentions_foreign


@pytest.mark.parametrize(
    "text",
    [
        "kết hôn với người nước ngoài cần giấy tờ gì",
        "chong toi nguoi han song o viet nam 7 nam",
        "vc e đk kết hôn bên Úc r",
        "Tôi là Việt kiều, muốn nhập quốc tịch",
        "con sinh ở Nhật Bản về nước đăng ký",
        "nha co khach tay den o",
        "con sang Lào làm việc",
        "xóa thường trú cho người đã định cư ở nước ngoài",
    ],
)
def test_foreign_parties_are_recognised_with_or_without_diacritics(text):
    assert mentions_foreign(text)


@pytest.mark.parametrize(
    "text",
    [
        "người lao động nghỉ việc hưởng bảo hiểm",  # "lao" of lao động is not Laos
        "người anh trai của tôi",  # "anh" is a brother here
        "bố mẹ tôi ở trung tâm bảo trợ",
        "đăng ký khai sinh cho con",
        "gia hạn giấy phép",  # "hạn" folds to "han" without being Korean
    ],
)
def test_domestic_questions_name_no_foreign_party(text):
    assert not mentions_foreign(text)


def test_foreign_procedures_are_known_by_their_name():
    assert is_foreign_procedure("Thủ tục đăng ký khai sinh có yếu tố nước ngoài")
    assert is_foreign_procedure("Xóa đăng ký thường trú cho người định cư ở nước ngoài")
    assert not is_foreign_procedure("Thủ tục đăng ký khai sinh")


def _scores(retriever, query):
    return {hit.doc_id: hit.score for hit in retriever.search(query).hits}


def test_twins_are_held_back_by_whether_the_question_names_a_foreign_party(hashing_embedder):
    docs = [
        SearchDoc("1.000894", "Thủ tục đăng ký kết hôn"),
        SearchDoc("2.000806", "Thủ tục đăng ký kết hôn có yếu tố nước ngoài"),
    ]
    held_back = Retriever(docs, hashing_embedder, settings=RetrieverSettings(foreign_penalty=0.3))
    neutral = Retriever(docs, hashing_embedder, settings=RetrieverSettings(foreign_penalty=0.0))

    domestic = "đăng ký kết hôn ở đâu"
    assert _scores(held_back, domestic)["2.000806"] == pytest.approx(_scores(neutral, domestic)["2.000806"] - 0.3)
    assert _scores(held_back, domestic)["1.000894"] == pytest.approx(_scores(neutral, domestic)["1.000894"])

    foreign = "đăng ký kết hôn với người Nhật ở đâu"
    assert _scores(held_back, foreign)["1.000894"] == pytest.approx(_scores(neutral, foreign)["1.000894"] - 0.3)
    assert _scores(held_back, foreign)["2.000806"] == pytest.approx(_scores(neutral, foreign)["2.000806"])


def test_domestic_twins_are_found_by_name():
    titles = [
        "Thủ tục đăng ký kết hôn",
        "Thủ tục đăng ký kết hôn có yếu tố nước ngoài",
        "Thủ tục đăng ký khai sinh",  # no foreign twin listed
        "Cấp hộ chiếu phổ thông",
        "Cấp hộ chiếu phổ thông cho người Việt Nam ở nước ngoài",
    ]
    assert has_foreign_twin(titles) == [True, False, False, True, False]

"""What citizens read never shows the project's insides: internal paths, notes or raw markup,
whatever they ask and whichever entry of the bundled knowledge base answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.engines import build_engine, make_dialogue, ticket_desk

from bot._search import bundled_kb_path
from bot.testing import DialogueTester
from handlers import details_reply, plain_text
from handlers._intent import more_data
from knowledge import load_knowledge_base
from retrieval import Decision
from tickets import TicketDesk

# What only the developers' side uses: the seed documents, the domain notes, the shared data
# folders, file names, Markdown markers.
INTERNAL = re.compile(r"seeds?/|domain\.md|dvcqg-ministries|shared/|data/|\.md\b|\.jsonl|bot\.toml|\*\*")

QUESTIONS = [
    "làm giấy khai sinh cho con cần gì", "dang ky tam tru o dau", "lệ phí đăng ký kết hôn bao nhiêu",
    "tổng đài 1022 là gì", "vneid mức 2 làm thế nào", "quên mật khẩu vneid", "mất điện thoại thì vneid sao",
    "hồ sơ trễ hẹn có phiếu xin lỗi không", "chỉ số sipas là gì", "bộ phận một cửa ở đâu",
    "giờ làm việc của phường", "chứng thực bản sao ở phường", "nộp hồ sơ sau 15 giờ được không",
    "phản ánh kiến nghị gửi ở đâu", "khiếu nại gửi ở đâu", "tố cáo cán bộ thì sao", "bản sao điện tử là gì",
    "thanh toán lệ phí online", "tra cứu tình trạng hồ sơ", "ủy quyền làm thủ tục", "trẻ em dưới 14 tuổi vneid",
    "cmnd cũ còn dùng được không", "thủ tục trước đây ở quận giờ làm ở đâu", "chính quyền hai cấp là gì",
    "công an phường hay ubnd phường", "nộp hồ sơ ở phường khác được không", "giấy tờ trên vneid thay bản giấy",
    "chatbot lưu thông tin gì", "có nên gửi ảnh căn cước qua chat không", "quyền về dữ liệu cá nhân",
    "dịch vụ công toàn trình là gì", "hồ sơ cần bổ sung thì sao", "quá hẹn chưa có kết quả",
    "trung tâm phục vụ hành chính công", "đánh giá sự hài lòng", "gặp cán bộ phường",
    "mang theo giấy tờ gì khi làm thủ tục", "cách tính thời hạn giải quyết", "ngày nghỉ tết thời hạn",
    "phiếu hẹn trả kết quả", "ứng dụng phản ánh của thành phố", "đăng nhập dịch vụ công bằng vneid",
    "vneid bị khóa", "ứng dụng vneid báo lỗi", "đăng ký vneid mức 1", "hỗ trợ dùng dịch vụ công trực tuyến",
    "đăng ký thường trú cho con", "xác nhận tình trạng hôn nhân", "cấp lại căn cước bị mất", "đăng ký khai tử",
]  # fmt: skip


@pytest.fixture(scope="module")
def sample_kb():
    return load_knowledge_base([bundled_kb_path()])


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[TicketDesk]:
    with ticket_desk(tmp_path) as desk:
        yield desk


def test_the_questions_are_fifty() -> None:
    assert len(QUESTIONS) == len(set(QUESTIONS)) == 50


@async_test
async def test_no_reply_to_fifty_questions_shows_anything_internal(sample_kb, hashing_embedder, desk) -> None:
    engine = build_engine(hashing_embedder, sample_kb.entries(), decision=Decision.ANSWER)
    bot = DialogueTester(make_dialogue(engine, desk))
    for question in QUESTIONS:
        await bot.push(question)
        reply = bot.pop()
        assert not INTERNAL.search(plain_text(reply.text)), (question, reply.text)
        await bot.push(callback_data=more_data(engine.retriever.search(question).hits[0].doc_id))
        details = bot.pop()
        assert not INTERNAL.search(plain_text(details.text)), (question, details.text)


def test_no_entry_of_the_bundled_kb_shows_anything_internal_in_full(sample_kb) -> None:
    for entry in sample_kb.entries():
        shown = plain_text(details_reply(entry, ward_name="Phường Mẫu").text)
        assert not INTERNAL.search(shown), (entry.entry_id, INTERNAL.search(shown))

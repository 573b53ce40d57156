"""The procedure card, its sections and FAQ answers, rendered from real portal data."""

from __future__ import annotations

import dataclasses
import string

import pytest
from handlers_support import APOLOGY_FAQ, BANK_BRANCH, KHAI_SINH, TAM_TRU_RECORD, VNEID_FAQ, WARD_NAME, tam_tru

from handlers import Section, answer_reply, details_reply, procedure_card, procedure_sections
from handlers import _catalogue as catalogue
from handlers._intent import more_data, vote_data
from knowledge import LegalBasis


def card_of(procedure):
    return procedure_card(procedure, ward_name=WARD_NAME)


def section(procedure, *sections: Section) -> str:
    return procedure_sections(procedure, sections, ward_name=WARD_NAME).text


def test_the_card_of_a_real_portal_record() -> None:
    card = card_of(tam_tru())
    assert card.text.startswith("📋 Đăng ký tạm trú\nMã thủ tục: 1.004194 · Lĩnh vực: Đăng ký, quản lý cư trú")
    # Documents with their counts; the portal's explanatory rows are left for "Xem thêm".
    assert "Tờ khai thay đổi thông tin cư trú (Mẫu CT01" in card.text
    assert "— 1 bản chính\n" in card.text
    assert "— 1 bản chính, 1 bản sao" in card.text
    assert "Ví dụ:" not in card.text
    assert "… và 3 mục khác (chọn «Xem thêm»)" in card.text
    # Time and fee for each way of filing, with amounts written the Vietnamese way.
    assert "• Trực tuyến: 3 ngày làm việc · 7.000 đồng" in card.text
    assert "• Trực tiếp: 3 ngày làm việc · 10.000 đồng" in card.text
    # Where: the commune police, as the portal says; no service-centre rule for police procedures.
    assert "Cơ quan giải quyết (theo Cổng Dịch vụ công): Công an cấp xã" in card.text
    assert "Trung tâm Phục vụ hành chính công" not in card.text
    # Legal basis, the law first; source and update.
    assert "⚖️ Căn cứ pháp lý: Luật Cư trú 2020 (số 68/2020/QH14), 154/2024/NĐ-CP" in card.text
    assert "và 8 văn bản khác" in card.text
    assert (
        "ℹ️ Nguồn: Cổng Dịch vụ công quốc gia, công bố tại Quyết định 9354/QĐ-BCA-C06 · Cập nhật: chưa ghi ngày"
        in card.text
    )
    assert len(card.text) < 1500  # a phone screen or two, not a page


def test_the_card_buttons_file_online_show_more_and_vote() -> None:
    card = card_of(tam_tru())
    link, more, (up, down) = card.buttons
    assert (link[0].label, link[0].url) == (catalogue.FILE_ONLINE_BUTTON, TAM_TRU_RECORD["detail_url"])
    assert more[0].data == more_data("1.004194")
    assert (up.data, down.data) == (vote_data("1.004194", True), vote_data("1.004194", False))
    # Without buttons the choices read as numbered lines and the link is spelt out.
    plain = card.as_plain_text()
    assert f"🔗 {catalogue.FILE_ONLINE_BUTTON}: {TAM_TRU_RECORD['detail_url']}" in plain
    numbered = [f"1. {catalogue.MORE_BUTTON}", f"2. {catalogue.HELPFUL_BUTTON}", f"3. {catalogue.NOT_HELPFUL_BUTTON}"]
    assert plain.splitlines()[-3:] == numbered


def test_ways_of_filing_that_share_time_and_fee_share_a_line() -> None:
    card = card_of(KHAI_SINH)
    # The portal gives a bare "1": shown as given, never with a guessed unit.
    assert "• Trực tuyến / Qua bưu chính / Trực tiếp: 1 (Cổng Dịch vụ công không ghi đơn vị) · Miễn phí" in card.text
    assert "Cập nhật: 01/07/2025" in card.text


def test_a_ward_procedure_can_be_filed_at_any_service_centre_in_the_province() -> None:
    where = section(KHAI_SINH, Section.WHERE)
    assert f"Trung tâm Phục vụ hành chính công {WARD_NAME};" in where
    assert "bất kỳ xã, phường nào trong tỉnh, thành phố" in where
    assert "Nộp trực tuyến" in where


def test_a_provincial_procedure_is_not_sent_to_the_ward() -> None:
    where = section(BANK_BRANCH, Section.WHERE)
    assert "Trung tâm Phục vụ hành chính công" not in where
    assert "Ngân hàng Nhà nước Khu vực" in where
    assert "thuộc thẩm quyền cấp tỉnh, không do xã, phường giải quyết" in where


def test_a_procedure_another_body_handles_is_filed_with_that_body() -> None:
    keeper = dataclasses.replace(
        KHAI_SINH, levels=("Cấp tỉnh", "Cấp xã"), implementing_agencies="Cơ quan, tổ chức đang quản lý sổ gốc"
    )
    where = section(keeper, Section.WHERE)
    assert "Trung tâm Phục vụ hành chính công" not in where
    assert "Cơ quan, tổ chức đang quản lý sổ gốc" in where


def test_fee_time_and_documents_sections() -> None:
    procedure = tam_tru()
    fee = section(procedure, Section.FEE)
    assert fee.startswith("📋 Đăng ký tạm trú\n\n💰 Lệ phí:")
    # The fee sections keep the portal's note on who pays what.
    assert "• Trực tuyến: 7.000 đồng (- Đăng ký tạm trú (cá nhân, hộ gia đình)" in fee
    assert "• Trực tuyến / Trực tiếp: 3 ngày làm việc" in section(procedure, Section.TIME)
    documents = section(procedure, Section.DOCUMENTS)
    assert "Đăng ký tạm trú theo danh sách, hồ sơ gồm:" in documents
    assert "  – Ví dụ: Trường hợp giấy tờ" in documents  # notes appear in the full list
    assert "Mã thủ tục" not in fee  # a section, not the card again


def test_online_section_says_yes_with_time_and_fee_or_says_how_else() -> None:
    online = section(tam_tru(), Section.ONLINE)
    assert "nộp trực tuyến được" in online and "• Thời gian: 3 ngày làm việc" in online
    offline = procedure_sections(BANK_BRANCH, (Section.ONLINE,), ward_name=WARD_NAME)
    assert "chưa nộp trực tuyến được" in offline.text
    assert "Qua bưu chính / Trực tiếp" in offline.text
    assert offline.buttons[0][0].label == catalogue.PORTAL_BUTTON


def test_legal_section_lists_every_document_laws_first() -> None:
    legal = section(tam_tru(), Section.LEGAL).splitlines()
    assert legal[3:5] == [
        "• Luật Cư trú 2020 (số 68/2020/QH14)",
        "• Nghị định quy định chi tiết một số điều và biện pháp thi hành Luật Cư trú (số 154/2024/NĐ-CP)",
    ]
    assert len([line for line in legal if line.startswith("• ")]) == 11
    assert "• Nghị định số 123/2015/NĐ-CP quy định chi tiết Luật Hộ tịch" in section(KHAI_SINH, Section.LEGAL)


def test_several_sections_at_once_and_missing_ones() -> None:
    without_legal = dataclasses.replace(KHAI_SINH, legal_basis=())
    both = section(without_legal, Section.FEE, Section.LEGAL)
    assert "💰 Lệ phí:\n• Trực tuyến / Qua bưu chính / Trực tiếp: Miễn phí" in both
    assert both.endswith(catalogue.SECTION_EMPTY)


def test_raw_portal_text_is_shown_when_the_parser_could_not_structure_it() -> None:
    unparsed = dataclasses.replace(KHAI_SINH, documents=(), raw={"thanh_phan_ho_so": "Tờ khaiMẫu.doc1 bản chính"})
    documents = section(unparsed, Section.DOCUMENTS)
    assert "(Nguyên văn trên Cổng Dịch vụ công) Tờ khaiMẫu.doc1 bản chính" in documents


def test_details_show_everything() -> None:
    details = details_reply(tam_tru(), ward_name=WARD_NAME)
    assert "📝 Các bước thực hiện:\n1. " in details.text
    assert "Đối với Công an nhân dân: Giấy giới thiệu" in details.text  # the last document
    assert "Nộp hồ sơ trực tiếp tại Công an cấp xã." in details.text  # a way of filing's description
    assert catalogue.MORE_BUTTON not in [b.label for b in details.choice_buttons]


def test_faq_answer() -> None:
    reply = answer_reply(VNEID_FAQ, ward_name=WARD_NAME)
    assert reply.text.startswith(f"❓ {VNEID_FAQ.question}\n\nAnh/chị mang thẻ căn cước")
    assert "⚖️ Căn cứ: 69/2024/NĐ-CP" in reply.text
    assert "ℹ️ Nguồn: Công an cấp xã · Cập nhật: 01/08/2025" in reply.text
    assert [b.data for b in reply.choice_buttons] == [vote_data("vneid-muc-2", True), vote_data("vneid-muc-2", False)]
    # An FAQ the ward wrote without naming a source is the ward's.
    assert f"ℹ️ Nguồn: {WARD_NAME} · Cập nhật: chưa ghi ngày" in answer_reply(APOLOGY_FAQ, ward_name=WARD_NAME).text


def test_a_long_faq_answer_is_shortened_with_more() -> None:
    long = dataclasses.replace(
        VNEID_FAQ, answer="Bước một. " * 150, legal_basis=(LegalBasis("Luật Căn cước", "26/2023/QH15"),)
    )
    short = answer_reply(long, ward_name=WARD_NAME)
    assert "…" in short.text and len(short.text) < 1000
    assert short.choice_buttons[0].data == more_data("vneid-muc-2")
    full = details_reply(long, ward_name=WARD_NAME)
    assert full.text.count("Bước một.") == 150
    assert "⚖️ Căn cứ pháp lý:\n• Luật Căn cước (số 26/2023/QH15)" in full.text


def test_a_shortened_faq_answer_keeps_its_paragraphs_and_lists() -> None:
    items = "\n".join(f"- **Trường hợp {n}**: mang giấy tờ số {n} đến Bộ phận Một cửa." for n in range(30))
    long = dataclasses.replace(VNEID_FAQ, answer=f"Tùy trường hợp:\n\n{items}")
    short = answer_reply(long, ward_name=WARD_NAME).text
    assert "Tùy trường hợp:\n\n- **Trường hợp 0**: mang" in short
    assert "\n- **Trường hợp 10**: mang giấy tờ số 10 đến Bộ phận Một cửa.\n…\n\n⚖️" in short  # whole lines


def test_catalogue_placeholders_are_known() -> None:
    """Every template only asks for values the handlers supply, so none fails at run time."""
    known = {
        "ward_name", "ward_contact", "question", "name", "code", "field", "group", "text", "count", "n",
        "channels", "time", "fee", "agency", "levels", "items", "label", "issued", "number", "source",
        "updated", "decision", "value", "channel",
        # the officials' group texts (bot._officials)
        "category", "summary", "place", "latitude", "longitude", "assignee", "late", "error", "action",
        "reason", "date",
        # the compliance report (bot._report)
        "period", "first", "last", "received", "closed", "open", "rate", "on_time", "due", "p50", "p95", "mean",
        "messages", "outcomes", "undelivered", "latency", "helpful", "votes", "dimension",
    }  # fmt: skip
    templates = {name: value for name, value in vars(catalogue).items() if name.isupper() and isinstance(value, str)}
    assert len(templates) > 80
    for name, template in templates.items():
        fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        assert fields <= known, (name, fields - known)


@pytest.mark.parametrize("name", ["GREETING", "HELP", "ABSTAIN", "FEEDBACK_RECORDED", "GRIEVANCE", "SENT"])
def test_citizen_text_addresses_anh_chi(name: str) -> None:
    assert "anh/chị" in getattr(catalogue, name).lower()

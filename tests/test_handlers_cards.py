"""The procedure card, its sections and FAQ answers, rendered from real portal data."""

from __future__ import annotations

import dataclasses
import json
import string
from functools import cache
from pathlib import Path

import pytest
from fakes.engines import APOLOGY_FAQ, BANK_BRANCH, KHAI_SINH, TAM_TRU_RECORD, VNEID_FAQ, WARD_NAME, tam_tru

from handlers import Section, answer_reply, details_reply, procedure_card, procedure_sections
from handlers import _catalogue as catalogue
from handlers._cards import TITLE_CHARS, choice_titles, entry_title
from handlers._intent import more_data, section_data, vote_data
from knowledge import LegalBasis, Procedure, parse_portal_record

SAMPLE = Path(__file__).parent / "data" / "portal_sample.jsonl"


@cache
def portal(code: str) -> Procedure:
    """A procedure parsed from its real record in tests/data/portal_sample.jsonl."""
    with SAMPLE.open(encoding="utf-8") as lines:
        record = next(record for record in map(json.loads, lines) if record["ma_thu_tuc"] == code)
    return parse_portal_record(record).procedure


def card_of(procedure):
    return procedure_card(procedure, ward_name=WARD_NAME)


def section(procedure, *sections: Section) -> str:
    return procedure_sections(procedure, sections, ward_name=WARD_NAME).text


def test_the_card_of_a_real_portal_record() -> None:
    card = card_of(tam_tru())
    assert card.text.startswith("📋 Đăng ký tạm trú\nMã thủ tục: 1.004194 · Lĩnh vực: Đăng ký, quản lý cư trú")
    # Documents with their counts, the form first; the portal's explanatory rows are left for
    # "Xem thêm"; the other cases (a list of people, military units) as one line each.
    documents = card.text.split("📄 Giấy tờ cần chuẩn bị:\n")[1].split("\n\n")[0].splitlines()
    assert documents[:2] == [
        "Hồ sơ đăng ký tạm trú:",
        "• Tờ khai thay đổi thông tin cư trú (Mẫu CT01 ban hành kèm theo Thông tư số… — 1 bản chính",
    ]
    assert documents[3:5] == ["Chỉ cần trong một số trường hợp:", "• Đăng ký tạm trú theo danh sách — 2 giấy tờ"]
    assert "Ví dụ:" not in card.text
    assert documents[-1] == catalogue.DOCUMENTS_CASES_HINT
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
    # The portal gives a bare "1" and this abridged record says nothing more: no guessed unit.
    assert (
        "• Trực tuyến / Qua bưu chính / Trực tiếp: «1» (Cổng Dịch vụ công chỉ ghi con số, không ghi là ngày hay giờ)"
        " · Miễn phí" in card.text
    )
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
    assert "• Trực tuyến: 7.000 đồng (ghi chú trên Cổng Dịch vụ công: Đăng ký tạm trú (cá nhân, hộ gia đình)" in fee
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


def test_details_show_the_overview_and_offer_the_long_parts_as_buttons() -> None:
    details = details_reply(tam_tru(), ward_name=WARD_NAME)
    assert "Nộp hồ sơ trực tiếp tại Công an cấp xã." in details.text  # a way of filing's description
    assert "📦 Kết quả nhận được:" in details.text
    assert details.text.endswith(catalogue.DETAILS_PICK)
    # The long parts wait behind their buttons, with how many items each holds.
    assert "📝 Các bước thực hiện:" not in details.text and "Đối với Công an nhân dân" not in details.text
    assert [(b.label, b.data) for b in details.choice_buttons] == [
        ("📄 Giấy tờ (7)", section_data("1.004194", Section.DOCUMENTS)),
        ("📝 Các bước (5)", section_data("1.004194", Section.STEPS)),
        ("⚖️ Căn cứ pháp lý (11)", section_data("1.004194", Section.LEGAL)),
        (catalogue.HELPFUL_BUTTON, vote_data("1.004194", True)),
        (catalogue.NOT_HELPFUL_BUTTON, vote_data("1.004194", False)),
    ]
    assert catalogue.MORE_BUTTON not in [b.label for b in details.choice_buttons]
    # The building permit's overview is a screen or two instead of about 16,000 characters.
    permit = portal("1.013225")
    everything = len(section(permit, Section.DOCUMENTS, Section.STEPS, Section.CONDITIONS, Section.LEGAL))
    assert len(details_reply(permit, ward_name=WARD_NAME).text) < 4000 < everything


def test_a_long_part_comes_with_buttons_for_the_others() -> None:
    steps = procedure_sections(tam_tru(), (Section.STEPS,), ward_name=WARD_NAME)
    assert steps.text.startswith("📋 Đăng ký tạm trú\n\n📝 Các bước thực hiện:\n1. Bước 1: Cá nhân, tổ chức")
    assert [b.data for b in steps.choice_buttons][:2] == [
        section_data("1.004194", Section.DOCUMENTS),
        section_data("1.004194", Section.LEGAL),
    ]
    documents = procedure_sections(tam_tru(), (Section.DOCUMENTS,), ward_name=WARD_NAME).text
    assert "Đối với Công an nhân dân: Giấy giới thiệu" in documents  # the last document
    conditions = dataclasses.replace(KHAI_SINH, conditions="Người yêu cầu là cha hoặc mẹ của trẻ.")
    assert "✅ Yêu cầu, điều kiện:\nNgười yêu cầu là cha hoặc mẹ của trẻ." in section(conditions, Section.CONDITIONS)
    assert "✅ Điều kiện" in [b.label for b in details_reply(conditions, ward_name=WARD_NAME).choice_buttons]


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


# --- what the record says: fees, times, cases, documents, choices ----------------------------------


def method_lines(card_text: str) -> list[str]:
    return card_text.split(catalogue.METHODS_HEADING + "\n")[1].split("\n\n")[0].splitlines()


def test_a_fee_the_province_sets_is_never_shown_as_free() -> None:
    # Khai tử: the portal's fee cell says "Miễn phí", its note that the provincial council sets the
    # fee and that only a death registered on time (and some people) is exempt.
    death = portal("1.000656")
    assert {method.fee.split(" (")[0] for method in death.methods} == {"Miễn phí"}
    lines = method_lines(card_of(death).text)
    assert lines[0].endswith(f" · {catalogue.FEE_PROVINCE}")
    assert lines[1].startswith("  ↳ Miễn lệ phí đối với trường hợp đăng ký khai tử đúng hạn, người thuộc gia đình")
    assert "Miễn phí" not in "\n".join(lines)
    # The fee follow-up and the online follow-up say the same, with the whole note.
    fee = section(death, Section.FEE)
    assert f"• Trực tuyến / Qua bưu chính / Trực tiếp: {catalogue.FEE_PROVINCE} (ghi chú trên Cổng" in fee
    assert "Miễn phí" not in fee
    assert f"• Lệ phí: {catalogue.FEE_PROVINCE}" in section(death, Section.ONLINE)


def test_a_fee_halved_for_a_period_says_so_on_the_card() -> None:
    # Cấp đổi thẻ căn cước: 50.000 đồng, halved from 01/7/2025 to 31/12/2026; the note also lists
    # the earlier period that ended on 31/12/2025, which the later one replaces.
    lines = method_lines(card_of(portal("1.014063")).text)
    assert lines[:2] == [
        "• Trực tiếp / Trực tuyến: 7 ngày làm việc · 50.000 đồng",
        "  ↳ Kể từ ngày 01/7/2025 đến hết ngày 31/12/2026 mức thu lệ phí cấp đổi, cấp lại thẻ căn cước bằng 50%"
        " mức thu nêu trên (theo 64/2025/TT-BTC). Cấp đổi thẻ căn cước đối với…",
    ]
    assert "31/12/2025" not in "\n".join(lines)


@pytest.mark.parametrize(
    ("fee", "headline", "note"),
    [
        # Real fee cells of the portal (procedures 1.012575, 1.011672, 1.009822, 2.000748 and 1.004222).
        (
            "Miễn phí (Theo quy định của Hội đồng nhân dân cấp tỉnh)",
            catalogue.FEE_PROVINCE,
            "",
        ),
        (
            "Miễn phí (Thông tư số 60/2023/TT-BTC ngày 07/9/2023 của Bộ Tài chính quy định mức thu, chế độ thu, nộp,"
            " quản lý lệ phí đăng ký, cấp biển số phương tiện giao thông cơ giới đường bộ.)",
            "chưa rõ: Cổng Dịch vụ công ghi «Miễn phí» nhưng dẫn Thông tư số 60/2023/TT-BTC",
            "",
        ),
        (
            "Miễn phí (* Theo quy định tại Thông tư 25/2022/TT-BTC ngày 28/4/2022: 01 triệu đồng/lần cấp. * Theo quy"
            " định tại Thông tư 64/2025/TT-BTC ngày 30/6/2025 (kể từ ngày 01/7/2025 đến hết ngày 31/12/2026): 500.000"
            " đồng/lần cấp.)",
            catalogue.FEE_UNCLEAR_AMOUNT,
            "Theo quy định tại Thông tư 64/2025/TT-BTC ngày 30/6/2025 (kể từ ngày 01/7/2025 đến hết ngày"
            " 31/12/2026): 500.000 đồng/lần cấp. Theo quy định tại Thông tư 25/2022/TT-BTC…",
        ),
        (
            "Miễn phí (Phí cấp bản sao Trích lục đăng ký giám hộ (nếu có yêu cầu) thực hiện theo quy định tại Thông tư"
            " số 281/2016/TT-BTC ngày 14/11/2016 của Bộ Tài chính.)",
            "Miễn phí",
            "Phí cấp bản sao Trích lục đăng ký giám hộ (nếu có yêu cầu) (theo 281/2016/TT-BTC)",
        ),
        ("Miễn phí (Không quy định.)", "Miễn phí", ""),
        ("500,000 Việt Nam Đồng (/hồ sơ)", "500.000 đồng/hồ sơ", ""),
    ],
)
def test_what_a_fee_note_adds_on_the_card(fee: str, headline: str, note: str) -> None:
    procedure = dataclasses.replace(KHAI_SINH, methods=(dataclasses.replace(KHAI_SINH.methods[0], fee=fee),))
    lines = method_lines(card_of(procedure).text)
    assert lines[0].endswith(f" · {headline}")
    assert lines[1:] == ([f"  ↳ {note}"] if note else [])


def test_a_bare_time_gets_its_unit_from_the_record_or_says_it_has_none() -> None:
    # Khai tử: "1", and the steps say a dossier received after 15:00 is answered "trong ngày làm
    # việc tiếp theo". The abridged khai sinh says nothing of the kind: the number alone, said so.
    death = method_lines(card_of(portal("1.000656")).text)[0]
    assert death.startswith(
        "• Trực tuyến / Qua bưu chính / Trực tiếp: 1 ngày làm việc (Cổng Dịch vụ công chỉ ghi «1»; đơn vị theo"
        " trình tự thực hiện của thủ tục)"
    )
    assert "«1» (Cổng Dịch vụ công chỉ ghi con số, không ghi là ngày hay giờ)" in section(KHAI_SINH, Section.TIME)
    # A unit found in the way of filing's own description wins; two different units give none.
    described = dataclasses.replace(
        KHAI_SINH.methods[0], description="Trả kết quả trong thời hạn 01 ngày làm việc kể từ khi nhận hồ sơ."
    )
    ambiguous = dataclasses.replace(described, description="Trong 01 ngày làm việc, hoặc 01 tháng nếu cần xác minh.")
    for method, expected in ((described, "1 ngày làm việc (Cổng Dịch vụ công chỉ ghi «1»; đơn vị theo phần mô"),
                             (ambiguous, "«1» (Cổng Dịch vụ công chỉ ghi con số")):  # fmt: skip
        assert expected in card_of(dataclasses.replace(KHAI_SINH, methods=(method,))).text


def test_two_online_rows_are_told_apart_by_the_case_the_record_names() -> None:
    # Xác nhận thông tin về cư trú (form CT07): "Trực tuyến" twice, 1 day when the information is in
    # the national population database, 3 when it must be checked.
    residence = portal("1.010041")
    expected = [
        "• Trực tuyến (trường hợp thông tin có trong Cơ sở dữ liệu quốc gia về dân cư): 1 ngày làm việc · Miễn phí",
        "• Trực tuyến (trường hợp cần xác minh): 3 ngày làm việc · Miễn phí",
    ]
    assert method_lines(card_of(residence).text) == expected
    assert section(residence, Section.TIME).splitlines()[3:] == [
        "• Trực tuyến (trường hợp thông tin có trong Cơ sở dữ liệu quốc gia về dân cư): 1 ngày làm việc",
        "• Trực tuyến (trường hợp cần xác minh): 3 ngày làm việc",
    ]
    # Rows of one channel that share time and fee need no case.
    assert method_lines(card_of(tam_tru()).text)[0] == "• Trực tuyến: 3 ngày làm việc · 7.000 đồng"


def test_papers_everyone_needs_come_first_and_conditional_ones_after() -> None:
    # Khai sinh as the portal lists it: the declaration last, "trẻ em bị bỏ rơi" first.
    lines = card_of(portal("1.001193")).text.split("📄 Giấy tờ cần chuẩn bị:\n")[1].split("\n\n")[0].splitlines()
    assert lines[0].startswith("• Tờ khai đăng ký khai sinh theo mẫu")
    assert lines[2:4] == ["Giấy tờ phải nộp:", lines[3]] and lines[3].startswith("• Giấy chứng sinh")
    conditional = lines.index(catalogue.DOCUMENTS_CONDITIONAL)
    assert any(line.startswith("• Trường hợp trẻ em bị bỏ rơi") for line in lines[conditional:])
    assert not any("Trường hợp" in line.split("—")[0][:20] for line in lines[:conditional])


def test_a_record_with_cases_lists_the_cases_not_another_case_s_papers() -> None:
    # The building permit: seven lists, one per kind of building; a house is case (1.7).
    permit = portal("1.013225")
    lines = card_of(permit).text.split("📄 Giấy tờ cần chuẩn bị:\n")[1].split("\n\n")[0].splitlines()
    assert lines[0] == catalogue.DOCUMENTS_CASES.format(count=7)
    assert lines[1] == "• (1.1) Đối với công trình không theo tuyến — 6 giấy tờ"
    assert lines[7] == "• (1.7) Đối với công trình nhà ở riêng lẻ — 6 giấy tờ"
    assert lines[8:] == [catalogue.DOCUMENTS_CASES_HINT]
    assert "Giấy chứng nhận quyền sử dụng đất" not in card_of(permit).text
    # The full list keeps each case's papers together under its heading, the application first.
    documents = section(permit, Section.DOCUMENTS).splitlines()
    house = documents.index("(1.7) Đối với công trình nhà ở riêng lẻ:")
    assert documents[house + 1].startswith("• Đơn đề nghị cấp giấy phép")
    assert documents[1:3] == ["", catalogue.DOCUMENTS_HEADING]
    assert len(documents) == 3 + 7 + 53  # name, blank line, heading; 7 case headings, 53 papers


def test_choice_labels_show_what_tells_the_choices_apart() -> None:
    # Two customs procedures whose names differ after 60 characters read the same when cut there.
    traders, residents = portal("1.008001"), portal("1.008002")
    assert entry_title(traders) == entry_title(residents)
    assert choice_titles([traders, residents]) == [
        "Thủ tục hải quan… của thương nhân qua cửa khẩu biên giới",
        "Thủ tục hải quan đối với hàng hóa xuất… của cư dân biên giới",
    ]
    # Same name, two levels: the level that handles each.
    ministry, commune = portal("1.010048"), portal("1.014363")
    assert ministry.name == commune.name
    assert [label.rsplit(" (", 1)[1] for label in choice_titles([ministry, commune])] == ["cấp bộ)", "cấp xã)"]
    # Short names, and entries unlike each other, are shown whole.
    assert choice_titles([tam_tru(), KHAI_SINH, VNEID_FAQ]) == [
        "Đăng ký tạm trú",
        "Thủ tục đăng ký khai sinh",
        "Làm thế nào để có tài khoản định danh điện tử mức độ 2?",
    ]
    for labels in (choice_titles([traders, residents]), choice_titles([ministry, commune])):
        assert all(len(label) <= TITLE_CHARS for label in labels)


def test_catalogue_placeholders_are_known() -> None:
    """Every template only asks for values the handlers supply, so none fails at run time."""
    known = {
        "ward_name", "ward_contact", "question", "name", "code", "field", "group", "text", "count", "n",
        "channels", "time", "fee", "agency", "levels", "items", "label", "issued", "number", "source",
        "updated", "decision", "value", "channel",
        # the officials' group texts (bot.officials)
        "category", "summary", "place", "latitude", "longitude", "assignee", "late", "error", "action",
        "reason", "date", "url",
        # the compliance report (bot.reports)
        "period", "first", "last", "received", "closed", "open", "rate", "on_time", "due", "p50", "p95", "mean",
        "messages", "outcomes", "undelivered", "latency", "helpful", "votes", "dimension",
        # a message cut to the length limit; too many lookup guesses
        "limit", "minutes",
        # the erasure receipt (counts of what was erased, the tickets stripped)
        "replies", "unanswered", "photos", "codes",
        # a ticket's deadline line (bot.officials.ticket_deadline)
        "days", "hours",
        # the web console (bot.console): users, paging, the board's periods, who acted through what
        "username", "role", "page", "pages", "shown", "month", "quarter", "year", "via",
        "megabytes", "total", "entries", "entry_id",
    }  # fmt: skip
    templates = {name: value for name, value in vars(catalogue).items() if name.isupper() and isinstance(value, str)}
    assert len(templates) > 80
    for name, template in templates.items():
        fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        assert fields <= known, (name, fields - known)


@pytest.mark.parametrize("name", ["GREETING", "HELP", "ABSTAIN", "TICKET_FILED", "GRIEVANCE", "QUESTION_FILED"])
def test_citizen_text_addresses_anh_chi(name: str) -> None:
    assert "anh/chị" in getattr(catalogue, name).lower()

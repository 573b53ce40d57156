"""Parsing real National Public Service Portal records (tests/data/portal_sample.jsonl holds
21 records copied verbatim from the dvcqg-ministries-2026 crawl)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from knowledge._portal import PortalFormatError, iter_portal_jsonl, parse_portal_record
from knowledge._schema import Channel

SAMPLE = Path(__file__).parent / "data" / "portal_sample.jsonl"


@pytest.fixture(scope="module")
def records() -> dict[str, dict]:
    with SAMPLE.open(encoding="utf-8") as lines:
        return {record["ma_thu_tuc"]: record for record in map(json.loads, lines)}


@pytest.fixture(scope="module")
def parsed() -> dict:
    return {result.procedure.code: result for result in iter_portal_jsonl(SAMPLE)}


def test_birth_registration_maps_fields_methods_and_document_cases(parsed):
    result = parsed["1.001193"]
    procedure = result.procedure
    assert (result.methods_ok, result.documents_ok, result.legal_ok) == (True, True, True)
    assert procedure.name == "Thủ tục đăng ký khai sinh"
    assert procedure.field == "Hộ tịch"
    assert procedure.levels == ("Cấp xã",)
    assert procedure.decision == "163/QĐ-BTP"
    assert procedure.portal_url == procedure.source_url
    assert procedure.portal_url.startswith("https://dichvucong.gov.vn/thu-tuc-hanh-chinh/")
    assert procedure.implementing_agencies == ""  # "Không có thông tin" on the portal
    # "Trực tuyến1Miễn phíDịch vụ bưu chính1Miễn phíTrực tiếp1Miễn phí": the time has no unit.
    assert [(m.channel, m.processing_time, m.fee) for m in procedure.methods] == [
        (Channel.ONLINE, "1", "Miễn phí"),
        (Channel.POST, "1", "Miễn phí"),
        (Channel.IN_PERSON, "1", "Miễn phí"),
    ]
    # Four tables: "* Giấy tờ phải nộp:", "* Giấy tờ phải xuất trình:", "* Lưu ý:" and one headed "--".
    groups = [d.group for d in procedure.documents]
    assert len(procedure.documents) == 33
    assert (groups.count("Giấy tờ phải nộp"), groups.count("Giấy tờ phải xuất trình")) == (5, 6)
    assert (groups.count("Lưu ý"), groups.count("")) == (19, 3)
    birth_certificate = next(d for d in procedure.documents if d.name.startswith("Giấy chứng sinh"))
    assert (birth_certificate.originals, birth_certificate.copies) == (1, None)
    assert birth_certificate.group == "Giấy tờ phải nộp"
    assert procedure.result == "Giấy khai sinh"
    assert procedure.raw == {}


def test_birth_registration_legal_basis(parsed):
    legal = {basis.number: basis for basis in parsed["1.001193"].procedure.legal_basis}
    assert len(legal) == 15
    civil_status_law = legal["60/2014/QH13"]
    assert civil_status_law.name == "Luật 60/2014/QH13"
    assert civil_status_law.issuer == "Quốc hội"
    decree = legal["123/2015/NĐ-CP"]
    # Double spaces in the portal text are tidied away; the date is the decree's own.
    assert decree.name.startswith("Nghị định số 123/2015/NĐ-CP ngày 15/11/2015 của Chính phủ quy định")
    assert (decree.issued, decree.issuer) == ("15/11/2015", "Chính phủ")
    assert legal["66.7/2025/NQ-CP"].issuer == "Chính phủ"
    # A date cited for another document in the name is not this one's issue date.
    assert legal["04/2024/TT-BTP"].issued == ""


def test_temporary_residence_fees_steps_forms_and_result(parsed):
    procedure = parsed["1.004194"].procedure
    online, in_person = procedure.methods
    assert (online.channel, in_person.channel) == (Channel.ONLINE, Channel.IN_PERSON)
    assert online.processing_time == in_person.processing_time == "3 Ngày làm việc"
    assert online.fee == (
        "7,000 Việt Nam Đồng (- Đăng ký tạm trú (cá nhân, hộ gia đình): + Trường hợp công dân nộp hồ sơ"
        " qua cổng dịch vụ công trực tuyến thu 7.000 đồng/lần đăng ký.)"
    )
    assert in_person.fee.startswith("10,000 Việt Nam Đồng (- Đăng ký tạm trú theo danh sách:")
    assert in_person.description.startswith("- Nộp hồ sơ trực tiếp tại Công an cấp xã.")
    assert len(procedure.steps) == 5
    assert procedure.steps[0] == "Bước 1: Cá nhân, tổ chức chuẩn bị hồ sơ theo quy định của pháp luật."
    assert procedure.steps[4].startswith("Bước 5: Căn cứ theo ngày hẹn")
    declaration = next(d for d in procedure.documents if d.name.startswith("Tờ khai thay đổi thông tin cư trú (của"))
    assert declaration.form == "1.MuCT01banhnhkmtheoThngts53.doc"
    assert declaration.group == "Đăng ký tạm trú theo danh sách, hồ sơ gồm"
    request = next(d for d in procedure.documents if d.name.startswith("Văn bản đề nghị đăng ký tạm trú"))
    assert (request.originals, request.copies) == (1, 1)
    # "Luật Cư trú 202068/2020/QH14": the name's year is glued to the number cell.
    residence_law = next(b for b in procedure.legal_basis if b.number == "68/2020/QH14")
    assert residence_law.name == "Luật Cư trú 2020"
    # The page interface ("Từ khóa…Mô tả…Chọn cơ quan thực hiện…Nộp hồ sơ") and codes are cut.
    assert procedure.result.split("\n") == [
        "Phiếu từ chối tiếp nhận, giải quyết hồ sơ (lĩnh vực cư trú)",
        "Cập nhật thông tin trong Cơ sở dữ liệu quốc gia về dân cư",
        "Thông báo kết quả giải quyết thủ tục về cư trú, hủy bỏ thủ tục về cư trú",
        "Cập nhật thông tin trong Cơ sở dữ liệu về cư trú",
    ]


def test_certification_has_two_in_person_fees_and_no_time(parsed):
    result = parsed["2.000815"]
    assert result.procedure.levels == ("Cấp xã", "Cơ quan khác")
    assert [(m.channel, m.processing_time, m.fee) for m in result.procedure.methods] == [
        (Channel.IN_PERSON, "", "2,000 Việt Nam Đồng (/trang)"),
        (Channel.IN_PERSON, "", "10 USD (/bản)"),
    ]
    assert result.procedure.methods[1].description == "Tại cơ quan đại diện: 10 USD/bản."
    assert len(result.procedure.documents) == 1


def test_land_procedure_keeps_a_mistyped_number_as_written(parsed):
    result = parsed["1.013979"]
    assert result.legal_ok
    legal = {basis.number: basis for basis in result.procedure.legal_basis}
    assert legal["31/2024/QH15"].name == "Luật Đất đai ngày 18/01/2024"
    assert legal["31/2024/QH15"].issued == "18/01/2024"
    # The portal's own number cell is cut short; kept verbatim, with no issuer, and noted.
    assert legal["118/2025/NĐ-C"].issuer == ""
    assert result.notes == ("legal basis: unknown issuer in number '118/2025/NĐ-C'",)
    assert [m.processing_time for m in result.procedure.methods] == [
        "10 Ngày làm việc",
        "10 Ngày làm việc",
        "20 Ngày làm việc",
    ]


def test_documents_split_into_cases_keep_their_case(parsed):
    documents = parsed["1.001319"].procedure.documents
    counts = {group: sum(d.group == group for d in documents) for group in {d.group for d in documents}}
    assert counts == {"Đăng kiểm viên hạng I": 3, "Đăng kiểm viên hạng II": 7, "Đăng kiểm viên hạng III": 4}


def test_customs_procedure_splits_a_time_glued_to_the_fee(parsed):
    result = parsed["1.000005"]
    (method,) = result.procedure.methods
    # "Trực tuyến120,000 VNĐ(…)": a unitless time "1" runs into the fee "20,000 VNĐ".
    assert (method.channel, method.processing_time) == (Channel.ONLINE, "1")
    assert method.fee.startswith("20,000 VNĐ (Theo khoản 1 Điều 3 Thông tư số 172/2010/TT-BTC")
    groups = [d.group for d in result.procedure.documents]
    assert len(groups) == 19
    assert groups.count("1. Chứng từ phải nộp") == 8
    assert groups.count("2. Hồ sơ hải quan đối với xuất khẩu xăng dầu, hóa chất, khí") == 8
    invoice = next(d for d in result.procedure.documents if d.name == "b) Hóa đơn thương mại: 01 bản chụp;")
    assert (invoice.originals, invoice.copies) == (0, 1)


def test_tax_procedure_time_written_as_a_phrase(parsed):
    result = parsed["1.008312"]
    assert result.methods_ok
    assert {m.processing_time for m in result.procedure.methods} == {"Không quy định"}
    assert result.procedure.documents[0].form == "Mẫu số 01 TAIN.docx"


def test_several_forms_for_one_document(parsed):
    documents = parsed["2.000021"].procedure.documents
    request = documents[0]
    assert request.name == "Văn bản đề nghị cấp giấy phép theo Mẫu 05, Mẫu 07 Phụ lục I, Nghị định số 23/2026/NĐ-CP"
    assert request.form == "Mau05.docx; Mau07.docx"


def test_empty_fields_parse_to_nothing_and_count_as_clean(parsed):
    result = parsed["6.006574"]
    procedure = result.procedure
    assert (result.documents_ok, result.legal_ok) == (True, True)
    assert (procedure.documents, procedure.legal_basis) == ((), ())
    assert (procedure.implementing_agencies, procedure.filing_address) == ("", "")
    assert procedure.raw == {}


def test_unclear_fields_keep_their_raw_text(parsed, records):
    unbalanced = parsed["1.003406"]  # "(đồng/lần(Lệ phí … (Miễn lệ phí …)" never closes
    assert not unbalanced.methods_ok and unbalanced.documents_ok and unbalanced.legal_ok
    assert set(unbalanced.procedure.raw) == {"cach_thuc_thuc_hien"}
    assert unbalanced.procedure.raw["cach_thuc_thuc_hien"] == records["1.003406"]["cach_thuc_thuc_hien"]

    ambiguous = parsed["1.013092"]  # "Trực tuyến123 VNĐ": time 1 and fee 23, or 12 and 3?
    assert not ambiguous.methods_ok
    assert ambiguous.notes == ("methods: time and fee run together in '123'; read as ('1', '23')",)

    no_table = parsed["1.001521"]  # free text where the document table should be
    assert not no_table.documents_ok and no_table.procedure.documents == ()
    assert no_table.procedure.raw["thanh_phan_ho_so"].startswith(")")

    merged_rows = parsed["6.005706"]  # "…Luật Thi đua khen thưởng 202206Quy định…"
    assert not merged_rows.legal_ok
    assert merged_rows.procedure.raw["can_cu_phap_ly"].startswith("Tên văn bản pháp lýMã văn bản")


def test_text_is_nfc_normalised(records, parsed):
    decomposed = {
        key: unicodedata.normalize("NFD", value) if isinstance(value, str) else value
        for key, value in records["1.004194"].items()
    }
    assert decomposed["ten_thu_tuc"] != records["1.004194"]["ten_thu_tuc"]
    assert parse_portal_record(decomposed).procedure == parsed["1.004194"].procedure


def test_odd_records_do_not_crash():
    empty = parse_portal_record({})
    assert empty.procedure.code == "" and empty.notes == ("record: no ma_thu_tuc",)
    odd = parse_portal_record({"ma_thu_tuc": 7, "cap_thuc_hien": None, "cach_thuc_thuc_hien": "Trực tiếp"})
    assert odd.procedure.code == "7" and odd.procedure.levels == ()
    assert not odd.methods_ok and odd.procedure.raw == {"cach_thuc_thuc_hien": "Trực tiếp"}


def test_level_filter():
    commune = {result.procedure.code for result in iter_portal_jsonl(SAMPLE, level="Cấp xã")}
    assert commune == {
        "1.001193", "1.004194", "2.000815", "1.013979", "1.000005", "1.008312", "1.001521",
        "1.010041", "1.013225", "1.000656", "1.014063", "1.008001", "1.008002", "1.014363",
    }  # fmt: skip
    assert len(list(iter_portal_jsonl(SAMPLE))) == 21


def test_a_channel_listed_twice_keeps_each_row_and_its_description(parsed):
    # "Xác nhận thông tin về cư trú": two "Trực tuyến" rows, 1 and 3 working days, each with the
    # case in its description (the cards tell the two apart by it).
    result = parsed["1.010041"]
    assert result.methods_ok
    first, second = result.procedure.methods
    assert (first.channel, first.processing_time, second.channel, second.processing_time) == (
        Channel.ONLINE, "1 Ngày làm việc", Channel.ONLINE, "3 Ngày làm việc",
    )  # fmt: skip
    assert first.description.endswith(
        "trong thời hạn 01 ngày làm việc với trường hợp thông tin có trong Cơ sở dữ liệu quốc gia về dân cư."
    )
    assert "03 ngày làm việc với trường hợp cần xác minh;" in second.description


def test_a_document_list_per_case_keeps_each_case(parsed):
    # The building permit: one list per kind of building, "(1.1) Đối với công trình không theo tuyến"
    # to "(1.7) Đối với công trình nhà ở riêng lẻ", 53 papers in all.
    result = parsed["1.013225"]
    groups = [d.group for d in result.procedure.documents]
    assert result.documents_ok and len(groups) == 53
    assert list(dict.fromkeys(groups))[0] == "(1.1) Đối với công trình không theo tuyến"
    assert groups.count("(1.7) Đối với công trình nhà ở riêng lẻ") == 6


def test_fee_notes_keep_their_conditions(parsed):
    # Khai tử: "Miễn phí" in the fee cell, the conditions in the note that follows it.
    (fee,) = {m.fee for m in parsed["1.000656"].procedure.methods}
    assert fee.startswith("Miễn phí (Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh, thành phố trực thuộc Trung ương")
    assert "Miễn lệ phí đối với trường hợp đăng ký khai tử đúng hạn" in fee
    # Cấp đổi thẻ căn cước: the amount, then both halving periods.
    online = next(m for m in parsed["1.014063"].procedure.methods if m.channel is Channel.ONLINE)
    assert online.fee.startswith("50,000 Việt Nam Đồng (- Cấp đổi thẻ căn cước")
    assert "đến hết ngày 31/12/2025" in online.fee and "đến hết ngày 31/12/2026" in online.fee


def test_malformed_line_reports_file_and_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    first_line = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(f"{first_line}\n\n{{\"ma_thu_tuc\": \n", encoding="utf-8")
    records = iter_portal_jsonl(path)
    assert next(records).procedure.code == "1.001193"
    with pytest.raises(PortalFormatError) as raised:
        next(records)
    assert raised.value.line_no == 3
    assert str(raised.value).startswith(f"{path}:3: invalid JSON")


def test_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(PortalFormatError, match=r":1: expected a JSON object, got list"):
        list(iter_portal_jsonl(path))

"""The Markdown entry format: exact round trips, readable stable output, errors at the right line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from knowledge import (
    Channel,
    DocumentItem,
    EntryError,
    Faq,
    LegalBasis,
    Procedure,
    SubmissionMethod,
    dump_entry,
    load_entry_file,
    parse_entry,
)

FULL_PROCEDURE = Procedure(
    code="1.001193",
    name="Thủ tục đăng ký khai sinh",
    field="Hộ tịch",
    levels=("Cấp xã", "Cấp huyện"),
    implementing_agencies="Ủy ban nhân dân cấp xã",
    competent_agencies="Ủy ban nhân dân cấp xã",
    filing_address="Bộ phận Một cửa, UBND phường",
    applicants="Công dân Việt Nam",
    documents=(
        DocumentItem("Tờ khai đăng ký khai sinh", originals=1, copies=0, form="Mẫu tờ khai.docx"),
        DocumentItem("Giấy chứng sinh", copies=1, group="Trường hợp sinh tại cơ sở y tế"),
    ),
    steps=(
        "Bước 1: Người yêu cầu nộp hồ sơ.",
        "Bước 2: Công chức tư pháp kiểm tra hồ sơ:\n\n- nếu đủ, tiếp nhận;\n  - ghi sổ\n- nếu thiếu, hướng dẫn bổ sung.",
        *(f"Bước {number}: Tiếp tục." for number in range(3, 12)),  # two-digit markers indent further
    ),
    methods=(
        SubmissionMethod(Channel.IN_PERSON, "Ngay trong ngày tiếp nhận", "Miễn lệ phí", "Nộp tại\nBộ phận Một cửa"),
        SubmissionMethod(Channel.ONLINE, fee="Miễn lệ phí"),
        SubmissionMethod(Channel.POST),
    ),
    conditions="Không có.",
    legal_basis=(
        LegalBasis("Luật Hộ tịch", "60/2014/QH13", "20-11-2014", "Quốc hội"),
        LegalBasis("Nghị định 123/2015/NĐ-CP"),
    ),
    result="Giấy khai sinh (bản chính).\n\nBản sao cấp theo yêu cầu.",
    portal_url="https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193",
    source_url="https://dichvucong.gov.vn/p/1",
    updated=dt.date(2026, 7, 20),
    decision="1872/QĐ-BTP",
    raw={"cach_thuc_thuc_hien": "Trực tiếp\nTrực tuyến\n", "can_cu_phap_ly": "Luật Hộ tịch"},
)

FULL_FAQ = Faq(
    id="vneid-dinh-danh-muc-2",
    question="Làm thế nào để có tài khoản định danh điện tử mức độ 2?",
    answer="Công dân đến **Công an phường** để đăng ký.\n\n1. Mang căn cước.\n2. Chụp ảnh chân dung.",
    variants=("Đăng ký VNeID mức 2 ở đâu?", "VNeID mức 2"),
    tags=("vneid", "định danh điện tử"),
    legal_basis=(LegalBasis("Nghị định quy định về định danh và xác thực điện tử", "69/2024/NĐ-CP"),),
    source="Công văn 123/CAP-PC06",
    updated=dt.date(2026, 11, 22),
)

SMALL_PROCEDURE_TEXT = """\
---
kind: procedure
code: '1.001193'
name: Thủ tục đăng ký khai sinh
levels: [Cấp xã]
methods:
- channel: in_person
  fee: Miễn lệ phí
documents:
- name: Tờ khai
  originals: 1
  copies: 0
---
## Trình tự thực hiện
1. Bước 1: Nộp hồ sơ.
2. Bước 2: Nhận kết quả
   vào ngày hẹn.

## Kết quả
Giấy khai sinh.
"""


def test_full_procedure_round_trips_exactly() -> None:
    loaded = parse_entry(dump_entry(FULL_PROCEDURE))
    assert loaded == FULL_PROCEDURE
    assert loaded.raw == FULL_PROCEDURE.raw  # raw is left out of ==, so compared on its own


def test_full_faq_round_trips_exactly() -> None:
    assert parse_entry(dump_entry(FULL_FAQ)) == FULL_FAQ


@pytest.mark.parametrize("entry", [FULL_PROCEDURE, FULL_FAQ], ids=["procedure", "faq"])
def test_dumping_is_stable(entry: Procedure | Faq) -> None:
    text = dump_entry(entry)
    assert dump_entry(entry) == text
    assert dump_entry(parse_entry(text)) == text


def test_dump_writes_the_documented_layout() -> None:
    procedure = Procedure(
        code="1.001193",
        name="Thủ tục đăng ký khai sinh",
        levels=("Cấp xã",),
        methods=(SubmissionMethod(Channel.IN_PERSON, fee="Miễn lệ phí"),),
        documents=(DocumentItem("Tờ khai", originals=1, copies=0),),
        steps=("Bước 1: Nộp hồ sơ.", "Bước 2: Nhận kết quả\nvào ngày hẹn."),
        result="Giấy khai sinh.",
    )
    assert dump_entry(procedure) == SMALL_PROCEDURE_TEXT
    assert parse_entry(SMALL_PROCEDURE_TEXT) == procedure


def test_dump_is_readable_yaml() -> None:
    text = dump_entry(FULL_PROCEDURE)
    assert "Thủ tục đăng ký khai sinh" in text  # Vietnamese as is, not \u escapes
    assert "  description: |-\n    Nộp tại\n    Bộ phận Một cửa\n" in text  # literal blocks
    keys = [line.split(":")[0] for line in text.split("\n---\n")[0].splitlines()[1:] if line[:1].isalpha()]
    assert keys == [
        "kind", "code", "name", "field", "levels", "applicants", "implementing_agencies",
        "competent_agencies", "filing_address", "decision", "portal_url", "source_url", "updated",
        "methods", "documents", "legal_basis", "raw",
    ]  # fmt: skip
    assert "10. Bước 10: Tiếp tục." in text


def test_faq_answer_is_the_body() -> None:
    text = dump_entry(FULL_FAQ)
    assert text.endswith("---\nCông dân đến **Công an phường** để đăng ký.\n\n1. Mang căn cước.\n2. Chụp ảnh chân dung.\n")
    assert "tags: [vneid, định danh điện tử]\n" in text


def test_hand_written_file_in_the_documented_format(tmp_path) -> None:
    text = """\
---
kind: procedure
code: "1.001193"
name: Thủ tục đăng ký khai sinh
field: Hộ tịch
levels: [Cấp xã]
updated: 2026-07-20
methods:
  - channel: in_person        # in_person | online | post
    processing_time: Ngay trong ngày tiếp nhận
    fee: Miễn lệ phí
documents:
  - name: Tờ khai đăng ký khai sinh
    originals: 1
    copies: 0
    form: Mẫu tờ khai.docx
    group: ""
legal_basis:
  - number: 60/2014/QH13
    name: Luật Hộ tịch
    issued: 20-11-2014
raw:
  cach_thuc_thuc_hien: |
    Trực tiếp
---

## Trình tự thực hiện

1. Bước 1: Nộp hồ sơ.
2. Bước 2: Nhận kết quả.

## yêu cầu,  điều kiện
Không có.
"""
    path = tmp_path / "1.001193.md"
    # Saved by a Windows editor: a byte-order mark and CRLF line ends.
    path.write_bytes(("\ufeff" + text).replace("\n", "\r\n").encode("utf-8"))
    procedure = load_entry_file(path)
    assert procedure == Procedure(
        code="1.001193",
        name="Thủ tục đăng ký khai sinh",
        field="Hộ tịch",
        levels=("Cấp xã",),
        updated=dt.date(2026, 7, 20),
        methods=(SubmissionMethod(Channel.IN_PERSON, "Ngay trong ngày tiếp nhận", "Miễn lệ phí"),),
        documents=(DocumentItem("Tờ khai đăng ký khai sinh", 1, 0, "Mẫu tờ khai.docx"),),
        legal_basis=(LegalBasis("Luật Hộ tịch", "60/2014/QH13", "20-11-2014"),),
        steps=("Bước 1: Nộp hồ sơ.", "Bước 2: Nhận kết quả."),
        conditions="Không có.",
    )
    assert procedure.raw == {"cach_thuc_thuc_hien": "Trực tiếp\n"}


def test_unquoted_values_stay_text_as_written() -> None:
    faq = parse_entry("---\nkind: faq\nid: 2024\nquestion: yes\nsource: 1.50\n---\nCó.\n")
    assert (faq.id, faq.question, faq.source) == ("2024", "yes", "1.50")


@pytest.mark.parametrize(
    "entry",
    [
        # A section line that reads as a heading, and text with blank edges, go to the front matter.
        dataclasses.replace(FULL_PROCEDURE, conditions="Điều kiện:\n## Lưu ý"),
        dataclasses.replace(FULL_PROCEDURE, result="  thụt đầu dòng"),
        dataclasses.replace(FULL_PROCEDURE, steps=("Bước 1", "")),
        dataclasses.replace(FULL_PROCEDURE, steps=("Bước 1\r\nBước 2",)),
        dataclasses.replace(FULL_FAQ, answer="Trả lời.\n"),
        dataclasses.replace(FULL_FAQ, answer=""),
    ],
)
def test_text_the_body_cannot_hold_round_trips_through_the_front_matter(entry: Procedure | Faq) -> None:
    assert parse_entry(dump_entry(entry)) == entry


def test_tricky_text_round_trips() -> None:
    pieces = [" ", "  ", "\n", "\t", "\r", "\r\n", "## ", "##", "1. ", "2) ", "- ", ": ", "#", "'", '"', "---",
              "a", "ệ", "null", "~", "yes", "0x1", "1.0", "|", ">", "&", "*", "!", "[", "]", "{", "}", ",",
              "?", "\\", "\x85", "\u2028", "\ufeff", "\x00", "\x0c", "\u00a0", "🙂"]  # fmt: skip
    rng = random.Random(7)

    def text() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))

    def texts() -> tuple[str, ...]:
        return tuple(text() for _ in range(rng.randint(0, 3)))

    for _ in range(300):
        basis = tuple(LegalBasis(text(), text(), text(), text()) for _ in range(rng.randint(0, 2)))
        procedure = Procedure(
            code=text(), name=text(), field=text(), levels=texts(), implementing_agencies=text(),
            competent_agencies=text(), filing_address=text(), applicants=text(),
            documents=tuple(
                DocumentItem(text(), rng.choice([None, 0, 3]), rng.choice([None, 0, 2]), text(), text())
                for _ in range(rng.randint(0, 2))
            ),
            steps=texts(),
            methods=tuple(SubmissionMethod(rng.choice(list(Channel)), text(), text(), text()) for _ in range(2)),
            conditions=text(), legal_basis=basis, result=text(), portal_url=text(), source_url=text(),
            updated=rng.choice([None, dt.date(2026, 1, 2)]), decision=text(), raw={text(): text()},
        )  # fmt: skip
        faq = Faq(text(), text(), text(), texts(), texts(), basis, text(), rng.choice([None, dt.date(2026, 1, 2)]))
        for entry in (procedure, faq):
            text_form = dump_entry(entry)
            loaded = parse_entry(text_form)
            assert loaded == entry, text_form
            assert getattr(loaded, "raw", None) == getattr(entry, "raw", None), text_form
            assert dump_entry(loaded) == text_form


# Line numbers of BASE:      1 ---
#  2 kind: procedure          3 code: "1.001193"        4 name: Thủ tục
#  5 methods:                 6   - channel: in_person   7 documents:
#  8   - name: Tờ khai        9     originals: 1        10 ---
# 11 ## Trình tự thực hiện   12 1. Bước 1
BASE = """\
---
kind: procedure
code: "1.001193"
name: Thủ tục
methods:
  - channel: in_person
documents:
  - name: Tờ khai
    originals: 1
---
## Trình tự thực hiện
1. Bước 1
"""


def test_base_is_valid() -> None:
    assert parse_entry(BASE).code == "1.001193"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("originals: 1", "originals: -1", 9,
         "field `originals` of documents item 1 must be a whole number ≥ 0, got '-1'"),
        ("originals: 1", "originals: một", 9,
         "field `originals` of documents item 1 must be a whole number ≥ 0, got 'một'"),
        ("name: Thủ tục\n", "", 1, "the front matter is missing the required key `name`"),
        ("  - name: Tờ khai\n    originals: 1", "  - originals: 1", 8,
         "documents item 1 is missing the required key `name`"),
        ("name: Thủ tục", "nmae: Thủ tục", 4, "unknown key `nmae` in the front matter; did you mean `name`?"),
        ("originals: 1", "orginals: 1", 9, "unknown key `orginals` in documents item 1; did you mean `originals`?"),
        ("name: Thủ tục", "name: Thủ tục\nquestion: Hỏi", 5,
         "unknown key `question` in the front matter: `question` belongs to kind 'faq'; is `kind` right?"),
        ("kind: procedure", "kind: thu_tuc", 2, "field `kind` must be 'procedure' or 'faq', got 'thu_tuc'"),
        ("kind: procedure\n", "", 1, "the front matter is missing the required key `kind` (procedure or faq)"),
        ("in_person", "truc_tiep", 6, "field `channel` of methods item 1 must be one of in_person, online, post; got 'truc_tiep'"),
        ("in_person", "inperson", 6,
         "field `channel` of methods item 1 must be one of in_person, online, post; got 'inperson'; did you mean 'in_person'?"),
        ("methods:", "updated: 20/07/2026\nmethods:", 5,
         "field `updated` must be a date written YYYY-MM-DD (e.g. 2026-07-20), got '20/07/2026'"),
        ("methods:", "updated: 2026-02-30\nmethods:", 5,
         "field `updated` is not a real date: '2026-02-30' (day is out of range for month)"),
        ("methods:", "code: 1.001194\nmethods:", 5, "duplicate key `code` in the front matter; it was already given on line 3"),
        ("methods:", "levels: Cấp xã\nmethods:", 5,
         "field `levels` must be a list such as [a, b] or '- a' lines, not 'Cấp xã'"),
        ("name: Thủ tục", "name: [Thủ tục]", 4, "field `name` must be text, not a list"),
        ("---\nkind", "kind", 1, "the file must start with a '---' line that opens the YAML front matter"),
        ("---\n##", "##", 1, "the front matter opened on line 1 is never closed: add a '---' line after it"),
        ('code: "1.001193"', 'code: "1.001193', 3,
         "the front matter is not valid YAML: while scanning a quoted scalar, found no end before the '---' line"),
        ("  - channel", "\t- channel", 6,
         "the front matter is not valid YAML: a tab in the indentation; YAML needs spaces there"),
        ("## Trình tự thực hiện", "## Trinh tu thuc hien", 11,
         "unknown section '## Trinh tu thuc hien'; did you mean 'Trình tự thực hiện'?"),
        ("1. Bước 1\n", "1. Bước 1\n## Lệ phí\n", 13,
         "unknown section '## Lệ phí'; expected one of '## Trình tự thực hiện', '## Yêu cầu, điều kiện', '## Kết quả'"),
        ("1. Bước 1\n", "1. Bước 1\n\n## Trình tự thực hiện\n", 14,
         "section '## Trình tự thực hiện' appears twice; it first appears on line 11"),
        ("---\n## Trình", "---\nGhi chú\n## Trình", 11,
         "text after the front matter must be under a section heading: "
         "'## Trình tự thực hiện', '## Yêu cầu, điều kiện', '## Kết quả'"),
        ("1. Bước 1\n", "1. Bước 1\nBước 2\n", 13,
         "expected a numbered step such as '1. Nộp hồ sơ ...', or a line indented under one"),
        ("1. Bước 1\n", "1. Bước 1\n2.\n", 13, "step 2 has no text"),
        ("methods:", "steps: [Bước 1]\nmethods:", 12,
         "`steps` is given twice: in the front matter on line 5 and as the '## Trình tự thực hiện' section; keep one"),
    ],
)  # fmt: skip
def test_errors_name_the_line_and_the_problem(old: str, new: str, line: int, message: str) -> None:
    text = BASE.replace(old, new, 1)
    assert text != BASE
    with pytest.raises(EntryError) as caught:
        parse_entry(text, path="procedures/1.001193.md")
    assert (caught.value.path, caught.value.line, caught.value.message) == ("procedures/1.001193.md", line, message)
    assert str(caught.value) == f"procedures/1.001193.md:{line}: {message}"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("---\n---\n", 1, "the front matter is empty; it must give at least `kind`"),
        ("---\n- kind: faq\n---\n", 2, "the front matter must be `key: value` lines, not a list"),
        ("---\nkind: faq\nquestion: Hỏi?\n---\nĐáp.\n", 1, "the front matter is missing the required key `id`"),
        ("---\nkind: faq\nid: a\nquestion: Hỏi?\nanswer: Đáp.\n---\n\nĐáp.\n", 8,
         "the answer is given twice: as `answer` in the front matter on line 5 "
         "and as the text after the front matter; keep one"),
        ("---\nkind: faq\nid: a\nquestion: Hỏi?\ncode: '1.001193'\n---\n", 5,
         "unknown key `code` in the front matter: `code` belongs to kind 'procedure'; is `kind` right?"),
    ],
)  # fmt: skip
def test_faq_and_front_matter_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(EntryError) as caught:
        parse_entry(text)
    assert (caught.value.line, caught.value.message) == (line, message)


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("name: Thủ tục", "name: Thủ tục: đăng ký", 4),
        ("name: Thủ tục", "  name: Thủ tục", 4),
        ("methods:", "levels: [Cấp xã\nmethods:", 6),
    ],
)
def test_yaml_syntax_errors_name_their_line(old: str, new: str, line: int) -> None:
    # The wording after the prefix is the YAML library's own.
    with pytest.raises(EntryError) as caught:
        parse_entry(BASE.replace(old, new, 1))
    assert caught.value.line == line
    assert caught.value.message.startswith("the front matter is not valid YAML: ")


def test_a_file_that_is_not_utf8_names_the_line(tmp_path) -> None:
    path = tmp_path / "faq.md"
    path.write_bytes("---\nkind: faq\nid: a\nquestion: Hỏi?\n---\n".encode() + "Đáp án\n".encode("cp1258"))
    with pytest.raises(EntryError) as caught:
        load_entry_file(path)
    assert (caught.value.line, caught.value.message) == (6, "the file is not UTF-8 text; save it with UTF-8 encoding")

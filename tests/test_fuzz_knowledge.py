"""Properties of the knowledge base's readers over any input: the Markdown entry format
(knowledge/_markdown.py) fails only with an EntryError at a line of the file, and reads back
exactly what it wrote; the portal parser (knowledge/_portal.py) turns a record of any shape into a
procedure that can be written and read back, and a file of any lines into records or a
PortalFormatError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.fuzzing import any_character, json_objects, json_values, texts
from hypothesis import example, given
from hypothesis import strategies as st

from knowledge import (
    Channel,
    DocumentItem,
    EntryError,
    Faq,
    LegalBasis,
    PortalFormatError,
    Procedure,
    SubmissionMethod,
    dump_entry,
    iter_portal_jsonl,
    load_entry_file,
    parse_entry,
    parse_portal_record,
)

SAMPLE = Path(__file__).parent / "data" / "portal_sample.jsonl"

# ---------------------------------------------------------------------------- Markdown entries

# Text the format must carry through its front matter and body: YAML's special words and marks,
# Markdown's headings and numbered steps, line breaks of every kind, blank edges.
TRICKY_PIECES = (
    " ", "  ", "\n", "\t", "\r", "\r\n", "## ", "##", "## Kết quả", "1. ", "2) ", "- ", ": ", "#", "'", '"', "---",
    "a", "ệ", "null", "~", "yes", "0x1", "1.0", "|", ">", "&", "*", "!", "[", "]", "{", "}", ",", "?", "\\",
    "%", "@", "`", "...", "\x85", "\u2028", "\u2029", "\ufeff", "\x00", "\x0c", "\x1b", "\x7f", "\x80", "\u00a0",
    "\ufffe", "\U0001f642",
)  # fmt: skip
# Every character a UTF-8 file can hold (no lone surrogates: no entry file holds one).
file_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
    st.lists(st.sampled_from(TRICKY_PIECES), max_size=8).map("".join),
)
file_texts = st.lists(file_text, max_size=3).map(tuple)
counts = st.one_of(st.none(), st.integers(min_value=0))
dates = st.one_of(st.none(), st.dates())
legal_bases = st.lists(st.builds(LegalBasis, file_text, file_text, file_text, file_text), max_size=2).map(tuple)
procedures = st.builds(
    Procedure,
    code=file_text,
    name=file_text,
    field=file_text,
    levels=file_texts,
    implementing_agencies=file_text,
    competent_agencies=file_text,
    filing_address=file_text,
    applicants=file_text,
    documents=st.lists(st.builds(DocumentItem, file_text, counts, counts, file_text, file_text), max_size=2).map(tuple),
    steps=file_texts,
    methods=st.lists(
        st.builds(SubmissionMethod, st.sampled_from(Channel), file_text, file_text, file_text), max_size=2
    ).map(tuple),
    conditions=file_text,
    legal_basis=legal_bases,
    result=file_text,
    portal_url=file_text,
    source_url=file_text,
    updated=dates,
    decision=file_text,
    raw=st.dictionaries(file_text, file_text, max_size=2),
)
faqs = st.builds(Faq, file_text, file_text, file_text, file_texts, file_texts, legal_bases, file_text, dates)
entries = st.one_of(procedures, faqs)

# Pieces of a hand-edited entry file, right and wrong: keys of both kinds and of their items,
# values of every YAML shape, and body lines.
KEYS = (
    "kind", "code", "name", "field", "levels", "applicants", "implementing_agencies", "competent_agencies",
    "filing_address", "decision", "portal_url", "source_url", "updated", "methods", "documents", "legal_basis",
    "steps", "conditions", "result", "raw", "id", "question", "variants", "tags", "source", "answer", "channel",
    "processing_time", "fee", "description", "originals", "copies", "form", "group", "number", "issued", "issuer",
    "kinds", "nmae", "<<", "? a", '"kind"', "1", "null", "[a]", "{a: b}", "",
)  # fmt: skip
VALUES = (
    "procedure", "faq", "'procedure'", '"faq"', "Procedure", "1.001193", "'1.001193'", "null", "~", "", "yes",
    "2026-07-20", "2026-02-30", "0000-01-01", "0", "12", "99999999999999999999", "9" * 5_000, "-1", "1e3",
    "[]", "{}", "[a, b]", "[Cấp xã]", "{a: 1}", "&x a", "*x", "!!str 1", "!!int 1", "!!binary aGk=",
    "!!python/object:os.system x", "!!set {a}", "|\n  dòng một\n  dòng hai", "|-\n  a", ">\n  gấp", "'mở",
    '"mở', '"\\x00"', '"\\ud800"', "in_person", "online", "post", "carrier", "a: b: c", "- a", "%TAG ! x",
    "@a", "!a b", "[" * 200, "Đăng ký khai sinh",
)  # fmt: skip
BODY_LINES = (
    "## Trình tự thực hiện", "## Kết quả", "## Yêu cầu, điều kiện", "## KẾT QUẢ  ", "##\tkết quả", "##", "## Lưu ý",
    "1. Nộp hồ sơ.", "2) Nhận kết quả.", "1.", "10. x", "   tiếp", "\tthụt", "", " ", "Văn bản.", "---",
)  # fmt: skip
yaml_value = st.one_of(st.sampled_from(VALUES), file_text)
yaml_item = st.lists(st.tuples(st.sampled_from(KEYS), yaml_value), min_size=1, max_size=4).map(
    lambda pairs: "\n".join(("  - " if i == 0 else "    ") + f"{key}: {value}" for i, (key, value) in enumerate(pairs))
)
front_line = st.one_of(
    st.tuples(st.sampled_from(KEYS), yaml_value).map(lambda pair: f"{pair[0]}: {pair[1]}"),
    st.builds(
        lambda key, items: "\n".join([f"{key}:", *items]),
        st.sampled_from(KEYS),
        st.lists(st.one_of(yaml_item, yaml_value.map("  - {}".format)), max_size=3),
    ),
    file_text,
)
kind_lines = st.sampled_from(
    ["kind: procedure\ncode: '1.001193'\nname: Thủ tục", "kind: faq\nid: vneid\nquestion: Hỏi?", "kind: faq", ""]
)
hand_written = st.builds(
    lambda bom, kind, front, close, body: f"{bom}---\n{kind}\n" + "\n".join(front) + f"\n{close}" + "\n".join(body),
    st.sampled_from(["", "\ufeff"]),
    kind_lines,
    st.lists(front_line, max_size=6),
    st.sampled_from(["---\n", "--- \n", "---", ""]),
    st.lists(st.one_of(st.sampled_from(BODY_LINES), file_text), max_size=6),
)


def _edited(text: str, edits: list[tuple[float, int, str]]) -> str:
    """``text`` with each edit applied: at a fraction of its length, cut some characters, insert."""
    for where, cut, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + cut :]
    return text


edits = st.lists(
    st.tuples(st.floats(0, 1), st.integers(0, 8), st.one_of(st.sampled_from(TRICKY_PIECES + VALUES), texts)),
    min_size=1,
    max_size=4,
)
# Files as editors leave them: written by hand, or dumped and then edited, or anything at all.
entry_files = st.one_of(hand_written, st.builds(_edited, entries.map(dump_entry), edits), texts)


def lines_of(text: str) -> int:
    """The number of lines of an entry file, as its error messages count them."""
    return len(text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n"))


@given(entry_files)
# A count int() refuses (over 4,300 digits): was a ValueError.
@example("---\nkind: procedure\ncode: a\nname: b\ndocuments:\n- name: x\n  originals: " + "9" * 5_000 + "\n---\n")
@example("---\nkind: faq\nid: a\nquestion: " + "[" * 100_000 + "\n---\n")  # nesting no parser could recurse into
@example("---\nkind: faq\nid: a\nquestion: \ud800\n---\n")  # libyaml cannot encode it: was a UnicodeEncodeError
# YAML breaks lines at a lone CR and at U+2028 too, the file only at LF: was an IndexError, and a
# line past the end of the file.
@example("---\nkind: faq\rid: x\r\rbad: [\n---\n")
@example("---\nkind: procedure\ncode: '1.001193'\nname: Thủ tục\nkind: \x85\x85:\n---\n")  # NEL, found by make fuzz
@example("---\nkind: faq\n\u2028\u2028\u2028id: a\nquestion: b\nfoo: 1\n---\nx")
def test_parse_entry_fails_only_with_an_entry_error_at_a_line_of_the_file(text: str) -> None:
    try:
        entry = parse_entry(text)
    except EntryError as error:
        assert 1 <= error.line <= lines_of(text), error
    else:
        assert isinstance(entry, (Procedure, Faq))


@given(entries)
def test_dump_entry_reads_back_equal_and_byte_stable(entry: Procedure | Faq) -> None:
    text = dump_entry(entry)
    loaded = parse_entry(text)
    assert loaded == entry, text
    assert getattr(loaded, "raw", None) == getattr(entry, "raw", None), text  # raw is left out of ==
    assert dump_entry(loaded) == text


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the files the fuzz tests write, one test case after another."""
    return tmp_path_factory.mktemp("fuzz")


@given(
    st.one_of(
        st.binary(),
        entry_files.map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.builds(
            lambda head, tail: head + b"\xff\xfe\xc3" + tail, entries.map(lambda e: dump_entry(e).encode()), st.binary()
        ),
    )
)
def test_load_entry_file_fails_only_with_an_entry_error(scratch: Path, data: bytes) -> None:
    path = scratch / "entry.md"
    path.write_bytes(data)
    try:
        entry = load_entry_file(path)
    except EntryError as error:
        assert error.path == str(path) and error.line >= 1
    else:
        assert entry == parse_entry(data.decode("utf-8"))


# --------------------------------------------------------------------------------- portal records

SAMPLE_RECORDS = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
PORTAL_FIELDS = sorted({name for record in SAMPLE_RECORDS for name in record})
# Pieces of the portal's own text, and the markers its parsers look for, spliced anew. (The noqa:
# ruff reads the lone surrogates "\ud800" and "\udfff" as one character, so as a duplicate.)
PORTAL_PIECES = sorted(
    {value[start : start + size] for record in SAMPLE_RECORDS for value in record.values() if isinstance(value, str)
     for start in range(0, len(value), 41) for size in (7, 29, 83)}
    | {"\n", " ", "Mã: ", "Bước 1", "Bước 2:", "1/2020/NĐ-CP", "46/2020", "ngày 1/1/2020", "(", ")", "Không có thông tin",
       "\u00d0", "\u200b", "\r", "Từ khóa", "Mô tả", "Chọn cơ quan thực hiện", "Trực tiếp", "Trực tuyến",
       "Dịch vụ bưu chính", "Phí", "Lệ phí", "Đồng", "Ngày", "bản chính", "bản sao", "\ud800", "\udfff"}  # noqa: B033
)  # fmt: skip
portal_text = st.lists(st.one_of(st.sampled_from(PORTAL_PIECES), st.text(any_character, max_size=4)), max_size=14).map(
    "".join
)
portal_values = st.one_of(portal_text, st.sampled_from([v for record in SAMPLE_RECORDS for v in record.values()]))
portal_records = json_objects(dict.fromkeys(PORTAL_FIELDS, portal_values))


@given(portal_records)
@example({"cach_thuc_thuc_hien": "\ud800"})  # a lone surrogate made a procedure no file could hold
@example({"ten_thu_tuc": ["Thủ tục", {"a": None}], "cap_thuc_hien": 3, "ma_thu_tuc": 1.5})
def test_any_portal_record_gives_a_procedure_that_can_be_written_and_read_back(record: dict) -> None:
    parsed = parse_portal_record(record)
    procedure = parsed.procedure
    assert all(isinstance(note, str) for note in parsed.notes)
    text = dump_entry(procedure)
    text.encode("utf-8")  # the import writes it to a file
    assert parse_entry(text) == procedure


portal_lines = st.one_of(
    portal_records.map(lambda record: json.dumps(record, ensure_ascii=True)),
    json_values.map(json.dumps),
    st.sampled_from(["", "   ", "{", "[" * 100_000, "1" * 5_000, "NaN", '{"a": 1} {"b": 2}', '"\\ud800"', "\x00"]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30).filter(
        lambda line: "\n" not in line and "\r" not in line
    ),
)


@given(st.lists(portal_lines, max_size=5))
@example(["[" * 100_000])  # was a RecursionError
@example(['{"ma_thu_tuc": 1}', "1" * 5_000])  # an integer int() refuses: was a ValueError
def test_a_portal_file_gives_records_or_a_portal_format_error_at_its_line(scratch: Path, lines: list[str]) -> None:
    path = scratch / "portal.jsonl"
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    records = []
    try:
        records.extend(iter_portal_jsonl(path))
    except PortalFormatError as error:
        assert 1 <= error.line_no <= len(lines) and lines[error.line_no - 1].strip()
        # Every non-blank line before it was a record.
        assert len(records) == sum(1 for line in lines[: error.line_no - 1] if line.strip())
    else:
        assert len(records) == sum(1 for line in lines if line.strip())

"""Loading a knowledge base: every problem in every file collected, and nothing invalid loaded."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from knowledge import (
    Faq,
    KnowledgeBase,
    KnowledgeBaseError,
    LegalBasis,
    Problem,
    Procedure,
    dump_entry,
    export_entries,
    load_knowledge_base,
    parse_entry,
    validate_paths,
)

PROCEDURE = """\
---
kind: procedure
code: '{code}'
name: Thủ tục đăng ký khai sinh
portal_url: https://dichvucong.gov.vn/p/1
methods:
- channel: in_person
---
## Trình tự thực hiện
1. Nộp hồ sơ.
"""

FAQ = """\
---
kind: faq
id: {id}
question: Làm thế nào để có tài khoản định danh điện tử mức độ 2?
legal_basis:
- number: 69/2024/NĐ-CP
  name: Nghị định quy định về định danh và xác thực điện tử
---
Đến Công an phường.
"""

PORTAL_RECORD = {
    "ma_thu_tuc": "1.001193",
    "ten_thu_tuc": "Thủ tục đăng ký khai sinh",
    "linh_vuc": "Hộ tịch",
    "cap_thuc_hien": "Cấp xã",
    "cach_thuc_thuc_hien": "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp1 NgàyMiễn phíNộp tại Bộ phận Một cửa",
    "thanh_phan_ho_so": "Tên giấy tờMẫu đơn, tờ khaiSố lượngTờ khai đăng ký khai sinhMẫu.docx1 bản chính,0 bản sao",
    "can_cu_phap_ly": "Luật Hộ tịch (không theo bảng)",
    "trinh_tu_thuc_hien": "Bước 1: Nộp hồ sơ. Bước 2: Nhận kết quả.",
    "yeu_cau_dieu_kien": "Không",
    "ket_qua_xu_ly": "Giấy khai sinh",
    "detail_url": "https://dichvucong.gov.vn/p/1",
}


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_jsonl(path: Path, *lines: dict | str) -> Path:
    path.write_text("".join(f"{json.dumps(line, ensure_ascii=False) if isinstance(line, dict) else line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A valid knowledge base folder: two procedures and one FAQ."""
    root = tmp_path / "kb"
    write(root, "procedures/1.001193.md", PROCEDURE.format(code="1.001193"))
    write(root, "procedures/2.000001.md", PROCEDURE.format(code="2.000001"))
    write(root, "faq/vneid.md", FAQ.format(id="vneid"))
    return root


def test_a_valid_tree_loads(tree: Path) -> None:
    kb = load_knowledge_base([tree])
    assert len(kb) == 3
    assert list(kb.procedures) == ["1.001193", "2.000001"]
    assert list(kb.faqs) == ["vneid"]
    assert kb.get("vneid").question.startswith("Làm thế nào")
    assert kb.get("1.001193").name == "Thủ tục đăng ký khai sinh"
    assert kb.get("9.999999") is None
    assert [entry.entry_id for entry in kb.entries()] == ["1.001193", "2.000001", "vneid"]
    assert kb.sources == (str(tree),)
    with pytest.raises(TypeError):
        kb.procedures["x"] = kb.get("1.001193")  # read-only: only validated entries get in


def test_problem_prints_as_path_line_message() -> None:
    assert str(Problem("faq/a.md", 3, "required field `id` is empty")) == "faq/a.md:3: required field `id` is empty"
    assert str(Problem("kb", 0, "no such file or folder")) == "kb: no such file or folder"


def test_all_problems_are_collected_across_files(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    syntax = write(root, "a.md", PROCEDURE.format(code="1.001193").replace("kind: procedure", "kind: procedur"))
    semantic = write(
        root,
        "b.md",
        PROCEDURE.format(code="1.1193")
        .replace("https://dichvucong.gov.vn/p/1", "dichvucong.gov.vn/p/1")
        .replace("methods:\n- channel: in_person\n", ""),
    )
    faq = write(root, "faq/c.md", FAQ.format(id="c").replace("legal_basis:\n- number: 69/2024/NĐ-CP\n  name: Nghị định quy định về định danh và xác thực điện tử\n", ""))
    empty_answer = write(root, "faq/d.md", FAQ.format(id="d").replace("Đến Công an phường.\n", ""))
    (tmp_path / "empty").mkdir()
    entries, problems = validate_paths([root, tmp_path / "missing", tmp_path / "empty"])
    assert [entry.entry_id for entry in entries] == ["1.1193", "c", "d"]
    assert [str(problem) for problem in problems] == [
        f"{syntax}:2: field `kind` must be 'procedure' or 'faq', got 'procedur'; did you mean 'procedure'?",
        f"{semantic}:1: the procedure says nowhere how to file: add at least one item under `methods` "
        "(channel: in_person, online or post), or the portal's text as `raw: cach_thuc_thuc_hien`",
        f"{semantic}:3: procedure code '1.1193' is not in the national format (digits, a dot, then six digits, "
        "e.g. '1.001193'): it has 4 digits after the dot, not 6",
        f"{semantic}:5: field `portal_url` must be a web address starting with http:// or https://, "
        "got 'dichvucong.gov.vn/p/1'",
        f"{faq}:1: the FAQ has no `legal_basis`: every answer must cite at least one legal document (number and name)",
        f"{empty_answer}:9: required field `answer` is empty",
        f"{tmp_path / 'missing'}: no such file or folder",
        f"{tmp_path / 'empty'}: the folder holds no .md entry files",
    ]


def test_duplicates_across_files_are_reported_at_both_places(tree: Path, tmp_path: Path) -> None:
    copy = write(tmp_path / "more", "x.md", PROCEDURE.format(code="1.001193"))
    other_faq = write(tmp_path / "more", "y.md", FAQ.format(id="vneid"))
    _, problems = validate_paths([tree, tmp_path / "more"])
    first = tree / "procedures" / "1.001193.md"
    faq = tree / "faq" / "vneid.md"
    assert sorted(str(problem) for problem in problems) == sorted([
        f"{first}:3: procedure code '1.001193' is defined more than once; also at {copy}:3",
        f"{copy}:3: procedure code '1.001193' is defined more than once; also at {first}:3",
        f"{faq}:3: FAQ id 'vneid' is defined more than once; also at {other_faq}:3",
        f"{other_faq}:3: FAQ id 'vneid' is defined more than once; also at {faq}:3",
    ])  # fmt: skip


def test_a_file_given_twice_is_read_once(tree: Path) -> None:
    entries, problems = validate_paths([tree, tree / "faq" / "vneid.md"])
    assert (len(entries), problems) == (3, [])


def test_hidden_files_are_skipped(tree: Path) -> None:
    write(tree, ".git/notes.md", "not an entry")
    write(tree, "faq/.#vneid.md", "an editor's lock file")
    assert validate_paths([tree])[1] == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("1.00119", "it has 5 digits after the dot, not 6"),
        ("1001193", "it has no dot"),
        ("1.00119a", "only digits may stand before and after the dot"),
        ("TT.001193", "only digits may stand before and after the dot"),
        (" 1.001193", "remove the spaces around it"),
    ],
)
def test_code_format_problems_say_what_is_wrong(tmp_path: Path, code: str, reason: str) -> None:
    path = write(tmp_path, "p.md", PROCEDURE.format(code=code))
    _, problems = validate_paths([path])
    assert problems == [
        Problem(
            str(path), 3,
            f"procedure code {code!r} is not in the national format (digits, a dot, then six digits, "
            f"e.g. '1.001193'): {reason}",
        )  # fmt: skip
    ]


def test_faq_id_must_name_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "f.md", FAQ.format(id="'../vneid'"))
    assert [problem.message for problem in validate_paths([path])[1]] == [
        "FAQ id '../vneid' may contain only letters a-z, digits, '-', '_' and '.', "
        "starting with a letter or digit, since it names the file faq/<id>.md"
    ]


def test_portal_jsonl_is_a_knowledge_base_path(tree: Path, tmp_path: Path) -> None:
    second = dict(PORTAL_RECORD, ma_thu_tuc="1.000002")
    portal = write_jsonl(tmp_path / "portal.jsonl", PORTAL_RECORD, "", second)
    kb = load_knowledge_base([portal, tree / "faq"])
    assert list(kb.procedures) == ["1.000002", "1.001193"]
    assert kb.get("1.001193").raw == {"can_cu_phap_ly": "Luật Hộ tịch (không theo bảng)"}
    assert kb.sources == (str(portal), str(tree / "faq"))


def test_portal_records_are_located_at_their_line(tmp_path: Path) -> None:
    bad = dict(PORTAL_RECORD, ma_thu_tuc="1.2", detail_url="ftp://x", cach_thuc_thuc_hien="")
    portal = write_jsonl(tmp_path / "portal.jsonl", PORTAL_RECORD, "", bad)
    assert [str(problem) for problem in validate_paths([portal])[1]] == [
        f"{portal}:3: procedure code '1.2' is not in the national format (digits, a dot, then six digits, "
        "e.g. '1.001193'): it has 1 digit after the dot, not 6",
        f"{portal}:3: field `portal_url` must be a web address starting with http:// or https://, got 'ftp://x'",
        f"{portal}:3: field `source_url` must be a web address starting with http:// or https://, got 'ftp://x'",
        f"{portal}:3: the procedure says nowhere how to file: add at least one item under `methods` "
        "(channel: in_person, online or post), or the portal's text as `raw: cach_thuc_thuc_hien`",
    ]


def test_a_broken_portal_line_is_a_problem(tmp_path: Path) -> None:
    portal = write_jsonl(tmp_path / "portal.jsonl", PORTAL_RECORD, "{not json", PORTAL_RECORD)
    entries, problems = validate_paths([portal])
    assert [entry.entry_id for entry in entries] == ["1.001193"]  # the records before it
    assert [(problem.line, problem.message.startswith("invalid JSON")) for problem in problems] == [(2, True)]


def test_a_portal_file_without_records_is_a_problem(tmp_path: Path) -> None:
    portal = write_jsonl(tmp_path / "portal.jsonl", "")
    assert validate_paths([portal])[1] == [Problem(str(portal), 0, "the portal file holds no records")]


def test_an_unsupported_file_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "")
    assert validate_paths([path])[1] == [
        Problem(str(path), 0, "expected a folder, a .md entry file or a portal .jsonl file (.jsonl.xz, .jsonl.gz)")
    ]


def test_fingerprint_is_the_same_for_a_portal_record_and_its_markdown(tmp_path: Path) -> None:
    portal = write_jsonl(tmp_path / "portal.jsonl", PORTAL_RECORD)
    from_portal = load_knowledge_base([portal])
    written = export_entries(from_portal.entries(), tmp_path / "kb")
    assert written == [tmp_path / "kb" / "procedures" / "1.001193.md"]
    from_markdown = load_knowledge_base([tmp_path / "kb"])
    assert from_markdown.entries() == from_portal.entries()
    assert from_markdown.get("1.001193").raw == from_portal.get("1.001193").raw
    assert from_markdown.fingerprint == from_portal.fingerprint


def test_fingerprint_follows_content_not_order(tree: Path) -> None:
    kb = load_knowledge_base([tree])
    assert KnowledgeBase.from_entries(reversed(kb.entries()), questions=kb.questions).fingerprint == kb.fingerprint
    procedure = kb.get("1.001193")
    assert isinstance(procedure, Procedure)
    # raw is left out of Procedure equality, but it is content all the same.
    changed = [dataclasses.replace(procedure, raw={"cach_thuc_thuc_hien": "Trực tiếp"}), *kb.entries()[1:]]
    assert KnowledgeBase.from_entries(changed, questions=kb.questions).fingerprint != kb.fingerprint


def test_load_knowledge_base_refuses_an_invalid_tree(tree: Path) -> None:
    bad = write(tree, "faq/bad.md", FAQ.format(id="bad").replace("question:", "questoin:"))
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base([tree])
    problem = Problem(str(bad), 4, "unknown key `questoin` in the front matter; did you mean `question`?")
    assert caught.value.problems == [problem]
    assert str(caught.value) == f"the knowledge base has 1 problem:\n  {problem}"


def test_validate_paths_wants_a_list_of_paths(tree: Path) -> None:
    with pytest.raises(TypeError):
        validate_paths(str(tree))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        validate_paths([])


def test_export_writes_one_file_per_entry(tree: Path, tmp_path: Path) -> None:
    kb = load_knowledge_base([tree])
    out = tmp_path / "out"
    written = export_entries(kb.entries(), out)
    assert written == [
        out / "procedures" / "1.001193.md",
        out / "procedures" / "2.000001.md",
        out / "faq" / "vneid.md",
    ]
    for path, entry in zip(written, kb.entries(), strict=True):
        assert path.read_bytes() == dump_entry(entry).encode("utf-8")
        assert parse_entry(path.read_text(encoding="utf-8")) == entry


@pytest.mark.parametrize(
    "entries",
    [
        [Faq("../escape", "Hỏi?", "Đáp.", legal_basis=(LegalBasis("Luật"),))],
        [Procedure("", "Không mã")],
        [Faq("a", "Hỏi?", "Đáp."), Faq("a", "Hỏi lại?", "Đáp.")],
    ],
)
def test_export_refuses_ids_that_cannot_name_one_file(tmp_path: Path, entries: list) -> None:
    with pytest.raises(ValueError):
        export_entries(entries, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # checked before anything is written

"""The citizen-question corpus: its file format, its checks, and how it joins the knowledge base;
the national layer under the ward's entries."""

from __future__ import annotations

import json
import lzma
from pathlib import Path

import pytest
from test_validate import PORTAL_RECORD, PROCEDURE, write, write_jsonl

from knowledge import (
    KnowledgeBase,
    Problem,
    bundled_national_path,
    bundled_questions_path,
    load_knowledge_base,
    question_key,
    read_question_corpus,
    search_docs,
    service_popularity,
    validate_paths,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bundled_kb() -> KnowledgeBase:
    """The bundled sample over the national layer (parsing it takes seconds: once per module)."""
    return load_knowledge_base([bundled_questions_path().parent / "sample"], national=bundled_national_path())


def test_questions_are_read_one_per_line_with_comments(tmp_path: Path) -> None:
    write(
        tmp_path, "q/1.001193.txt", "# how parents ask\nCon tôi mới sinh thì làm giấy gì?\nlam giay khai sinh o dau\n"
    )
    questions, problems = read_question_corpus([tmp_path / "q"])
    assert problems == []
    assert questions == {"1.001193": ("Con tôi mới sinh thì làm giấy gì?", "lam giay khai sinh o dau")}


def test_empty_lines_repeats_and_shared_questions_are_problems(tmp_path: Path) -> None:
    first = write(tmp_path, "q/1.001193.txt", "Con mới sinh làm giấy gì?\n\nCON MỚI SINH  làm giấy gì?\n")
    second = write(tmp_path, "more/1.000894.txt", "Tôi muốn cưới vợ\ncon mới sinh làm giấy gì?\n")
    _, problems = read_question_corpus([tmp_path / "q", tmp_path / "more"])
    assert problems == [
        Problem(str(first), 2, "empty line: write one question per line"),
        Problem(str(first), 3, f"repeats the question at {first}:1"),
        Problem(str(first), 1, f"the same question is listed for procedure 1.000894 ({second}:2): "
                "it cannot tell them apart; keep it for one of them"),
        Problem(str(second), 2, f"the same question is listed for procedure 1.001193 ({first}:1): "
                "it cannot tell them apart; keep it for one of them"),
    ]  # fmt: skip


def test_a_file_must_be_named_after_a_code(tmp_path: Path) -> None:
    path = write(tmp_path, "q/khai-sinh.txt", "Con mới sinh làm giấy gì?\n")
    _, problems = read_question_corpus([tmp_path / "q"])
    assert problems == [Problem(str(path), 0, "the file must be named <procedure code>.txt: it has no dot")]


def test_a_wards_questions_join_the_bundled_ones_and_change_the_fingerprint(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write(root, "procedures/1.001193.md", PROCEDURE.format(code="1.001193"))
    before = load_knowledge_base([root])
    bundled = before.questions["1.001193"]
    assert len(bundled) >= 10  # a ward-level procedure
    write(root, "questions/1.001193.txt", "Cháu nội tôi vừa chào đời ở trạm y tế phường\n")
    after = load_knowledge_base([root])
    assert after.questions["1.001193"] == (*bundled, "Cháu nội tôi vừa chào đời ở trạm y tế phường")
    assert after.fingerprint != before.fingerprint
    doc = next(doc for doc in search_docs(after) if doc.id == "1.001193")
    assert doc.questions == after.questions["1.001193"]


def test_a_problem_in_a_wards_questions_refuses_the_kb(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write(root, "procedures/1.001193.md", PROCEDURE.format(code="1.001193"))
    path = write(root, "questions/1.001193.txt", "Con mới sinh làm giấy gì?\n \n")
    assert validate_paths([root])[1] == [Problem(str(path), 2, "empty line: write one question per line")]


def test_a_ward_entry_overrides_the_national_one_with_the_same_code(tmp_path: Path) -> None:
    national = tmp_path / "national.jsonl.xz"
    other = dict(PORTAL_RECORD, ma_thu_tuc="1.000894", ten_thu_tuc="Đăng ký kết hôn")
    with lzma.open(national, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in (PORTAL_RECORD, other))
    root = tmp_path / "kb"
    write(
        root,
        "procedures/1.001193.md",
        PROCEDURE.format(code="1.001193").replace("đăng ký khai sinh", "khai sinh (phường)"),
    )
    entries, problems = validate_paths([root], national=national)
    assert problems == []  # the same code twice is an override, not a duplicate
    kb = load_knowledge_base([root], national=national)
    assert {code: p.name for code, p in kb.procedures.items()} == {
        "1.000894": "Đăng ký kết hôn",
        "1.001193": "Thủ tục khai sinh (phường)",
    }
    assert kb.sources == (str(root), str(national))


def test_a_broken_portal_line_in_a_compressed_file_is_located(tmp_path: Path) -> None:
    national = tmp_path / "national.jsonl.xz"
    with lzma.open(national, "wt", encoding="utf-8") as out:
        out.write(json.dumps(PORTAL_RECORD, ensure_ascii=False) + "\n{oops\n")
    problems = validate_paths([write_jsonl(tmp_path / "ward.jsonl", dict(PORTAL_RECORD, ma_thu_tuc="1.000894"))],
                              national=national)[1]  # fmt: skip
    assert [(p.path, p.line) for p in problems] == [(str(national), 2)]


def test_the_bundled_corpus_covers_the_national_layer(bundled_kb: KnowledgeBase) -> None:
    """At least 10 questions for each ward-level or popular procedure (weight ≥ 1,000), 4 for any
    other, none of them in the held-out file, and the corpus passes its own checks."""
    _, problems = read_question_corpus([bundled_questions_path()])
    assert problems == []
    weights = service_popularity()
    short = []
    for code, procedure in bundled_kb.procedures.items():
        need = 10 if "Cấp xã" in procedure.levels or weights.get(code, 0) >= 1000 else 4
        if len(bundled_kb.questions.get(code, ())) < need:
            short.append(code)
    assert short == []
    indexed = {question_key(q) for questions in bundled_kb.questions.values() for q in questions}
    held_out = [json.loads(line)["query"] for line in (REPO / "eval" / "heldout.jsonl").read_text().splitlines()]
    assert held_out and not indexed & {question_key(q) for q in held_out}


def test_the_national_layer_is_converted_once_and_read_back(tmp_path: Path) -> None:
    national = tmp_path / "national.jsonl.xz"
    with lzma.open(national, "wt", encoding="utf-8") as out:
        out.write(json.dumps(PORTAL_RECORD, ensure_ascii=False) + "\n")
    root = tmp_path / "kb"
    write(root, "procedures/2.000001.md", PROCEDURE.format(code="2.000001"))
    cache = tmp_path / "cache"
    first = load_knowledge_base([root], national=national, cache_dir=cache)
    [converted] = cache.glob("national-*.pickle")
    again = load_knowledge_base([root], national=national, cache_dir=cache)
    assert again.entries() == first.entries() and again.fingerprint == first.fingerprint
    assert load_knowledge_base([root], national=national).fingerprint == first.fingerprint  # same digests
    # An override by the ward is hashed as the ward's entry, not with the national digest.
    write(root, "procedures/1.001193.md", PROCEDURE.format(code="1.001193").replace("khai sinh", "khai sinh (phường)"))
    overridden = load_knowledge_base([root], national=national, cache_dir=cache)
    assert overridden.fingerprint == load_knowledge_base([root], national=national).fingerprint != first.fingerprint
    # A newer portal file is converted anew.
    with lzma.open(national, "wt", encoding="utf-8") as out:
        out.write(json.dumps(dict(PORTAL_RECORD, ten_thu_tuc="Đăng ký khai sinh (mới)"), ensure_ascii=False) + "\n")
    load_knowledge_base([root], national=national, cache_dir=cache)
    [newer] = cache.glob("national-*.pickle")  # the old conversion is removed
    assert newer != converted


def test_a_procedure_the_portal_lists_under_two_codes_is_searched_as_one(tmp_path: Path) -> None:
    portal = write_jsonl(
        tmp_path / "portal.jsonl",
        PORTAL_RECORD,
        dict(PORTAL_RECORD, ma_thu_tuc="1.009999", detail_url="https://dichvucong.gov.vn/p/2"),
        dict(PORTAL_RECORD, ma_thu_tuc="1.009998", cap_thuc_hien="Cấp tỉnh"),
        dict(PORTAL_RECORD, ma_thu_tuc="1.009997", ket_qua_xu_ly="Trích lục khai sinh"),
    )
    kb = load_knowledge_base([portal])
    assert {doc.id: doc.same_as for doc in search_docs(kb)} == {
        "1.001193": "",
        "1.009997": "",
        "1.009998": "",
        "1.009999": "1.001193",
    }


def test_a_held_out_question_is_answered_by_any_code_of_its_record(bundled_kb: KnowledgeBase) -> None:
    """The bot answers a record the portal lists under several codes with the first of them, so
    each held-out question about one lists them all as its gold."""
    codes_of: dict[str, set[str]] = {}
    for doc in search_docs(bundled_kb):
        codes_of.setdefault(doc.same_as or doc.id, set()).add(doc.id)
    record_of = {code: codes for codes in codes_of.values() for code in codes}
    held_out = [json.loads(line) for line in (REPO / "eval" / "heldout.jsonl").read_text().splitlines()]
    assert [q["id"] for q in held_out if set(q["gold"]) != record_of[q["gold"][0]]] == []
    assert sum(len(q["gold"]) > 1 for q in held_out) == 34

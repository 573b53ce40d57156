"""bot.kbadmin on real files: browsing and searching, saving forms, conflicts, national overrides,
zip and portal uploads, and the bot answering with an edit once the knowledge base is reloaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.engines import build_engine, make_dialogue, ticket_desk
from fakes.kb import snapshot, zip_of

from bot.kbadmin import (
    EditConflict,
    EntryKind,
    FaqForm,
    KbAdmin,
    MethodForm,
    Origin,
    ProcedureForm,
)
from bot.testing import DialogueTester
from handlers import SearchEngine
from knowledge import LegalBasis, load_entry_file, load_knowledge_base, read_national_layer
from retrieval import Decision
from tickets import TicketDesk

PORTAL = Path(__file__).parent / "data" / "portal_sample.jsonl"
LAW = LegalBasis(name="Nghị định quy định về định danh và xác thực điện tử", number="69/2024/NĐ-CP")
NEW_FAQ = FaqForm(
    id="gio-lam-viec",
    question="Bộ phận Một cửa làm việc giờ nào?",
    answer="Từ 7 giờ 30 đến 17 giờ, thứ Hai đến thứ Sáu.",
    variants=("may gio mo cua", "Thứ Bảy có làm việc không?"),
    tags=("giờ làm việc",),
    legal_basis=(LAW,),
    source="Quy chế của phường",
    updated="2026-11-20",
)


@async_test
async def test_search_with_and_without_diacritics_and_pages(tiny_kb: Path) -> None:
    admin = KbAdmin(tiny_kb)
    for query in ("đăng ký khai sinh", "dang ky khai sinh", "DANG KY KHAI", "khai si"):
        page = await admin.list_entries(query)
        assert [info.entry_id for info in page.items] == ["1.001193"], query
    both = await admin.list_entries("dang ky")
    assert {info.entry_id for info in both.items} == {"1.001193", "1.000894"}
    assert (await admin.list_entries("định danh")).items[0].entry_id == "vneid"
    first = await admin.list_entries(per_page=2)
    second = await admin.list_entries(per_page=2, page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (3, 2, 2, 1)
    assert {i.entry_id for i in first.items + second.items} == {"1.001193", "1.000894", "vneid"}
    faqs = await admin.list_entries(kind=EntryKind.FAQ)
    assert [(i.entry_id, i.origin, i.editable) for i in faqs.items] == [("vneid", Origin.WARD, True)]
    assert (await admin.list_entries("khong co gi nhu vay")).total == 0


@async_test
async def test_saved_faq_reads_back_equal_to_its_form(tiny_kb: Path) -> None:
    admin = KbAdmin(tiny_kb)
    result = await admin.save_faq(NEW_FAQ, base_hash="")
    assert result.ok and not result.problems, result.problems
    path = tiny_kb / "faq" / "gio-lam-viec.md"
    assert result.paths == (path,)
    assert FaqForm.from_entry(load_entry_file(path)) == NEW_FAQ  # type: ignore[arg-type]
    detail = await admin.get_entry("gio-lam-viec")
    assert (detail.form, detail.content_hash, detail.info.path) == (NEW_FAQ, result.content_hash, path)
    assert detail.markdown == path.read_text(encoding="utf-8")
    assert [i.entry_id for i in (await admin.list_entries("may gio mo cua")).items] == ["gio-lam-viec"]


@async_test
async def test_an_invalid_save_changes_nothing_and_says_where(tiny_kb: Path) -> None:
    admin = KbAdmin(tiny_kb)
    detail = await admin.get_entry("vneid")
    before = snapshot(tiny_kb)
    assert isinstance(detail.form, FaqForm)
    broken = FaqForm(**{**vars(detail.form), "legal_basis": (), "answer": "Mới."})
    result = await admin.save_faq(broken, base_hash=detail.content_hash)
    assert not result.ok
    path = tiny_kb / "faq" / "vneid.md"
    assert [str(p) for p in result.problems] == [
        f"{path}:1: the FAQ has no `legal_basis`: every answer must cite at least one legal document (number and name)"
    ]
    assert snapshot(tiny_kb) == before
    unreadable = FaqForm(**{**vars(detail.form), "updated": "20/11/2026"})
    result = await admin.save_faq(unreadable, base_hash=detail.content_hash)
    assert [str(p) for p in result.problems] == [
        f"{path}: `updated` must be a date written YYYY-MM-DD (e.g. 2026-07-20), got '20/11/2026'"
    ]
    escaping = FaqForm(**{**vars(NEW_FAQ), "id": "../../etc/passwd"})
    assert not (await admin.save_faq(escaping, base_hash="")).ok
    assert snapshot(tiny_kb) == before


@async_test
async def test_an_edit_of_a_file_changed_meanwhile_is_refused(tiny_kb: Path) -> None:
    admin = KbAdmin(tiny_kb)
    first = await admin.get_entry("vneid")
    second = await admin.get_entry("vneid")
    assert isinstance(first.form, FaqForm) and isinstance(second.form, FaqForm)
    saved = await admin.save_faq(
        FaqForm(**{**vars(first.form), "answer": "Đến Công an phường, mang CCCD."}), base_hash=first.content_hash
    )
    assert saved.ok
    text = (tiny_kb / "faq" / "vneid.md").read_text(encoding="utf-8")
    with pytest.raises(EditConflict) as conflict:
        await admin.save_faq(FaqForm(**{**vars(second.form), "answer": "Khác."}), base_hash=second.content_hash)
    assert conflict.value.current == saved.content_hash
    assert (tiny_kb / "faq" / "vneid.md").read_text(encoding="utf-8") == text
    with pytest.raises(EditConflict, match="created meanwhile"):
        await admin.save_faq(FaqForm(**{**vars(first.form), "answer": "Mới."}), base_hash="")


@async_test
async def test_editing_a_national_procedure_writes_a_ward_override(tiny_kb: Path, tmp_path: Path) -> None:
    admin = KbAdmin(tiny_kb, national=PORTAL, cache_dir=tmp_path / "cache")
    national = await admin.get_entry("1.004194")
    assert (national.info.origin, national.editable, national.content_hash, national.info.path) == (
        Origin.NATIONAL, False, "", None,
    )  # fmt: skip
    assert isinstance(national.form, ProcedureForm)
    form = ProcedureForm(
        **{
            **vars(national.form),
            "filing_address": "Bộ phận Một cửa, số 1 đường Lê Lợi",
            "methods": (MethodForm("in_person", "3 ngày làm việc", "Không"),),
            "asked_as": ("đăng ký tạm trú ở phường mình làm ở đâu",),
        }
    )
    result = await admin.save_procedure(form, base_hash="")
    assert result.ok, result.problems
    override = await admin.get_entry("1.004194")
    assert (override.info.origin, override.info.overrides_national, override.info.path) == (
        Origin.WARD, True, tiny_kb / "procedures" / "1.004194.md",
    )  # fmt: skip
    assert override.form == form
    assert (tiny_kb / "questions" / "1.004194.txt").read_text(encoding="utf-8") == form.asked_as[0] + "\n"
    kb = load_knowledge_base([tiny_kb], national=PORTAL)
    assert kb.procedures["1.004194"].filing_address == "Bộ phận Một cửa, số 1 đường Lê Lợi"
    assert kb.questions["1.004194"][-1] == form.asked_as[0]
    assert len(kb) == 3 + len(read_national_layer(PORTAL)) - 1  # 1.001193 is in both layers


@async_test
async def test_a_valid_zip_adds_entries_and_a_broken_one_changes_nothing(tiny_kb: Path) -> None:
    admin = KbAdmin(tiny_kb)
    faq = (tiny_kb / "faq" / "vneid.md").read_text(encoding="utf-8")
    good = faq.replace("id: vneid", "id: vneid-2").replace("Đến Công an phường.", "Cài ứng dụng VNeID.")
    result = await admin.upload_entries_zip(zip_of({"kb/faq/vneid-2.md": good}), name="moi.zip")
    assert result.ok and result.entries == 4, result.problems
    assert (tiny_kb / "faq" / "vneid-2.md").read_text(encoding="utf-8") == good
    before = snapshot(tiny_kb)
    broken = good.replace("id: vneid-2", "id: vneid-3").replace("kind: faq", "kind: faqs")
    duplicate = good  # the same id as the file just installed
    result = await admin.upload_entries_zip(
        zip_of({"faq/vneid-3.md": broken, "faq/other.md": duplicate}), name="hong.zip"
    )
    assert not result.ok
    shown = [str(problem) for problem in result.problems]
    assert "faq/vneid-3.md:2: field `kind` must be 'procedure' or 'faq', got 'faqs'; did you mean 'faq'?" in shown
    assert any(s.startswith("faq/other.md:3: FAQ id 'vneid-2' is defined more than once") for s in shown), shown
    assert snapshot(tiny_kb) == before


@pytest.mark.parametrize(
    "name",
    ["../evil.md", "faq/../../evil.md", "/etc/evil.md", "faq\\evil.md", "C:/evil.md", "faq/evil.py", "evil.txt"],
)
@async_test
async def test_a_zip_with_a_path_out_of_the_folder_or_a_foreign_file_is_refused(tiny_kb: Path, name: str) -> None:
    admin = KbAdmin(tiny_kb)
    before = snapshot(tiny_kb)
    result = await admin.upload_entries_zip(zip_of({name: "---\nkind: faq\n---\n"}), name="x.zip")
    assert not result.ok and [p.path for p in result.problems] == [name]
    assert snapshot(tiny_kb) == before
    assert not (tiny_kb.parent / "evil.md").exists()


@async_test
async def test_a_portal_upload_refreshes_the_national_layer(tiny_kb: Path, tmp_path: Path) -> None:
    target = tmp_path / "data" / "national" / "procedures.jsonl.xz"
    admin = KbAdmin(tiny_kb, national=None, national_target=target)
    broken = PORTAL.read_bytes() + b"{not json\n"
    result = await admin.upload_portal(broken, name="dvc.jsonl")
    assert not result.ok and result.problems[0].path == "dvc.jsonl" and result.problems[0].line == 22
    assert not target.exists()
    result = await admin.upload_portal(PORTAL.read_bytes(), name="dvc.jsonl")
    assert result.ok and result.entries == 3 + 21 - 1, result.problems  # 1.001193 is in both layers
    assert [e.entry_id for e in read_national_layer(target)] == [e.entry_id for e in read_national_layer(PORTAL)]
    assert (await admin.get_entry("1.004194")).info.origin is Origin.NATIONAL


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[TicketDesk]:
    with ticket_desk(tmp_path) as opened:
        yield opened


@async_test
async def test_after_a_save_and_a_reload_the_bot_answers_with_the_new_text(
    tiny_kb: Path, desk: TicketDesk, hashing_embedder
) -> None:
    served: list[SearchEngine] = []

    async def reload() -> bool:  # what Application.reload_knowledge does, on the test embedder
        kb = load_knowledge_base([tiny_kb])
        served.append(build_engine(hashing_embedder, kb.entries(), decision=Decision.ANSWER))
        return True

    admin = KbAdmin(tiny_kb, reload=reload)
    detail = await admin.get_entry("vneid")
    assert isinstance(detail.form, FaqForm)
    answer = "Mang căn cước đến Công an phường Mẫu để đăng ký định danh mức độ 2."
    result = await admin.save_faq(FaqForm(**{**vars(detail.form), "answer": answer}), base_hash=detail.content_hash)
    assert result.ok and result.reloaded is True
    turn = await DialogueTester(make_dialogue(served[-1], desk)).push(
        "Làm thế nào để có tài khoản định danh điện tử mức độ 2?"
    )
    assert turn.entry_id == "vneid"
    assert answer in turn.replies[0].text

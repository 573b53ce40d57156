"""The console's knowledge-base pages over the bot's real HTTP server: list and search, the edit
round trip, conflicts, refused saves and uploads that change nothing, a too-large upload, reload,
the feedback queue to a new FAQ, roles, and the audit log."""

from __future__ import annotations

import dataclasses
import html as html_lib
import re
from pathlib import Path

from fakes.aio import async_test
from fakes.console import ConsoleClient, csrf_token, form_fields, with_fields
from fakes.kb import TINY_FAQ, snapshot, zip_of
from fakes.storage import turn
from test_console_web import Running, application

from bot._config import KnowledgeSettings
from bot.console import ConsoleStore
from bot.console._kb import UPLOAD_MAX_BYTES
from bot.kbadmin import install_national_layer
from handlers import catalogue
from knowledge import Faq, Procedure, bundled_national_path, load_entry_file

PORTAL = Path(__file__).parent / "data" / "portal_sample.jsonl"


def text_of(page: str) -> str:
    """The page's text as a reader sees it: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def listed_ids(page: str) -> list[str]:
    return re.findall(r'<td class="kb-id"[^>]*><code>([^<]+)</code>', page)


def served_faq(bot: Running, faq_id: str) -> Faq:
    """The FAQ as the running bot answers with it."""
    assert bot.app.dialogue is not None
    entry = bot.app.dialogue.engine.kb.get(faq_id)
    assert isinstance(entry, Faq), entry
    return entry


async def admin_client(bot: Running) -> ConsoleClient:
    await bot.add_user("admin", "admin")
    client = bot.client()
    status, _, _ = await client.login("admin")
    assert status == 303
    return client


async def audit_entries(bot: Running) -> list[tuple[str, str, str]]:
    async with await ConsoleStore.open(bot.config.data_dir / "console.sqlite3") as store:
        entries, _ = await store.audit(offset=0, limit=100)
    return [(e.action, e.target, e.detail) for e in entries]


@async_test
async def test_the_list_searches_with_or_without_diacritics_filters_by_kind_and_pages(
    tmp_path: Path, tiny_kb: Path
) -> None:
    for number in range(1, 28):  # 30 entries: two pages
        faq = TINY_FAQ.replace("id: vneid", f"id: hoi-{number:02d}").replace("mức độ 2", f"mẫu số {number}")
        (tiny_kb / "faq" / f"hoi-{number:02d}.md").write_text(faq, encoding="utf-8")
    async with Running(tmp_path, tiny_kb) as bot, await admin_client(bot) as client:
        status, page, _ = await client.get("/console/kb")
        assert status == 200 and catalogue.CONSOLE_KB_COUNT.format(total=30) in page
        assert len(listed_ids(page)) == 25
        figures = bot.app.kb_figures()
        assert str(figures["kb_entries"]) in text_of(page) and str(figures["kb_fingerprint"])[:12] in page
        assert catalogue.CONSOLE_KB_NEVER_RELOADED in page
        _, second, _ = await client.get("/console/kb?page=2")
        assert len(listed_ids(second)) == 5 and not set(listed_ids(second)) & set(listed_ids(page))

        for query, expected in (
            ("dang ky khai sinh", ["1.001193"]),
            ("Đăng ký kết hôn", ["1.000894"]),
            ("mau so 7", ["hoi-07"]),
            ("thủ tục đăng", ["1.000894", "1.001193"]),
        ):
            _, found, _ = await client.get(f"/console/kb?q={query}")
            assert sorted(listed_ids(found)) == expected, query
        _, faqs, _ = await client.get("/console/kb?kind=faq")
        assert catalogue.CONSOLE_KB_COUNT.format(total=28) in faqs
        _, ward, _ = await client.get("/console/kb?kind=ward&q=thu tuc")
        assert sorted(listed_ids(ward)) == ["1.000894", "1.001193"]
        _, national, _ = await client.get("/console/kb?kind=national")
        assert listed_ids(national) == [] and catalogue.CONSOLE_KB_EMPTY in national


@async_test
async def test_an_edited_faq_round_trips_is_served_after_the_reload_and_audited(tmp_path: Path, tiny_kb: Path) -> None:
    answer = "Mang căn cước đến Công an phường Mẫu.\nCán bộ sẽ hướng dẫn kích hoạt mức độ 2."
    async with Running(tmp_path, tiny_kb) as bot:
        async with await admin_client(bot) as client:
            status, page, _ = await client.get("/console/kb/entries/vneid")
            assert status == 200 and "69/2024/NĐ-CP" in page
            fields = form_fields(page, "/console/kb/entries/vneid")
            # Saved unchanged, the file holds the same entry.
            before = load_entry_file(tiny_kb / "faq" / "vneid.md")
            status, _, response = await client.post("/console/kb/entries/vneid", fields)
            assert status == 303 and response.headers["Location"] == "/console/kb/entries/vneid"
            assert load_entry_file(tiny_kb / "faq" / "vneid.md") == before

            _, page, _ = await client.get("/console/kb/entries/vneid")
            fields = with_fields(form_fields(page, "/console/kb/entries/vneid"), answer=answer.replace("\n", "\r\n"))
            status, _, response = await client.post("/console/kb/entries/vneid", fields)
            assert status == 303
            _, page, _ = await client.get(response.headers["Location"])
            assert catalogue.CONSOLE_KB_SAVED.format(entry_id="vneid") in page
            saved = load_entry_file(tiny_kb / "faq" / "vneid.md")
            assert isinstance(saved, Faq) and saved.answer == answer and saved.legal_basis == before.legal_basis
            assert served_faq(bot, "vneid").answer == answer  # the bot answers with it now
        entries = await audit_entries(bot)
        assert ("kb.save", "vneid", "reloaded") in entries
        assert not any("căn cước" in detail for _, _, detail in entries)


@async_test
async def test_a_procedure_form_round_trips_its_rows(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, await admin_client(bot) as client:
        path = "/console/kb/entries/1.001193"
        _, page, _ = await client.get(path)
        fields = [
            *with_fields(
                form_fields(page, path),
                method_processing_time="Ngay trong ngày",
                method_fee="Miễn phí",
                asked_as="làm giấy khai sinh cho con\nđăng ký khai sinh ở đâu",
                doc_name="Tờ khai đăng ký khai sinh\n(theo mẫu)",
                doc_originals="1",
            ),
            ("step", "Nhận kết quả\ntại Bộ phận Một cửa."),
        ]
        status, body, _ = await client.post(path, fields)
        assert status == 303, text_of(body)
        saved = load_entry_file(tiny_kb / "procedures" / "1.001193.md")
        assert [(m.processing_time, m.fee) for m in saved.methods] == [("Ngay trong ngày", "Miễn phí")]
        assert [(d.name, d.originals) for d in saved.documents] == [("Tờ khai đăng ký khai sinh\n(theo mẫu)", 1)]
        assert saved.steps == ("Nộp hồ sơ.", "Nhận kết quả\ntại Bộ phận Một cửa.")
        questions = (tiny_kb / "questions" / "1.001193.txt").read_text(encoding="utf-8")
        assert questions == "làm giấy khai sinh cho con\nđăng ký khai sinh ở đâu\n"
        # The form shows it all back, and saved unchanged it writes the same files.
        before = snapshot(tiny_kb)
        _, page, _ = await client.get(path)
        assert (await client.post(path, form_fields(page, path)))[0] == 303
        assert snapshot(tiny_kb) == before


@async_test
async def test_an_edit_of_a_changed_entry_is_refused_with_the_admins_text_kept(tmp_path: Path, tiny_kb: Path) -> None:
    mine = "Câu trả lời của tôi, chưa được lưu."
    async with Running(tmp_path, tiny_kb) as bot, await admin_client(bot) as client:
        _, page, _ = await client.get("/console/kb/entries/vneid")
        fields = with_fields(form_fields(page, "/console/kb/entries/vneid"), answer=mine)
        # Meanwhile another admin saves the same FAQ.
        theirs = (tiny_kb / "faq" / "vneid.md").read_text(encoding="utf-8").replace("Đến", "Hãy đến")
        (tiny_kb / "faq" / "vneid.md").write_text(theirs, encoding="utf-8")
        status, page, _ = await client.post("/console/kb/entries/vneid", fields)
        assert status == 409
        assert html_lib.escape(catalogue.CONSOLE_KB_CONFLICT, quote=False) in page
        assert f">{mine}</textarea>" in page  # nothing the admin typed is lost
        assert "Hãy đến Công an phường." in html_lib.unescape(page)  # the current version, to compare
        assert (tiny_kb / "faq" / "vneid.md").read_text(encoding="utf-8") == theirs
        # Having seen both, the admin saves again: from the current version now.
        status, _, _ = await client.post("/console/kb/entries/vneid", form_fields(page, "/console/kb/entries/vneid"))
        assert status == 303 and served_faq(bot, "vneid").answer == mine


@async_test
async def test_a_save_with_problems_shows_each_as_file_line_and_changes_nothing(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot, await admin_client(bot) as client:
        fingerprint = bot.app.kb_figures()["kb_fingerprint"]
        before = snapshot(tiny_kb)
        _, page, _ = await client.get("/console/kb/new")
        fields = with_fields(
            form_fields(page, "/console/kb/new"), id="gio-lam-viec", question="", answer="Từ 7 giờ 30."
        )
        status, page, _ = await client.post("/console/kb/new", fields)
        assert status == 422
        shown = text_of(page)
        assert re.search(rf"{re.escape(str(tiny_kb))}/faq/gio-lam-viec\.md:\d+: ", shown), shown
        assert 'value="gio-lam-viec"' in page and ">Từ 7 giờ 30.</textarea>" in page  # the form is kept
        # A procedure's bad count is named with its file too.
        path = "/console/kb/entries/1.001193"
        _, page, _ = await client.get(path)
        status, page, _ = await client.post(path, with_fields(form_fields(page, path), doc_originals="hai"))
        assert status == 422 and "1.001193.md: `documents` item 1: originals must be a whole number" in text_of(page)
        assert snapshot(tiny_kb) == before and bot.app.kb_figures()["kb_fingerprint"] == fingerprint
        # An id another entry has is never overwritten from the new-FAQ form.
        _, page, _ = await client.get("/console/kb/new")
        status, page, _ = await client.post(
            "/console/kb/new", with_fields(form_fields(page, "/console/kb/new"), id="vneid", question="Hỏi?")
        )
        assert status == 409 and catalogue.CONSOLE_KB_ID_TAKEN.format(entry_id="vneid") in html_lib.unescape(page)
        assert snapshot(tiny_kb) == before


@async_test
async def test_uploads_install_a_valid_zip_and_refuse_a_broken_or_too_large_one(tmp_path: Path, tiny_kb: Path) -> None:
    good = TINY_FAQ.replace("id: vneid", "id: gio-lam-viec").replace("Làm thế nào", "Phường làm việc giờ nào")
    async with Running(tmp_path, tiny_kb) as bot:
        async with await admin_client(bot) as client:
            _, page, _ = await client.get("/console/kb/upload")
            token = csrf_token(page)
            status, _, response = await client.upload(
                "/console/kb/upload", "moi.zip", zip_of({"kb/faq/gio-lam-viec.md": good}), token=token
            )
            assert status == 303 and response.headers["Location"] == "/console/kb"
            _, page, _ = await client.get("/console/kb")
            assert catalogue.CONSOLE_KB_UPLOADED.format(name="moi.zip", entries=4) in html_lib.unescape(page)
            assert "gio-lam-viec" in listed_ids(page) and served_faq(bot, "gio-lam-viec")

            before, fingerprint = snapshot(tiny_kb), bot.app.kb_figures()["kb_fingerprint"]
            broken = good.replace("id: gio-lam-viec", "id: hong").replace("kind: faq", "kind: faqs")
            files = {"faq/hong.md": broken, "faq/ok.md": good.replace("gio-lam-viec", "ok")}
            status, page, _ = await client.upload("/console/kb/upload", "hong.zip", zip_of(files), token=token)
            assert status == 422
            assert "faq/hong.md:2: field `kind` must be 'procedure' or 'faq', got 'faqs'" in html_lib.unescape(page)
            assert snapshot(tiny_kb) == before and bot.app.kb_figures()["kb_fingerprint"] == fingerprint

            status, page, _ = await client.upload("/console/kb/upload", "dvc.jsonl", b"{}\n", token=token)
            assert status == 422 and "dvc.jsonl: the national layer is switched off" in text_of(page)
            status, page, _ = await client.upload("/console/kb/upload", "ghi-chu.txt", b"x", token=token)
            assert status == 422 and "ghi-chu.txt: " in text_of(page)

            status, page, _ = await client.upload(
                "/console/kb/upload", "lon.zip", b"\0" * (UPLOAD_MAX_BYTES + 1), token=token
            )
            assert status == 413
            assert catalogue.CONSOLE_TOO_LARGE.format(megabytes=UPLOAD_MAX_BYTES >> 20) in html_lib.unescape(page)
            assert 'href="/console/kb/upload"' in page
            assert snapshot(tiny_kb) == before
        actions = [(action, target) for action, target, _ in await audit_entries(bot)]
        assert actions.count(("kb.upload", "moi.zip")) == 1 and ("kb.upload", "hong.zip") not in actions


@async_test
async def test_validate_and_reload_show_every_problem_while_the_old_kb_answers(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        async with await admin_client(bot) as client:
            _, page, _ = await client.get("/console/kb/check")
            assert catalogue.CONSOLE_KB_VALID in page
            token = csrf_token(page)
            status, _, _ = await client.post("/console/kb/reload", {}, token=token)
            _, page, _ = await client.get("/console/kb")
            assert status == 303 and catalogue.CONSOLE_KB_RELOADED.format(entries=3) in page
            assert catalogue.CONSOLE_KB_RELOAD_OUTCOMES["reloaded"] in page

            fingerprint = bot.app.kb_figures()["kb_fingerprint"]
            broken = tiny_kb / "procedures" / "1.000894.md"
            broken.write_text(broken.read_text(encoding="utf-8").replace("channel: in_person", "channel: fax"))
            _, page, _ = await client.get("/console/kb/check")
            problem = re.search(rf"{re.escape(str(broken))}:\d+: [^<]*fax", page)
            assert problem, text_of(page)
            await client.post("/console/kb/reload", {}, token=token)
            _, page, _ = await client.get("/console/kb")
            assert html_lib.escape(catalogue.CONSOLE_KB_RELOAD_REFUSED, quote=False) in page
            assert problem.group(0) in page  # the last reload's problems, in the status
            assert bot.app.kb_figures()["kb_fingerprint"] == fingerprint  # the old KB still answers
        assert [d for a, _, d in await audit_entries(bot) if a == "kb.reload"] == ["refused", "reloaded"]


@async_test
async def test_a_question_the_bot_could_not_answer_becomes_an_faq_and_leaves_the_queue(
    tmp_path: Path, tiny_kb: Path
) -> None:
    question = "Xin giấy phép nuôi chó ở đâu? <script>alert(1)</script>"
    async with Running(tmp_path, tiny_kb) as bot:
        assert bot.app.storage is not None
        await turn(bot.app.storage, bot.clock, question, outcome="abstained", user="a")
        latest = "xin giay phep nuoi cho o dau <script>alert(1)</script>"
        await turn(bot.app.storage, bot.clock, latest, outcome="abstained", user="b")
        async with await admin_client(bot) as client:
            _, page, _ = await client.get("/console/kb/feedback")
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
            assert catalogue.CONSOLE_KB_FEEDBACK_TIMES.split(" ")[0].format(count=2) in text_of(page)
            link = re.search(r'href="(/console/kb/new\?feedback=[0-9a-f]+)"', page)
            assert link and catalogue.CONSOLE_KB_FEEDBACK_NEW_FAQ in page
            _, page, _ = await client.get(link.group(1))
            fields = form_fields(page, "/console/kb/new")
            prefilled = dict(fields)
            assert prefilled["id"].startswith("xin-giay-phep-nuoi-cho-o-dau") and prefilled["question"] == latest
            answer = "Nuôi chó không cần giấy phép; hãy tiêm phòng dại tại trạm thú y phường."
            fields = with_fields(
                fields,
                id="nuoi-cho",
                question="Nuôi chó có cần xin giấy phép không?",
                answer=answer,
                law_number="13/2020/NĐ-CP",
                law_name="Nghị định hướng dẫn Luật Chăn nuôi",
            )
            status, page, response = await client.post("/console/kb/new", fields)
            assert status == 303 and response.headers["Location"] == "/console/kb/entries/nuoi-cho", text_of(page)
            assert served_faq(bot, "nuoi-cho").answer == answer
            _, page, _ = await client.get("/console/kb/feedback")
            assert catalogue.CONSOLE_KB_FEEDBACK_EMPTY in page
        entries = await audit_entries(bot)
        assert ("kb.create", "nuoi-cho", "reloaded") in entries
        assert ("kb.feedback_handled", "nuoi-cho", "unanswered") in entries
        assert not any("chó" in detail or "chó" in target for _, target, detail in entries)


@async_test
async def test_officials_and_leaders_cannot_open_or_change_the_knowledge_base(tmp_path: Path, tiny_kb: Path) -> None:
    async with Running(tmp_path, tiny_kb) as bot:
        await bot.add_user("admin", "admin")
        before = snapshot(tiny_kb)
        for role in ("official", "leader"):
            await bot.add_user(role, role)
            async with bot.client() as client:
                await client.login(role)
                for path in ("/console/kb", "/console/kb/entries/vneid", "/console/kb/feedback", "/console/kb/upload"):
                    status, page, _ = await client.get(path)
                    assert status == 403 and catalogue.CONSOLE_FORBIDDEN in page, (role, path)
                _, page, _ = await client.get("/console/")
                token = csrf_token(page)
                for path in ("/console/kb/reload", "/console/kb/entries/vneid", "/console/kb/new"):
                    status, _, _ = await client.post(path, {"kind": "faq", "answer": "x"}, token=token)
                    assert status == 403, (role, path)
                status, _, _ = await client.upload(
                    "/console/kb/upload", "a.zip", zip_of({"faq/a.md": "x"}), token=token
                )
                assert status == 403
                # Nor may they send the admins' larger uploads: their bodies stop at aiohttp's 1 MiB.
                status, _, _ = await client.upload("/console/kb/upload", "a.zip", b"\0" * (2 << 20), token=token)
                assert status == 413
        assert snapshot(tiny_kb) == before


@async_test
async def test_a_national_procedure_is_read_only_and_its_ward_copy_overrides_it(tmp_path: Path, tiny_kb: Path) -> None:
    bot = Running(tmp_path, tiny_kb)
    bot.config = dataclasses.replace(bot.config, knowledge=KnowledgeSettings(paths=(str(tiny_kb),), national=True))
    install_national_layer(PORTAL, bot.config.national_dir / bundled_national_path().name)
    bot.app = application(bot.config, bot.clock)
    code, address = "1.004194", "Bộ phận Một cửa, tầng 1, trụ sở Công an phường Mẫu"
    async with bot, await admin_client(bot) as client:
        _, page, _ = await client.get("/console/kb?kind=national&q=tam tru")
        assert listed_ids(page) == [code]
        status, page, _ = await client.get(f"/console/kb/entries/{code}")
        assert status == 200 and catalogue.CONSOLE_KB_NATIONAL_TITLE in page
        assert f'action="/console/kb/entries/{code}"' not in page  # no edit form, only the way to a copy
        status, page, _ = await client.get(f"/console/kb/entries/{code}/override")
        fields = form_fields(page, f"/console/kb/entries/{code}")
        assert dict(fields)["base_hash"] == ""
        status, _, _ = await client.post(f"/console/kb/entries/{code}", with_fields(fields, filing_address=address))
        assert status == 303
        saved = load_entry_file(tiny_kb / "procedures" / f"{code}.md")
        assert isinstance(saved, Procedure) and saved.filing_address == address
        assert bot.app.dialogue is not None
        served = bot.app.dialogue.engine.kb.get(code)
        assert isinstance(served, Procedure) and served.filing_address == address
        _, page, _ = await client.get("/console/kb?q=tam tru")
        assert listed_ids(page) == [code] and catalogue.CONSOLE_KB_OVERRIDES in page
        status, page, _ = await client.get(f"/console/kb/entries/{code}")
        assert status == 200 and catalogue.CONSOLE_KB_EDIT_PROCEDURE in page
    assert ("kb.override", code, "reloaded") in await audit_entries(bot)

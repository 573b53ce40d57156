"""A citizen's personal data: the ``[privacy]`` settings, the retention purge that leaves the
reports' figures as they were, erasure asked for in the chat (and what must not trigger it),
a contact taken back, and ``wardbot privacy export`` / ``erase``."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

import pytest
from fakes.aio import async_test, wait_until
from fakes.channels import CollectingChannel
from fakes.clocks import ManualClock
from fakes.embedders import HashingEmbedder
from test_report import fill_bot, fill_tickets, report_of, vn

from bot._app import Application
from bot._config import Config, ConfigError, HttpSettings, KnowledgeSettings, PrivacySettings, load_config
from bot.channels import UPLOADS_DIR
from bot.cli import main
from bot.privacy import AUDIT_FILE, Privacy
from bot.storage import Storage
from handlers import IncomingMessage, IntentKind, Reply, catalogue, detect_intent, parse_callback
from handlers._intent import Erase, erase_data, intake_data, vote_data
from tickets import REDACTED, Category, Status, TicketStore

# --- the request in the chat: what triggers it, and what must not ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "xóa dữ liệu của tôi",
        "xoa du lieu cua toi",
        "xóa thông tin của tôi",
        "tôi muốn xóa hết dữ liệu",
        "Xoá dữ liệu cá nhân của tôi",  # the other spelling of "xóa"
        "XÓA DỮ LIỆU CỦA TÔI!",
        "làm sao để xóa dữ liệu của tôi?",
        "yêu cầu xóa thông tin cá nhân",
        "xóa giúp tôi toàn bộ tin nhắn",
        "xóa lịch sử trò chuyện",
        "cho tôi xóa số điện thoại đã gửi",
        "bot có lưu dữ liệu của tôi không, xóa đi",
    ],
)
def test_asking_to_erase_ones_data_is_the_erase_intent(text: str) -> None:
    assert detect_intent(text) == Erase()  # a request, which the citizen is then asked to confirm


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # Procedures that erase something else, and questions about data.
        ("xóa đăng ký thường trú", IntentKind.QUESTION),
        ("thủ tục xóa đăng ký tạm trú", IntentKind.QUESTION),
        ("xóa án tích cần gì", IntentKind.QUESTION),
        ("xóa thông tin thế chấp", IntentKind.QUESTION),
        ("xóa đăng ký thế chấp quyền sử dụng đất", IntentKind.QUESTION),
        ("đăng ký xóa thông tin hộ tịch", IntentKind.QUESTION),
        ("tôi muốn xóa tên khỏi sổ hộ khẩu", IntentKind.QUESTION),
        ("xóa dữ liệu dân cư bị sai thì làm thế nào", IntentKind.QUESTION),
        ("xóa số điện thoại trên VNeID", IntentKind.QUESTION),
        ("làm sao xóa tài khoản VNeID", IntentKind.QUESTION),
        ("cập nhật thông tin cá nhân trên VNeID", IntentKind.QUESTION),
        ("dữ liệu của tôi được bảo mật thế nào", IntentKind.QUESTION),
        ("thông tin của tôi bị sai", IntentKind.QUESTION),
        # Ending a conversation stays what it was.
        ("xóa hết", IntentKind.RESET),
        ("hủy", IntentKind.RESET),
    ],
)
def test_ordinary_messages_about_erasing_or_data_are_not_the_erase_intent(text: str, kind: IntentKind) -> None:
    assert detect_intent(text).kind is kind


def test_the_confirmations_buttons_carry_their_answer() -> None:
    assert parse_callback(erase_data("confirm")) == Erase(confirm=True)
    assert parse_callback(erase_data("keep")) == Erase(confirm=False)
    assert parse_callback(erase_data("everything")) is None


# --- settings ------------------------------------------------------------------------------------------


def test_privacy_settings_default_and_are_read_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.toml"
    path.write_text("[privacy]\nmessages_days = 30\npurge_every_hours = 1\n", encoding="utf-8")
    assert load_config(path, environ={}).privacy == PrivacySettings(messages_days=30, purge_every_hours=1.0)
    assert PrivacySettings() == PrivacySettings(90, 30, 180, 30, 180, 6.0)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("messages_days = 0", "privacy.messages_days"),
        ("closed_tickets_days = -1", "privacy.closed_tickets_days"),
        ("purge_every_hours = 0", "privacy.purge_every_hours"),
        ('uploads_days = "30"', "privacy.uploads_days"),
        ("messages_days = 1.5", "privacy.messages_days"),
        ("forever = true", "privacy.forever"),
    ],
)
def test_a_wrong_privacy_setting_stops_the_start_naming_its_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bot.toml"
    path.write_text(f"[privacy]\n{text}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.key == key


# --- the retention purge ------------------------------------------------------------------------------

PHOTO = "web-photo:{}.jpg"


def upload(data: Path, name: str, modified: dt.datetime) -> Path:
    path = data / UPLOADS_DIR / f"{name * 64}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"jpeg")
    os.utime(path, (modified.timestamp(), modified.timestamp()))
    return path


async def add_personal_data(data: Path) -> None:
    """Beside the report's quarter: a closed ticket with a contact, an address and a photo, an
    open one with a photo, and a report being taken that holds a photo."""
    clock = ManualClock(vn(5, 4, 9).astimezone(dt.UTC))
    async with await TicketStore.open(data / "tickets.sqlite3", clock=clock) as store:
        closed = await store.create(
            Category.FEEDBACK,
            channel="web",
            chat_id="session-of-lan-0001",
            user="lan",
            text="Cống tắc, gọi 0905 123 456",
            due_at=vn(5, 18, 17),
            address="ngõ 7 Hùng Vương",
            photo=PHOTO.format("a" * 64),
            contact="Lan 0905 123 456",
            contact_consent=True,
        )
        await store.reply(closed.code, "Đã thông cống", actor="cli:an", expected_version=None)
        await store.close_ticket(closed.code, actor="cli:an", expected_version=None)
        await store.create(
            Category.FEEDBACK, channel="web", chat_id="s2", user="minh", text="Cây đổ", due_at=vn(9, 30, 17),
            photo=PHOTO.format("b" * 64),
        )  # fmt: skip
    async with await Storage.open(data / "wardbot.sqlite3", pseudonym_key=b"k", clock=clock) as storage:
        await storage.save_state(("web", "s3"), {"intake": {"step": "consent", "photo": PHOTO.format("e" * 64)}})
        clock.now = dt.datetime(2026, 9, 30, tzinfo=dt.UTC)
        await storage.save_state(("web", "s4"), {"intake": {"step": "consent", "photo": PHOTO.format("f" * 64)}})


def bot_rows(data: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(data / "wardbot.sqlite3") as db:
        return db.execute(sql).fetchall()


async def purge(data: Path, now: dt.datetime) -> dict[str, int]:
    settings = PrivacySettings(closed_tickets_days=90)
    async with (
        await Storage.open(data / "wardbot.sqlite3", pseudonym_key=b"k") as storage,
        await TicketStore.open(data / "tickets.sqlite3") as tickets,
    ):
        return await Privacy(storage, tickets, settings, data_dir=data, clock=lambda: now).purge()


async def log_stats(data: Path):
    async with await Storage.open(data / "wardbot.sqlite3", pseudonym_key=b"k") as storage:
        return await storage.log_stats()


@async_test
async def test_a_purge_deletes_expired_personal_data_and_leaves_the_reports_figures(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    await fill_tickets(data / "tickets.sqlite3")
    await fill_bot(data / "wardbot.sqlite3")
    await add_personal_data(data)
    old, recent = dt.datetime(2026, 6, 1, tzinfo=dt.UTC), dt.datetime(2026, 9, 30, tzinfo=dt.UTC)
    photos = {name: upload(data, name, old) for name in "abcef"} | {"d": upload(data, "d", recent)}
    report, stats = report_of(data), await log_stats(data)

    # 1/10: the quarter's messages are past 90 days, its unanswered questions not past 180.
    counts = await purge(data, dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    assert report_of(data) == report and await log_stats(data) == stats
    # The report's nine turns, each with its reply; its four votes; March's unanswered question;
    # the report taken since May; the quarter's five closed tickets and the one added.
    assert counts == {
        "messages": 9, "replies": 9, "abstentions": 0, "votes": 4, "web_replies": 0, "unanswered": 1,
        "conversations": 1, "tickets": 6, "photos": 3,
    }  # fmt: skip
    # Only the abstention's text is left: the report lists it among the unanswered questions.
    assert set(bot_rows(data, "SELECT chat_id, user, text FROM messages")) == {("", "", ""), ("", "", "q")}
    assert bot_rows(data, "SELECT COUNT(*) FROM outbox") == [(0,)]
    assert bot_rows(data, "SELECT DISTINCT user FROM compliance_log UNION SELECT DISTINCT user FROM votes") == [("",)]
    assert bot_rows(data, "SELECT chat_id FROM conversations") == [("s4",)]
    # Gone: the closed ticket's photo (a), an old one of no ticket (c), one of a state purged (e).
    assert {name for name, path in photos.items() if path.exists()} == {"b", "d", "f"}
    async with await TicketStore.open(data / "tickets.sqlite3") as store:
        tickets = await store.list()
    redacted = [t for t in tickets if t.redacted_at is not None]
    assert all(t.status is Status.CLOSED for t in redacted) and len(redacted) == 6
    (lan,) = [t for t in redacted if t.channel == "web" and t.address is None and "Cống" in t.text]
    assert (lan.contact, lan.photo, lan.chat_id, lan.user) == (None, None, "", "")
    assert lan.text == f"Cống tắc, gọi {REDACTED}"
    assert await purge(data, dt.datetime(2026, 10, 1, tzinfo=dt.UTC)) == dict.fromkeys(counts, 0)

    # 1/1/2027: the quarter's unanswered questions are past 180 days too; only that list is gone.
    await purge(data, dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert report_of(data) == dataclasses.replace(report, bot=dataclasses.replace(report.bot, top_unanswered=()))
    assert await log_stats(data) == stats
    assert bot_rows(data, "SELECT DISTINCT text FROM messages") == [("",)]
    audit = [json.loads(line) for line in (data / AUDIT_FILE).read_text(encoding="utf-8").splitlines()]
    assert [(entry["action"], entry["tickets"]) for entry in audit] == [("purge", 6), ("purge", 0)]
    assert report.bot.top_unanswered and report.received  # the figures compared were not empty


# --- erasure in the chat, and a contact taken back ------------------------------------------------------


class Chat:
    """The whole bot (pipeline, dialogue, ticket desk, privacy) on a collecting channel."""

    def __init__(self, tmp_path: Path, kb: Path) -> None:
        self.data = tmp_path / "data"
        self.channel = CollectingChannel()
        config = Config(
            data_dir=self.data,
            knowledge=KnowledgeSettings(paths=(str(kb),), national=False),
            http=HttpSettings(port=0),
        )
        self.app = Application(
            config, channels=[self.channel], serve_http=False, embedder=HashingEmbedder(), progress=False
        )

    async def say(self, chat: str, text: str = "", *, button: str = "", attachment: str = "") -> Reply:
        """Send as the user of ``chat``; the last reply of the turn."""
        before = len(self.channel.sent)
        message = IncomingMessage("test", chat, f"user-{chat}", text=text, callback_data=button, attachment=attachment)
        await self.channel.dispatch(message)
        await wait_until(lambda: len(self.channel.sent) > before, what=f"a reply to {text or button!r}")
        return self.channel.sent[-1][1]

    async def file_report(self, chat: str, contact: str) -> None:
        await self.say(chat, "tôi muốn phản ánh")
        await self.say(chat, "Ổ gà to ở ngõ 12 Lê Lợi")
        await self.say(chat, attachment=PHOTO.format("c" * 64))
        assert (await self.say(chat, button=intake_data("consent"))).text == catalogue.INTAKE_ASK_CONTACT
        assert contact in (await self.say(chat, contact)).text  # the summary

    def texts_stored(self) -> str:
        """Every message text, payload and reply the bot's store holds, as one string."""
        rows = bot_rows(
            self.data, "SELECT text || COALESCE(payload, '') FROM messages UNION ALL SELECT reply FROM outbox"
        )
        return "\n".join(row[0] for row in rows)


@async_test
async def test_a_citizen_erases_their_data_from_the_chat_and_gets_a_receipt(tmp_path: Path, tiny_kb: Path) -> None:
    chat = Chat(tmp_path, tiny_kb)
    photo = upload(chat.data, "c", dt.datetime.now(dt.UTC))
    await chat.app.start()
    try:
        await chat.say("other", "xin chào")
        await chat.file_report("c1", "Chị Lan 0905 123 456")
        filed = await chat.say("c1", button=intake_data("confirm"))
        (ticket,) = await chat.app.tickets.list()
        assert ticket.code in filed.text and ticket.contact == "Chị Lan 0905 123 456"
        await chat.say("c1", button=vote_data("1.001193", True))

        asked = await chat.say("c1", "xoa du lieu cua toi")
        assert asked.text == catalogue.ERASE_ASK.format(ward_name="Phường Mẫu")
        assert [b.data for row in asked.buttons for b in row] == [erase_data("confirm"), erase_data("keep")]
        assert (await chat.say("c1", button=erase_data("keep"))).text == catalogue.ERASE_KEPT
        assert (await chat.say("c1", button=erase_data("confirm"))).text == catalogue.EXPIRED  # asked no more
        await chat.say("c1", "xóa thông tin của tôi")
        await chat.say("c1", "xin chào")
        assert (await chat.say("c1", button=erase_data("confirm"))).text == catalogue.EXPIRED  # moved on since
        await chat.say("c1", "tôi muốn xóa hết dữ liệu")
        receipt = (await chat.say("c1", "1")).text  # the confirm button, by its number

        # The official answers the ticket after the erasure: it cannot be sent, it can be looked up.
        sent = len(chat.channel.sent)
        await chat.app.tickets.reply(ticket.code, "Đã vá ổ gà", actor="cli:an", expected_version=None)
        await chat.app.ticket_service.deliver_answers()
        assert len(chat.channel.sent) == sent
        lookup = await chat.say("c1", f"tra cứu {ticket.code} {ticket.secret}")
        redacted = await chat.app.tickets.get(ticket.code)
    finally:
        await chat.app.stop()

    lines = receipt.splitlines()
    assert lines[0] == "Tôi đã xóa dữ liệu của anh/chị trên kênh này."
    code = lines[1].removeprefix("• Mã biên nhận: ")
    assert code.startswith("XD-") and len(code) == 13
    # Fourteen messages before the one that confirmed, each with its reply: the report's six (its
    # photo one of them), the vote, three requests, and between them "keep", a greeting and two
    # stale confirmations.
    assert lines[3] == catalogue.ERASE_DONE_MESSAGES.format(messages=14, replies=14, unanswered=0, photos=1)
    assert lines[4] == catalogue.ERASE_DONE_VOTES.format(votes=1)
    assert ticket.code in lines[5] and lines[-1] == catalogue.ERASE_DONE_KEEP
    assert not photo.exists()
    assert (redacted.contact, redacted.address, redacted.photo, redacted.chat_id) == (None, None, None, "")
    assert redacted.status is Status.ANSWERED and redacted.delivery == "failed"
    assert "Đã vá ổ gà" in lookup.text
    stored = chat.texts_stored()
    for personal in ("0905 123 456", "Lê Lợi", "Chị Lan", "xoa du lieu"):
        assert personal not in stored, personal
    assert "xin chào" in stored  # the other citizen's messages are theirs, untouched
    on_disk = b"".join(p.read_bytes() for p in chat.data.glob("*.sqlite3*"))
    assert b"0905 123 456" not in on_disk and "Lê Lợi".encode() not in on_disk
    (entry,) = [json.loads(line) for line in (chat.data / AUDIT_FILE).read_text(encoding="utf-8").splitlines()]
    assert entry["action"] == "erase" and entry["receipt"] == code and entry["tickets"] == [ticket.code]
    assert not {"c1", "user-c1", "0905", "Lan"} & {str(value) for value in entry.values()}


@async_test
async def test_a_contact_taken_back_leaves_the_stored_messages(tmp_path: Path, tiny_kb: Path) -> None:
    chat = Chat(tmp_path, tiny_kb)
    await chat.app.start()
    try:
        # Anonymous after all: edit the contact, then choose to send anonymously.
        await chat.file_report("c1", "Anh Minh 0912 345 678")
        await chat.say("c1", button=intake_data("edit"))
        await chat.say("c1", button=intake_data("edit_contact"))
        summary = await chat.say("c1", button=intake_data("anonymous"))
        assert catalogue.INTAKE_ANONYMOUS in summary.text
        await chat.say("c1", button=intake_data("confirm"))
        # The report given up: a typed "hủy" after the contact.
        await chat.file_report("c2", "chị Hoa, hoa@example.vn")
        assert (await chat.say("c2", "hủy")).text == catalogue.INTAKE_CANCELLED
        (ticket,) = await chat.app.tickets.list()
    finally:
        await chat.app.stop()

    assert ticket.anonymous
    stored = chat.texts_stored()
    for withdrawn in ("Anh Minh", "0912 345 678", "chị Hoa", "hoa@example.vn"):
        assert withdrawn not in stored, withdrawn
    assert stored.count(REDACTED) >= 4  # each typed contact and each summary that repeated it
    assert "Ổ gà to ở ngõ 12 Lê Lợi" in stored  # the rest of the report is not the contact


@async_test
async def test_the_bot_purges_when_it_starts(tmp_path: Path, tiny_kb: Path) -> None:
    chat = Chat(tmp_path, tiny_kb)
    month_ago = ManualClock(dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    async with await Storage.open(chat.data / "wardbot.sqlite3", pseudonym_key=b"k", clock=month_ago) as storage:
        await storage.save_state(("test", "idle"), {"entry_id": "1.001193"})
    audit = chat.data / AUDIT_FILE
    await chat.app.start()
    try:
        await wait_until(audit.exists, what="the purge at start")
    finally:
        await chat.app.stop()
    assert json.loads(audit.read_text(encoding="utf-8"))["conversations"] == 1
    assert bot_rows(chat.data, "SELECT COUNT(*) FROM conversations") == [(0,)]


# --- wardbot privacy export / erase ----------------------------------------------------------------------


def test_wardbot_privacy_exports_then_erases_a_users_data(
    tmp_path: Path, tiny_kb: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    chat = Chat(tmp_path, tiny_kb)

    async def talk() -> None:
        await chat.app.start()
        try:
            await chat.file_report("c1", "Chị Lan 0905 123 456")
            await chat.say("c1", button=intake_data("confirm"))
            await chat.say("c1", button=vote_data("1.001193", False))
        finally:
            await chat.app.stop()

    asyncio.run(talk())
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(chat.data))
    monkeypatch.chdir(tmp_path)  # no ./bot.toml: defaults

    def run(*argv: str) -> dict:
        assert main(["privacy", *argv, "--channel", "test", "--user", "user-c1", "--chat", "c1"]) == 0
        return json.loads(capsys.readouterr().out)

    copy = run("export")
    assert [m["text"] for m in copy["messages"]][:2] == ["tôi muốn phản ánh", "Ổ gà to ở ngõ 12 Lê Lợi"]
    assert copy["messages"][0]["replies"] == [catalogue.INTAKE_ASK_WHAT]
    assert copy["votes"] == [{"voted_at": copy["votes"][0]["voted_at"], "entry_id": "1.001193", "helpful": False}]
    (ticket,) = copy["tickets"]
    assert ticket["contact"] == "Chị Lan 0905 123 456" and "secret" not in ticket
    assert [e["kind"] for e in ticket["events"]] == ["create"] and "secret" not in ticket["events"][0]["data"]

    receipt = run("erase")
    assert receipt["tickets"] == [ticket["code"]] and receipt["messages"] == len(copy["messages"])
    assert receipt["receipt"].startswith("XD-") and receipt["votes"] == 1

    after = run("export")
    assert (after["messages"], after["tickets"], after["votes"], after["unanswered"]) == ([], [], [], [])
    (entry,) = [json.loads(line) for line in (chat.data / AUDIT_FILE).read_text(encoding="utf-8").splitlines()]
    assert entry["actor"].startswith("cli:") and entry["receipt"] == receipt["receipt"]

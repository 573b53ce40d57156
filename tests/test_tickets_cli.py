"""``wardbot tickets``: officials list, read, answer and close tickets from a terminal."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from fakes.clocks import ManualClock

from bot.cli import main
from tickets import Category, Status, Ticket, TicketStore

DUE = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def store_path(tmp_path, monkeypatch) -> Path:
    """No bot.toml of the repository; the tickets file where the CLI looks for it; lan at the keyboard."""
    config = tmp_path / "bot.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("WARDBOT_CONFIG", str(config))
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("getpass.getuser", lambda: "lan")
    return tmp_path / "data" / "tickets.sqlite3"


def in_store(path: Path, action) -> object:
    async def run() -> object:
        async with await TicketStore.open(path, clock=ManualClock()) as store:
            return await action(store)

    return asyncio.run(run())


def seed(path: Path) -> tuple[Ticket, Ticket]:
    """A new feedback ticket and an answered question."""

    async def create(store: TicketStore) -> tuple[Ticket, Ticket]:
        common = {"channel": "telegram", "chat_id": "chat-1", "user": "pseudonym-1", "due_at": DUE}
        feedback = await store.create(Category.FEEDBACK, text="Đèn đường hỏng", address="12 Lê Lợi", **common)
        question = await store.create(Category.QUESTION, text="Phí cấp bản sao?", **common)
        question = await store.reply(question.code, "Miễn phí.", actor="minh", expected_version=question.version)
        return feedback, question

    return in_store(path, create)


def test_list_prints_a_table_with_vietnamese_status_names(store_path, capsys) -> None:
    feedback, question = seed(store_path)
    assert main(["tickets", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["CODE", "STATUS", "CATEGORY", "ASSIGNEE", "RECEIVED", "DUE"]
    assert lines[1].split() == [feedback.code, "mới", "phản", "ánh", "-", "2026-11-20", "15:00", "2026-12-04", "17:00"]
    assert lines[2].startswith(question.code) and "đã trả lời" in lines[2] and "minh" in lines[2]
    assert lines[-1] == "2 ticket(s)"


def test_list_filters_by_status_and_prints_one_json_document(store_path, capsys) -> None:
    _, question = seed(store_path)
    assert main(["tickets", "list", "--status", "answered", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [t["code"] for t in document["tickets"]] == [question.code]
    assert document["tickets"][0]["answer"] == "Miễn phí." and "secret" not in document["tickets"][0]


def test_list_of_an_empty_store_and_a_wrong_status(store_path, capsys) -> None:
    assert main(["tickets", "list"]) == 0
    assert capsys.readouterr().out == "No tickets.\n"
    with pytest.raises(SystemExit):
        main(["tickets", "list", "--status", "lost"])


def test_show_prints_contents_and_history_without_the_lookup_secret(store_path, capsys) -> None:
    _, question = seed(store_path)
    assert main(["tickets", "show", question.code.lower()]) == 0
    out = capsys.readouterr().out
    assert "Phí cấp bản sao?" in out and "Answer (not delivered yet): Miễn phí." in out
    assert "minh  reply" in out and question.secret not in out
    assert main(["tickets", "show", question.code, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [e["kind"] for e in document["events"]] == ["create", "reply"]
    assert question.secret not in json.dumps(document)


def test_reply_then_close_records_events_by_the_os_user(store_path, capsys) -> None:
    feedback, _ = seed(store_path)
    assert main(["tickets", "reply", feedback.code, "Đã thay bóng đèn."]) == 0
    assert main(["tickets", "close", feedback.code]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"{feedback.code}: đã đóng"

    async def read(store: TicketStore) -> tuple[Ticket, list]:
        return await store.get(feedback.code), await store.events(feedback.code)

    ticket, events = in_store(store_path, read)
    assert (ticket.status, ticket.answer, ticket.assignee) == (Status.CLOSED, "Đã thay bóng đèn.", "cli:lan")
    assert [(e.kind.value, e.actor) for e in events[1:]] == [("reply", "cli:lan"), ("close", "cli:lan")]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["close", "PA-2026-000001"], "PA-2026-000001: cannot close a ticket that is new (only when answered)"),
        (["reply", "HD-2026-000002", "Lần nữa"], "HD-2026-000002: cannot reply to a ticket that is answered"),
        (["show", "PA-2026-999999"], "no ticket 'PA-2026-999999'"),
        (["close", "PA-2026-999999"], "no ticket 'PA-2026-999999'"),
    ],
)
def test_errors_are_one_line_and_exit_1(store_path, capsys, command, message) -> None:
    seed(store_path)
    assert main(["tickets", *command]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith(f"wardbot: {message}")


def test_an_answer_given_meanwhile_is_not_replaced(store_path, capsys, monkeypatch) -> None:
    """Another official answers between the CLI's read and its write: the CLI's answer is refused."""
    feedback, _ = seed(store_path)
    original_get = TicketStore.get

    async def get_then_someone_answers(store: TicketStore, code: str) -> Ticket:
        seen = await original_get(store, code)
        await store.reply(code, "Trả lời của Minh", actor="minh", expected_version=seen.version)
        return seen

    monkeypatch.setattr(TicketStore, "get", get_then_someone_answers)
    assert main(["tickets", "reply", feedback.code, "Trả lời của Lan"]) == 1
    # The officials' one conflict message, as the group and the web console give it.
    assert capsys.readouterr().err == (
        f"wardbot: ⚠️ {feedback.code} vừa được người khác thay đổi (nay: đã có trả lời · minh). "
        "Anh/chị xem lại phiếu rồi thử lại.\n"
    )
    monkeypatch.undo()
    assert in_store(store_path, lambda store: store.get(feedback.code)).answer == "Trả lời của Minh"


MAP = "https://www.openstreetmap.org/?mlat=21.02850&mlon=105.85420#map=18/21.02850/105.85420"


def test_show_gives_a_web_photo_as_its_file_and_a_location_with_its_map_link(store_path, capsys) -> None:
    from bot.channels import store_photo

    uploads = store_path.parent / "uploads"
    attachment = store_photo(uploads, b"\xff\xd8 a stored photo")  # stored as the web channel stores one

    async def create(store: TicketStore) -> Ticket:
        common = {"chat_id": "s1", "user": "pseudonym-1", "due_at": DUE}
        await store.create(Category.FEEDBACK, text="Cây đổ", channel="telegram", photo="AgACAgIAAxkB", **common)
        return await store.create(
            Category.FEEDBACK, text="Ổ gà", channel="web", location=(21.0285, 105.8542), photo=attachment, **common
        )

    ticket = in_store(store_path, create)
    [photo] = uploads.iterdir()
    assert main(["tickets", "show", ticket.code]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"Location: 21.0285, 105.8542  {MAP}" in lines
    assert f"Photo: {photo.resolve()}" in lines

    assert main(["tickets", "show", ticket.code, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["links"] == {"map": MAP, "photo": str(photo.resolve())}
    assert document["ticket"]["photo"] == attachment  # the stored reference itself is unchanged

    photo.unlink()
    assert main(["tickets", "show", ticket.code]) == 0
    assert f"Photo: {photo} (missing)" in capsys.readouterr().out.splitlines()

    assert main(["tickets", "show", "PA-2026-000001"]) == 0  # a Telegram photo: only its file id
    out = capsys.readouterr().out
    assert "Photo: telegram file id AgACAgIAAxkB" in out.splitlines() and "openstreetmap" not in out

"""The dialogue's side of the input limits: a message a channel cut to its length limit is answered
with a polite word about it first (and the mark survives a restart in the message log), and
lookup-code guesses for a ticket the chat did not file are limited by the limiter the
application injects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fakes.aio import async_test
from fakes.clocks import SecondsClock
from fakes.engines import WARD_CONTACT, WARD_NAME, build_engine, make_dialogue, pseudonym

from bot._limits import Rate, RateLimiter
from bot.storage import Storage
from bot.testing import MemoryDialogueStore
from handlers import Dialogue, IncomingMessage
from handlers import _catalogue as catalogue
from retrieval import Decision
from tickets import Category, TicketDesk, TicketStore, WorkingCalendar

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # a Monday morning in the ward


@pytest.fixture
def abstaining(hashing_embedder):
    return build_engine(hashing_embedder, decision=Decision.ABSTAIN)


def said(chat: str, text: str, *, truncated: bool = False, number: int = 1) -> IncomingMessage:
    return IncomingMessage("test", chat, f"user-{chat}", text=text, message_id=f"{chat}-{number}", truncated=truncated)


@async_test
async def test_a_cut_message_is_answered_after_saying_it_was_cut(abstaining, tmp_path) -> None:
    async with await TicketStore.open(tmp_path / "tickets.sqlite3") as tickets:
        desk = TicketDesk(tickets, WorkingCalendar.from_file(), {})
        dialogue = make_dialogue(abstaining, desk)
        whole = await dialogue.handle(said("c1", "xin chào"))
        cut = await dialogue.handle(said("c2", "xin chào", truncated=True))
    notice, *answer = cut.replies
    assert notice.text == catalogue.TEXT_TRUNCATED.format(limit=len("xin chào"))
    assert "chia" in notice.text and "ngắn gọn" in notice.text  # send it in parts, or shorter
    assert answer == list(whole.replies) and cut.outcome is whole.outcome


@async_test
async def test_a_cut_message_stays_marked_in_the_message_log(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path / "wardbot.sqlite3", pseudonym_key=b"k" * 32) as storage:
        await storage.record_inbound(said("c1", "ư" * 2000, truncated=True))
        await storage.record_inbound(said("c2", "xin chào"))
        cut = await storage.next_unhandled(("test", "c1"))
        whole = await storage.next_unhandled(("test", "c2"))
    assert cut is not None and cut.message.truncated and cut.message.text == "ư" * 2000
    assert whole is not None and not whole.message.truncated


@async_test
async def test_lookup_code_guesses_of_a_chat_are_limited_and_its_own_tickets_are_not(abstaining, tmp_path) -> None:
    clock = SecondsClock()
    tickets = await TicketStore.open(tmp_path / "tickets.sqlite3")
    try:
        desk = TicketDesk(tickets, WorkingCalendar.from_file(), {})
        ticket = await desk.open_ticket(
            Category.FEEDBACK, channel="test", chat_id="filer", user="p", text="Ổ gà", received_at=NOW
        )
        dialogue = Dialogue(
            abstaining,
            MemoryDialogueStore(),
            ward_name=WARD_NAME,
            ward_contact=WARD_CONTACT,
            desk=desk,
            pseudonym=pseudonym,
            guess_limit=RateLimiter(Rate(burst=2, per_s=1 / 120), clock=clock).take,
        )

        async def ask(chat: str, text: str) -> str:
            (reply,) = (await dialogue.handle(said(chat, text))).replies
            return reply.text

        wrong, right = f"tra cứu {ticket.code} AAAA1111", f"tra cứu {ticket.code} {ticket.secret}"
        found = catalogue.LOOKUP_RESULT.split("\n")[0].format(code=ticket.code)  # "Phản ánh, câu hỏi PA-…:"
        too_many = catalogue.LOOKUP_TOO_MANY.format(minutes=2, ward_name=WARD_NAME, ward_contact=WARD_CONTACT)
        assert [await ask("guesser", wrong) for _ in range(2)] == [catalogue.LOOKUP_REFUSED] * 2
        assert await ask("guesser", right) == too_many  # even the right code waits: no oracle
        assert (await ask("other", right)).startswith(found)  # another chat has its own limit
        # The filer's own lookups are no guesses, however many.
        assert [(await ask("filer", f"tra cứu {ticket.code}")).startswith(found) for _ in range(5)] == [True] * 5
        clock.advance(120)
        assert (await ask("guesser", right)).startswith(found)
    finally:
        await tickets.close()

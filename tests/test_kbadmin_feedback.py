"""The feedback queue over a real store: unanswered questions and 👎 answers grouped by folded
question, newest first; the prefilled FAQ form; a handled question off the queue until asked again."""

from __future__ import annotations

from pathlib import Path

from fakes.aio import async_test
from fakes.clocks import ManualClock
from fakes.storage import turn

from bot.kbadmin import FeedbackQueue, KbAdmin
from bot.storage import Storage
from handlers import IncomingMessage


@async_test
async def test_queue_groups_folded_questions_newest_first_and_prefills_an_faq(tiny_kb: Path, tmp_path: Path) -> None:
    clock = ManualClock()
    async with await Storage.open(tmp_path / "bot.sqlite3", pseudonym_key=b"k" * 32, clock=clock) as storage:
        await turn(storage, clock, "Xin giấy phép nuôi chó ở đâu?", outcome="abstained", user="a")
        await turn(storage, clock, "Đăng ký khai sinh cần gì?", outcome="answered", entry_id="1.001193", user="b")
        await storage.record_vote(IncomingMessage("web", "chat-b", "b", callback_data="vote"), "1.001193", False)
        clock.advance(60)
        await turn(storage, clock, "xin giay phep nuoi cho o dau", outcome="abstained", user="c")
        await turn(storage, clock, "Giờ làm việc của phường?", outcome="answered", entry_id="vneid", user="d")
        await storage.record_vote(IncomingMessage("web", "chat-d", "d", callback_data="vote"), "vneid", True)
        admin = KbAdmin(tiny_kb)
        queue = FeedbackQueue(storage, admin, clock=clock)

        items = await queue.items()
        assert [(i.kind, i.question, i.count, i.entry_ids) for i in items] == [
            ("unanswered", "xin giay phep nuoi cho o dau", 2, ()),
            ("disliked", "Đăng ký khai sinh cần gì?", 1, ("1.001193",)),
        ]
        assert items[0].last_at > items[1].last_at > items[0].first_at

        form = await queue.new_faq(items[0])
        assert (form.id, form.question, form.answer) == ("xin-giay-phep-nuoi-cho-o-dau", items[0].question, "")
        (tiny_kb / "faq" / f"{form.id}.md").write_text("taken", encoding="utf-8")
        assert (await queue.new_faq(items[0])).id == "xin-giay-phep-nuoi-cho-o-dau-2"

        await queue.mark_handled(items[0], faq_id=form.id)
        assert [i.kind for i in await queue.items()] == ["disliked"]
        (handled,) = [i for i in await queue.items(include_handled=True) if i.kind == "unanswered"]
        assert (handled.faq_id, handled.handled_at) == (form.id, clock())

        clock.advance(60)
        await turn(storage, clock, "XIN GIẤY PHÉP NUÔI CHÓ Ở ĐÂU?!", outcome="abstained", user="e")
        again = await queue.items()
        assert [(i.kind, i.count) for i in again] == [("unanswered", 3), ("disliked", 1)]
        clock.advance(91 * 86400)
        assert await queue.items() == []

"""The feedback queue: what citizens asked that the bot could not answer, and the answers they
rated 👎, grouped by question (folded, so "Làm sao?" and "lam sao" are one), newest first, with
the "new FAQ from this question" form and the mark that takes a handled question off the queue."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from retrieval import syllables

from ..storage import DISLIKED, Clock, FeedbackRecord, Storage, utc_now
from ._admin import KbAdmin
from ._forms import FaqForm

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class FeedbackItem:
    """One question, as often as it was asked. ``kind`` is ``"unanswered"`` or ``"disliked"`` (then
    ``entry_ids`` are the answers rated 👎); ``question`` its latest wording ("" for a 👎 whose
    message the retention purge blanked); ``handled_at`` when an admin handled it (it is back on
    the queue if asked again after)."""

    key: str
    kind: str
    question: str
    count: int
    first_at: dt.datetime
    last_at: dt.datetime
    channels: tuple[str, ...]
    entry_ids: tuple[str, ...] = ()
    handled_at: dt.datetime | None = None
    faq_id: str = ""  # the FAQ written for it, once handled


def feedback_key(record: FeedbackRecord) -> str:
    """The group of a record: its kind and folded question (a 👎 without one: its entry). A hash,
    so the store's handled marks hold no citizen's words."""
    words = " ".join(syllables(record.question))
    if record.kind == DISLIKED and not words:
        words = f"entry:{record.entry_id}"
    return hashlib.sha256(f"{record.kind}\0{words}".encode()).hexdigest()[:32]


class FeedbackQueue:
    """The queue over the bot's store, and ``admin`` to prefill FAQ forms."""

    def __init__(self, storage: Storage, admin: KbAdmin, *, clock: Clock = utc_now) -> None:
        self.storage = storage
        self.admin = admin
        self._clock = clock

    async def items(self, *, days: int = DEFAULT_DAYS, include_handled: bool = False) -> list[FeedbackItem]:
        """The questions of the last ``days`` days, most recently asked first; those handled since
        they were last asked only with ``include_handled``."""
        records = await self.storage.feedback_records(self._clock() - dt.timedelta(days=days))
        handled = await self.storage.feedback_handled()
        groups: dict[str, list[FeedbackRecord]] = {}
        for record in records:  # newest first, so each group's first record is its latest
            groups.setdefault(feedback_key(record), []).append(record)
        items = []
        for key, group in groups.items():
            latest = group[0]
            mark = handled.get(key)
            if mark is not None and mark.at >= latest.at and not include_handled:
                continue
            items.append(
                FeedbackItem(
                    key=key,
                    kind=latest.kind,
                    question=next((r.question for r in group if r.question), ""),
                    count=len(group),
                    first_at=group[-1].at,
                    last_at=latest.at,
                    channels=tuple(sorted({r.channel for r in group})),
                    entry_ids=tuple(dict.fromkeys(r.entry_id for r in group if r.entry_id)),
                    handled_at=mark.at if mark is not None else None,
                    faq_id=mark.faq_id if mark is not None else "",
                )
            )
        return items

    async def new_faq(self, item: FeedbackItem) -> FaqForm:
        """An FAQ form with the item's question and a fresh id; save it with ``base_hash=""``."""
        return await self.admin.new_faq_form(item.question)

    async def mark_handled(self, item: FeedbackItem, faq_id: str = "") -> None:
        """Take the item off the queue (until the question is asked again), noting the FAQ."""
        await self.storage.mark_feedback_handled(item.key, faq_id)

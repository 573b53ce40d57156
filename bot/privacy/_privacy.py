"""A citizen's personal data: kept only as long as set, copied and erased on request.

Decree 13/2023/NĐ-CP on personal data protection asks for a retention period per kind of data and
deletion once it is over, and gives the person the right to a copy of their data and to its
deletion. :class:`Privacy` does each over the bot's two stores and the web chat's photos:

- **Retention** (:meth:`Privacy.purge`, at start and every ``[privacy] purge_every_hours``): message
  texts, the bot's replies and the chat ids with them after ``messages_days``; conversation state
  idle for ``conversations_days``; unanswered questions (and the abstentions reports list with
  them) after ``unanswered_days``; web photos no ticket holds after ``uploads_days``; a closed
  ticket's personal fields ``closed_tickets_days`` after its closing (``TicketStore.redact``).
  What reports count stays: the compliance log (channel, outcome, latency), each message's outcome
  and times, votes without their pseudonym, tickets without personal fields. So ``wardbot report``
  and ``wardbot log stats`` give the same figures after a purge, except that a period older than
  ``unanswered_days`` no longer lists its most asked unanswered questions.
- **Erasure** (:meth:`Privacy.erase`: the citizen's «xóa dữ liệu của tôi» in the chat, or
  ``wardbot privacy erase``): the same, at once, for everything of one user on one channel, the
  personal fields of their tickets included; the tickets themselves stay, as the record of how the
  ward handled them. Messages still being answered (the erasure request itself, the receipt) are
  left to the retention period: the receipt must reach the citizen.
- **A copy** (:meth:`Privacy.export`, ``wardbot privacy export``): everything held about one user
  on one channel, as JSON.
- **Taking back a contact** (:meth:`Privacy.scrub`): a citizen who goes anonymous after typing
  their number has it removed from the conversation's stored texts.

Each erasure and each purge that removed something appends one JSON line to ``privacy-audit.jsonl``
in the data directory: when, what kind and how much, and an erasure's receipt and ticket codes,
never whose data it was.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from handlers import Erasure
from tickets import TicketStore, redact_text

from .._config import PrivacySettings
from ..channels import UPLOADS_DIR, stored_photo
from ..channels._web import WebChannel
from ..storage import Clock, Storage, utc_now

log = logging.getLogger(__name__)

AUDIT_FILE = "privacy-audit.jsonl"
RECEIPT_PREFIX = "XD"  # xóa dữ liệu
RETENTION = "retention"  # the reason a ticket's redaction event gives when its period is over


def _photos_named(value: Any, uploads: Path) -> set[Path]:
    """The web photo files that the strings anywhere in ``value`` (a conversation's state) name."""
    if isinstance(value, str):
        path = stored_photo(uploads, value)
        return {path} if path is not None else set()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(_photos_named(item, uploads) for item in value))
    return set()


class Privacy:
    """Retention, copies and erasure over ``storage``, ``tickets`` and the web photos in
    ``data_dir``; implements :class:`handlers.PersonalData` for the dialogue."""

    def __init__(
        self,
        storage: Storage,
        tickets: TicketStore,
        settings: PrivacySettings,
        *,
        data_dir: Path,
        clock: Clock = utc_now,
    ) -> None:
        self.storage = storage
        self.tickets = tickets
        self.settings = settings
        self.uploads = data_dir / UPLOADS_DIR
        self.audit_path = data_dir / AUDIT_FILE
        self._clock = clock

    # --- erasure, copies and scrubbing ---------------------------------------------------------------

    async def erase(self, channel: str, chat_id: str, user_id: str, *, actor: str = "citizen") -> Erasure:
        """Erase everything held about ``user_id`` on ``channel`` (and of the chat ``chat_id``);
        the receipt says what went. ``actor`` is who asked: the citizen in the chat, or the
        official at the ward's desk who took the request."""
        now = self._clock()
        receipt = f"{RECEIPT_PREFIX}-{secrets.token_hex(5).upper()}"
        photos = _photos_named(await self.storage.load_state((channel, chat_id)), self.uploads)
        counts = await self.storage.erase_user(channel, chat_id, user_id, mailbox=channel == WebChannel.name)
        codes = []
        for ticket in await self.tickets.filed_by(channel, self.storage.pseudonym(channel, user_id)):
            photos |= _photos_named(ticket.photo, self.uploads)
            await self.tickets.redact(ticket.code, receipt, actor=actor)
            codes.append(ticket.code)
        erasure = Erasure(
            receipt=receipt,
            at=now,
            messages=counts["messages"],
            replies=counts["replies"],
            unanswered=counts["unanswered"],
            votes=counts["votes"],
            photos=await self._delete_unused(photos),
            tickets=tuple(codes),
        )
        await self._checkpoint()
        what = {"action": "erase", "actor": actor, "channel": channel, "conversations": counts["conversations"]}
        await self._audit(what | dataclasses.asdict(erasure) | {"at": now.isoformat()})
        log.info("erased a citizen's data on %s: receipt %s, tickets %s", channel, receipt, ", ".join(codes) or "none")
        return erasure

    async def export(self, channel: str, chat_id: str, user_id: str) -> dict[str, Any]:
        """A copy of everything held about ``user_id`` on ``channel`` (and of the chat
        ``chat_id``): messages with the bot's replies, conversation state, questions for officials,
        votes, and tickets with their history (without their lookup secrets)."""
        held = await self.storage.personal_data(channel, chat_id, user_id)
        tickets = []
        for ticket in await self.tickets.filed_by(channel, self.storage.pseudonym(channel, user_id)):
            events = await self.tickets.events(ticket.code)
            tickets.append(ticket.to_dict() | {"events": [event.to_dict() for event in events]})
        exported = {
            "channel": channel,
            "chat_id": chat_id,
            "user_id": user_id,
            "exported_at": self._clock().isoformat(),
        }
        return exported | held | {"tickets": tickets}

    async def scrub(self, conversation: tuple[str, str], values: Sequence[str]) -> None:
        """Remove ``values`` (a contact taken back) from the conversation's stored texts."""
        values = list(values)
        if values:
            await self.storage.scrub_conversation(
                conversation,
                lambda text: redact_text(text, values, personal=False),
                mailbox=conversation[0] == WebChannel.name,
            )

    # --- retention -------------------------------------------------------------------------------------

    async def purge(self) -> dict[str, int]:
        """Delete what the retention periods no longer allow (see the module's docstring); how
        much of each kind."""
        now, settings = self._clock(), self.settings

        def ago(days: int) -> dt.datetime:
            return now - dt.timedelta(days=days)

        counts = await self.storage.purge_expired(
            messages_before=ago(settings.messages_days),
            unanswered_before=ago(settings.unanswered_days),
            conversations_before=ago(settings.conversations_days),
        )
        photos = await asyncio.to_thread(self._uploaded_before, ago(settings.uploads_days))
        expired = await self.tickets.unredacted_closed_before(ago(settings.closed_tickets_days))
        for ticket in expired:
            photos |= _photos_named(ticket.photo, self.uploads)
            await self.tickets.redact(ticket.code, RETENTION)
        counts |= {"tickets": len(expired), "photos": await self._delete_unused(photos)}
        if any(counts.values()):
            await self._checkpoint()
            await self._audit({"at": now.isoformat(), "action": "purge", **counts})
            log.info("retention purge: %s", ", ".join(f"{kind} {count}" for kind, count in counts.items() if count))
        return counts

    async def run(self, every_s: float) -> None:
        """Purge now and then every ``every_s`` seconds, until cancelled; a failed purge is logged
        and tried again at the next round."""
        while True:
            try:
                await self.purge()
            except Exception:
                log.exception("the retention purge failed; trying again in %s s", every_s)
            await asyncio.sleep(every_s)

    async def _checkpoint(self) -> None:
        """Empty both stores' write-ahead logs, which still hold the pages as they were."""
        await self.storage.checkpoint()
        await self.tickets.checkpoint()

    # --- files -----------------------------------------------------------------------------------------

    def _uploaded_before(self, moment: dt.datetime) -> set[Path]:
        """The web photos stored before ``moment``: a photo is written once, so its time is its upload."""
        if not self.uploads.is_dir():
            return set()
        cutoff = moment.timestamp()
        return {path for path in self.uploads.glob("*.jpg") if path.stat().st_mtime < cutoff}

    async def _delete_unused(self, photos: Iterable[Path]) -> int:
        """Delete those of ``photos`` that no ticket still holding personal data and no
        conversation (a report being taken) names; how many files went."""
        candidates = set(photos)
        if not candidates:
            return 0
        in_use = set().union(*(_photos_named(t.photo, self.uploads) for t in await self.tickets.list() if t.photo))
        states = await self.storage.conversation_states()

        def delete() -> int:
            deleted = 0
            for path in candidates - in_use:
                if any(path.name in state for state in states):
                    continue
                try:
                    path.unlink()
                    deleted += 1
                except FileNotFoundError:  # gone already: deleted by hand, or by the CLI beside the bot
                    pass
            return deleted

        return await asyncio.to_thread(delete)

    async def _audit(self, entry: dict[str, Any]) -> None:
        """Append one line to the audit file, readable by its owner only."""
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"

        def append() -> None:
            self.audit_path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.audit_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as file:
                file.write(line)

        await asyncio.to_thread(append)

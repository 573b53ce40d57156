"""The dialogue: one citizen message in, one :class:`Turn` out, with state kept in the store.

A message is first read for its intent (:mod:`handlers._intent`), then answered by the handler
of its kind (one per :class:`~handlers._intent.IntentKind`, in a table); only questions reach
the retriever. The state of a conversation is small and JSON-able (:class:`DialogueState`): the
entry under discussion, so that "lệ phí bao nhiêu?" refers to it; the buttons of the last reply,
so that a citizen on a channel without buttons can answer "2"; the last question, so that it can
be sent to an official; whether the next message is a question to send; a report being taken
step by step (:mod:`handlers._intake`); and whether the citizen was asked to confirm erasing
their data («xóa dữ liệu của tôi»). It is loaded before and saved after every turn, so a restart
in the middle of a conversation changes nothing.

Reports and questions sent to officials become tickets of the :class:`~tickets.TicketDesk`, which
the citizen can look up ("tra cứu PA-2026-000123") and rate when closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from knowledge import Procedure
from retrieval import Decision, Hit, SearchResult
from tickets import SIPAS_FACTORS, Category, Ticket, TicketConflict, TicketDesk, TicketStateError, contact_values

from . import _catalogue as text
from ._cards import answer_reply, choice_titles, details_reply, entry_title, procedure_sections
from ._engine import SearchEngine
from ._intake import IntakeState, due_text, filed_reply, intake_prompt, lookup_reply, rating_reply
from ._intent import (
    CONTACT_DATA,
    FEEDBACK_DATA,
    HELP_DATA,
    NONE_DATA,
    SEND_DATA,
    Choice,
    Erase,
    Escalate,
    Feedback,
    FollowUp,
    Intake,
    Intent,
    IntentKind,
    Lookup,
    Menu,
    MenuTopic,
    More,
    Pick,
    Plain,
    Question,
    Rate,
    Section,
    Vote,
    detect_intent,
    erase_data,
    menu_data,
    parse_callback,
    pick_data,
)
from ._legal import LegalQuestionModel, bundled_legal_model, message_tokens
from ._locks import KeyedLocks
from ._messages import Button, IncomingMessage, Outcome, Reply, Turn
from ._store import DialogueStore, Erasure, PersonalData

__all__ = ["Dialogue", "DialogueState"]

MENU_FAQS = 6  # FAQ buttons the menu offers

# What the next typed message is, when the bot has just asked for it: a question for an official.
# (Reports are taken by the intake instead.)
AWAITING_QUESTION = "question"
# + a ticket's code: an official asked the citizen for more information (Dialogue.info_request), and
# the next typed message is their answer, attached to that ticket.
AWAITING_SUPPLEMENT = "supplement:"
# Intents that still work while the bot waits for a question to record.
_NOT_RECORDED = frozenset({IntentKind.GREETING, IntentKind.HELP, IntentKind.RESET, IntentKind.THANKS})
# Intents handled wherever the conversation stands: they are never the question awaited, and
# leave a report being taken and a pending erasure question as they were.
_ASIDES = frozenset({IntentKind.INTAKE, IntentKind.RATE, IntentKind.ERASE})


@dataclass
class DialogueState:
    """What a conversation remembers between messages; stored as a plain dict."""

    entry_id: str = ""  # the entry under discussion
    pending: list[str] = field(default_factory=list)  # callback data of the last reply's buttons
    question: str = ""  # the last question, to send to an official on request
    awaiting: str = ""  # AWAITING_QUESTION: record the next message; AWAITING_SUPPLEMENT + code: attach it
    intake: IntakeState | None = None  # a report being taken
    erasing: bool = False  # asked whether to erase the citizen's data: only then does "confirm" erase

    def clear(self) -> None:
        self.entry_id, self.pending, self.question, self.awaiting, self.intake = "", [], "", "", None
        self.erasing = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "entry_id": self.entry_id,
            "pending": list(self.pending),
            "question": self.question,
            "awaiting": self.awaiting,
        }
        if self.intake is not None:  # only while a report is being taken
            data["intake"] = self.intake.to_dict()
        if self.erasing:  # only while the question waits for its answer
            data["erasing"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> DialogueState:
        """The state in ``data``; anything missing or malformed (an older or damaged record) is
        dropped rather than allowed to break the conversation."""
        data = data if isinstance(data, dict) else {}

        def string(key: str) -> str:
            value = data.get(key)
            return value if isinstance(value, str) else ""

        pending = data.get("pending")
        pending = [item for item in pending if isinstance(item, str)] if isinstance(pending, list) else []
        awaiting = string("awaiting")
        return cls(
            entry_id=string("entry_id"),
            pending=pending,
            question=string("question"),
            awaiting=awaiting if awaiting == AWAITING_QUESTION or awaiting.startswith(AWAITING_SUPPLEMENT) else "",
            intake=IntakeState.from_dict(data.get("intake")),
            erasing=data.get("erasing") is True,
        )


def _menu_buttons() -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(text.MENU_PROCEDURES_BUTTON, data=menu_data(MenuTopic.PROCEDURES)),
            Button(text.MENU_FAQ_BUTTON, data=menu_data(MenuTopic.FAQ)),
        ),
        (Button(text.MENU_FEEDBACK_BUTTON, data=menu_data(MenuTopic.FEEDBACK)),),
        (Button(text.MENU_CONTACT_BUTTON, data=CONTACT_DATA), Button(text.MENU_HELP_BUTTON, data=HELP_DATA)),
    )


_SEND_ROW = (Button(text.SEND_BUTTON, data=SEND_DATA),)


@dataclass(frozen=True, slots=True)
class _Context:
    """What a handler answers besides its intent: the message, the conversation's state (which it
    may change), the engine of this turn, and whether the message is a button (tapped, or chosen
    by its number)."""

    message: IncomingMessage
    state: DialogueState
    engine: SearchEngine
    pressed: bool


# A handler of one kind of intent: its intent (of that kind's class) and the context in, a turn out.
_Handler = Callable[[Any, _Context], Awaitable[Turn]]


class Dialogue:
    """Routes each message to the right handler and keeps the conversation's state.

    ``engine`` may be replaced at any time (an admin reloading the knowledge base): each turn reads
    it once, so a turn in flight finishes on the engine it started with and the next uses the new
    one. Turns of one conversation run one at a time, so their state updates never interleave.

    ``desk`` files reports and questions as tickets; ``pseudonym(channel, user_id)`` turns the
    platform's user id into the stand-in the ticket keeps. ``privacy``
    erases a citizen's data when they ask, and scrubs a contact they take back; without it the
    citizen is told to ask the ward. ``guess_limit(conversation)`` is called before each
    lookup-code guess (a ticket code with a lookup code, from a chat that did not file it): 0 lets
    it through, else it is the seconds until the next one may be tried (the application injects a
    token bucket, ``bot._limits.RateLimiter.take``); without it guesses are not limited.
    """

    def __init__(
        self,
        engine: SearchEngine,
        store: DialogueStore,
        *,
        ward_name: str,
        ward_contact: str,
        desk: TicketDesk,
        pseudonym: Callable[[str, str], str],
        privacy: PersonalData | None = None,
        guess_limit: Callable[[tuple[str, str]], float] | None = None,
        legal_model: LegalQuestionModel | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.ward_name = ward_name
        self.ward_contact = ward_contact
        self.desk = desk
        self.pseudonym = pseudonym
        self.privacy = privacy
        self.guess_limit = guess_limit
        self.legal_model = legal_model or bundled_legal_model()
        self._lock: KeyedLocks[tuple[str, str]] = KeyedLocks()  # one per conversation
        self._handlers = self._handler_table()

    async def handle(self, message: IncomingMessage) -> Turn:
        """Answer one message: load the state, respond, save the state, return the turn."""
        engine = self.engine
        conversation = message.conversation
        async with self._lock(conversation):
            state = DialogueState.from_dict(await self.store.load_state(conversation))
            turn = await self._respond(message, state, engine)
            if message.truncated:
                # First, so that the citizen reads the answer as one to the part that was read.
                notice = Reply(text.TEXT_TRUNCATED.format(limit=len(message.text)))
                turn = replace(turn, replies=(notice, *turn.replies))
            state.pending = _last_choices(turn.replies)
            await self.store.save_state(conversation, state.to_dict())
        return turn

    async def rate_prompt(self, ticket: Ticket) -> Reply:
        """The first SIPAS question for a closed ``ticket``, to send to its filer's chat. The
        conversation's state learns its buttons, so that a citizen without buttons can type "4"."""
        reply = rating_reply(ticket.code, 0, intro=self._format(text.RATE_INTRO, code=ticket.code))
        conversation = (ticket.channel, ticket.chat_id)
        async with self._lock(conversation):
            state = DialogueState.from_dict(await self.store.load_state(conversation))
            state.pending = _last_choices((reply,))
            await self.store.save_state(conversation, state.to_dict())
        return reply

    async def info_request(self, ticket: Ticket, question: str) -> Reply:
        """An official's question about ``ticket``, to send to its filer's chat. The conversation
        then awaits the citizen's answer: their next typed message (not a greeting, help, reset
        or thanks) is attached to the ticket, which resumes it (:meth:`TicketDesk.supplement`)."""
        reply = Reply(self._format(text.TICKET_INFO_REQUEST, code=ticket.code, question=question))
        conversation = (ticket.channel, ticket.chat_id)
        async with self._lock(conversation):
            state = DialogueState.from_dict(await self.store.load_state(conversation))
            state.awaiting, state.intake, state.pending = AWAITING_SUPPLEMENT + ticket.code, None, []
            await self.store.save_state(conversation, state.to_dict())
        return reply

    # --- routing ----------------------------------------------------------------------------------

    def _handler_table(self) -> dict[IntentKind, _Handler]:
        """The handler of each kind of intent, like python-telegram-bot's list of handlers; a kind
        without one would fail here, when the dialogue is made, not in a conversation."""
        handlers: dict[IntentKind, _Handler] = {
            IntentKind.GREETING: self._greet,
            IntentKind.HELP: self._help,
            IntentKind.RESET: self._reset,
            IntentKind.THANKS: self._thank,
            IntentKind.CONTACT: self._give_contacts,
            IntentKind.SMALL_TALK: self._decline_small_talk,
            IntentKind.LEGAL: self._decline_legal_advice,
            IntentKind.MENU: self._open_menu,
            IntentKind.CHOICE: self._choose,
            IntentKind.PICK: self._answer_pick,
            IntentKind.MORE: self._show_more,
            IntentKind.FOLLOW_UP: self._answer_follow_up,
            IntentKind.QUESTION: self._search,
            IntentKind.NONE_OF_THESE: self._offer_an_official,
            IntentKind.VOTE: self._record_vote,
            IntentKind.GRIEVANCE: self._explain_grievances,
            IntentKind.FEEDBACK: self._take_report,
            IntentKind.ESCALATE: self._escalate,
            IntentKind.INTAKE: self._press_intake_button,
            IntentKind.LOOKUP: self._lookup,
            IntentKind.RATE: self._rate,
            IntentKind.ERASE: self._erase,
        }
        if missing := set(IntentKind) - handlers.keys():
            raise TypeError(f"no handler for the intents {sorted(kind.value for kind in missing)}")
        return handlers

    async def _respond(self, message: IncomingMessage, state: DialogueState, engine: SearchEngine) -> Turn:
        typed = not message.callback_data
        if typed and not message.text.strip():
            if state.intake is not None:  # a photo or a shared location
                return self._continue_intake(message, state.intake)
            return self._say(text.NON_TEXT)
        intent = detect_intent(message.text) if typed else parse_callback(message.callback_data)
        if intent is None:
            return self._say(text.EXPIRED)
        return await self._route(intent, _Context(message, state, engine, pressed=not typed))

    async def _route(self, intent: Intent, context: _Context) -> Turn:
        """The turn of ``intent``: its handler's, unless the conversation is in the middle of
        something the message answers (:meth:`_before`). A typed number is read first: it is a
        button or part of a question, which is only known once it is read."""
        if intent.kind is not IntentKind.CHOICE:
            answered = await self._before(intent, context)
            if answered is not None:
                return answered
        return await self._handlers[intent.kind](intent, context)

    async def _before(self, intent: Intent, context: _Context) -> Turn | None:
        """What the conversation makes of a message before its handler does: a typed message
        while a report is taken is the report's next answer, and one after "type your question"
        is that question; the citizen moving on ends a pending erasure question, a report (by
        pressing another button) and the wait for a question. None: the handler answers."""
        message, state, pressed = context.message, context.state, context.pressed
        if state.intake is not None and not pressed:
            if intent.kind is IntentKind.RESET:
                await self._forget_contact(message, state.intake.contact)
                state.clear()
                return self._say(text.INTAKE_CANCELLED)
            if intent.kind not in (IntentKind.GREETING, IntentKind.HELP, IntentKind.ERASE):
                return self._continue_intake(message, state.intake)
        if intent.kind in _ASIDES:
            return None
        state.erasing = False  # the citizen moved on: the question's confirm button no longer erases
        if pressed:
            state.intake = None  # another button: the citizen left the report
        if not pressed and state.awaiting and intent.kind not in _NOT_RECORDED:
            return await self._record_awaited(message, state)
        if intent.kind is not IntentKind.THANKS:
            state.awaiting = ""  # the citizen moved on; handlers may ask again
        return None

    # --- handlers of the conversation ------------------------------------------------------------

    async def _greet(self, intent: Plain, context: _Context) -> Turn:
        return self._say(text.GREETING, _menu_buttons())

    async def _help(self, intent: Plain, context: _Context) -> Turn:
        return self._say(text.HELP, _menu_buttons())

    async def _reset(self, intent: Plain, context: _Context) -> Turn:
        context.state.clear()
        return self._say(text.RESET_DONE)

    async def _thank(self, intent: Plain, context: _Context) -> Turn:
        return self._say(text.THANKS)

    async def _give_contacts(self, intent: Plain, context: _Context) -> Turn:
        return self._say(text.CONTACT)

    async def _decline_small_talk(self, intent: Plain, context: _Context) -> Turn:
        return self._say(text.SMALL_TALK)

    async def _choose(self, intent: Choice, context: _Context) -> Turn:
        """A typed number: the button of the last reply it numbers, as if pressed; a number that
        matches no button is part of a question ("1022", "CT07" without "CT")."""
        chosen = _choice(intent.number, context.state.pending)
        if chosen is None:
            return await self._route(Question(), context)
        return await self._route(chosen, replace(context, pressed=True))

    async def _offer_an_official(self, intent: Plain, context: _Context) -> Turn:
        """None of the offered choices fits: offer to send the question to an official."""
        return self._say(text.NONE_OF_THESE, (_SEND_ROW,), Outcome.ABSTAINED)

    async def _explain_grievances(self, intent: Plain, context: _Context) -> Turn:
        """Khiếu nại and tố cáo have their own procedures in law: say so, and offer to send the
        message as ordinary feedback instead."""
        # Kept so that "only send it as feedback" can record it without asking again.
        context.state.question = context.message.text.strip()
        as_feedback = ((Button(text.GRIEVANCE_AS_FEEDBACK_BUTTON, data=FEEDBACK_DATA),),)
        return self._say(text.GRIEVANCE, as_feedback, Outcome.ANSWERED)

    def _say(
        self,
        template: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
        outcome: Outcome = Outcome.CONVERSATION,
        *,
        entry_id: str = "",
        score: float | None = None,
    ) -> Turn:
        """A one-reply turn from a catalogue template that needs at most the ward's details."""
        reply = Reply(self._format(template), buttons)
        return Turn((reply,), outcome, entry_id=entry_id, score=score)

    def _format(self, template: str, **values: Any) -> str:
        return template.format(ward_name=self.ward_name, ward_contact=self.ward_contact, **values)

    # --- answers ------------------------------------------------------------------------------------

    def _current_procedure(self, state: DialogueState, engine: SearchEngine) -> Procedure | None:
        entry = engine.kb.get(state.entry_id) if state.entry_id else None
        return entry if isinstance(entry, Procedure) else None

    def _sections(self, procedure: Procedure, sections: tuple[Section, ...], score: float | None = None) -> Turn:
        reply = procedure_sections(procedure, sections, ward_name=self.ward_name)
        return Turn((reply,), Outcome.ANSWERED, entry_id=procedure.code, score=score)

    def _answer_entry(
        self, entry_id: str, state: DialogueState, engine: SearchEngine, score: float | None = None
    ) -> Turn:
        entry = engine.kb.get(entry_id)
        if entry is None:  # a button from before a knowledge-base reload
            return self._say(text.EXPIRED)
        state.entry_id = entry_id
        return Turn((answer_reply(entry, ward_name=self.ward_name),), Outcome.ANSWERED, entry_id=entry_id, score=score)

    def _details(self, entry_id: str, state: DialogueState, engine: SearchEngine) -> Turn:
        entry = engine.kb.get(entry_id) if entry_id else None
        if entry is None:
            return self._say(text.EXPIRED if entry_id else text.ASK_WHICH_PROCEDURE)
        state.entry_id = entry_id
        return Turn((details_reply(entry, ward_name=self.ward_name),), Outcome.ANSWERED, entry_id=entry_id)

    async def _answer_pick(self, intent: Pick, context: _Context) -> Turn:
        return self._answer_entry(intent.entry_id, context.state, context.engine)

    async def _show_more(self, intent: More, context: _Context) -> Turn:
        """«Xem thêm»: the parts of the entry to choose from, or the part its button chose."""
        if intent.section is None:
            return self._details(intent.entry_id, context.state, context.engine)
        procedure = context.engine.kb.procedures.get(intent.entry_id)
        if procedure is None:
            return self._say(text.EXPIRED)
        context.state.entry_id = procedure.code
        return self._sections(procedure, (intent.section,))

    async def _answer_follow_up(self, intent: FollowUp, context: _Context) -> Turn:
        """Parts of the procedure under discussion ("lệ phí bao nhiêu?"); with none, of one of the
        choices waiting, else a search."""
        state, engine = context.state, context.engine
        if Section.DETAILS in intent.sections and state.entry_id:
            return self._details(state.entry_id, state, engine)  # "xem thêm" works for FAQs too
        current = self._current_procedure(state, engine)
        if current is not None:
            return self._sections(current, intent.sections)
        offered = _offered_entries(state.pending, engine)
        if offered:
            # "Lệ phí bao nhiêu?" while "Ý anh/chị là…?" waits: the topic is among those choices.
            return self._offer_again(offered)
        return await self._question(context.message.text.strip(), intent.sections, state, engine, follow_up=True)

    async def _search(self, intent: Question, context: _Context) -> Turn:
        return await self._question(context.message.text.strip(), intent.sections, context.state, context.engine)

    async def _decline_legal_advice(self, intent: Plain, context: _Context) -> Turn:
        """An honest "no legal advice", the offer to ask an official, and a related procedure only
        when the search is confident of it."""
        question, state, engine = context.message.text.strip(), context.state, context.engine
        state.question = question  # what the send button passes on
        result: SearchResult = await asyncio.to_thread(engine.retriever.search, question)
        return self._legal_reply(result, engine)

    def _legal_reply(self, result: SearchResult, engine: SearchEngine) -> Turn:
        reply = self._format(text.LEGAL)
        rows: tuple[tuple[Button, ...], ...] = (_SEND_ROW,)
        related = engine.kb.procedures.get(result.top.doc_id) if result.top is not None else None
        if result.decision is Decision.ANSWER and related is not None:
            reply += "\n" + text.LEGAL_RELATED.format(name=related.name)
            rows = ((Button(text.LEGAL_RELATED_BUTTON, data=pick_data(related.code)),), _SEND_ROW)
        return Turn((Reply(reply, rows),), Outcome.ABSTAINED, score=result.confidence)

    async def _question(
        self,
        question: str,
        sections: tuple[Section, ...],
        state: DialogueState,
        engine: SearchEngine,
        *,
        follow_up: bool = False,
    ) -> Turn:
        """Search the knowledge base. ``follow_up`` marks a message that only asks about a part of
        a procedure ("lệ phí bao nhiêu?") while none is under discussion."""
        state.question = question
        # The search embeds the query, which takes milliseconds of CPU: keep the loop free meanwhile.
        result: SearchResult = await asyncio.to_thread(engine.retriever.search, question)
        current = self._current_procedure(state, engine)
        if result.decision is Decision.ANSWER and result.top is not None:
            top = result.top.doc_id
            if sections and current is not None and current.code == top:
                # "Lệ phí đăng ký tạm trú?" while discussing it: the part asked about, not the card again.
                return self._sections(current, sections, score=result.confidence)
            return self._answer_entry(top, state, engine, score=result.confidence)
        asks_current = bool(sections) and current is not None  # a part of the procedure at hand
        if not (follow_up or asks_current) and self.legal_model.asks_about_law(message_tokens(question)):
            # A question about the law that no procedure answers for sure, and that carries none of
            # detect_intent's cue phrases, as most do: no menu of unrelated procedures.
            return self._legal_reply(result, engine)
        if result.decision is Decision.CLARIFY and result.choices:
            return self._clarify(result, engine)
        if sections and current is not None:
            # Nothing matched the extra words, so the question is about the procedure at hand.
            return self._sections(current, sections, score=result.confidence)
        if follow_up:
            return self._say(text.ASK_WHICH_PROCEDURE, outcome=Outcome.CLARIFIED, score=result.confidence)
        return self._say(text.ABSTAIN, (_SEND_ROW,), Outcome.ABSTAINED, score=result.confidence)

    def _clarify(self, result: SearchResult, engine: SearchEngine) -> Turn:
        """The close entries as choices, each labelled by what tells it from the others; none when
        they are all unlikely (see :func:`_plausible_choices`): an honest "not found" instead."""
        entries = [entry for hit in _plausible_choices(result) if (entry := engine.kb.get(hit.doc_id)) is not None]
        if not entries:
            return self._say(text.CLARIFY_UNSURE, (_SEND_ROW,), Outcome.ABSTAINED, score=result.confidence)
        titles = choice_titles(entries)
        rows = [(Button(title, data=pick_data(entry.entry_id)),) for entry, title in zip(entries, titles, strict=True)]
        rows.append((Button(text.NONE_OF_THESE_BUTTON, data=NONE_DATA),))
        reply = Reply(text.CLARIFY, tuple(rows))
        return Turn((reply,), Outcome.CLARIFIED, entry_id=entries[0].entry_id, score=result.confidence)

    def _offer_again(self, offered: list[tuple[str, str]]) -> Turn:
        """The same choices again: the card of the one picked answers the follow-up."""
        rows = [(Button(title, data=pick_data(entry_id)),) for entry_id, title in offered]
        rows.append((Button(text.NONE_OF_THESE_BUTTON, data=NONE_DATA),))
        reply = Reply(text.CLARIFY_FOLLOW_UP, tuple(rows))
        return Turn((reply,), Outcome.CLARIFIED, entry_id=offered[0][0])

    async def _open_menu(self, intent: Menu, context: _Context) -> Turn:
        if intent.topic is MenuTopic.FEEDBACK:
            return self._start_intake(context.state, "")
        if intent.topic is MenuTopic.FAQ:
            faqs = list(context.engine.kb.faqs.values())[:MENU_FAQS]
            if not faqs:
                return self._say(text.MENU_FAQ_EMPTY)
            rows = tuple((Button(entry_title(faq), data=pick_data(faq.id)),) for faq in faqs)
            return self._say(text.MENU_FAQ, rows)
        return self._say(text.MENU_PROCEDURES)

    # --- votes, reports and questions for officials ------------------------------------------------

    async def _record_vote(self, intent: Vote, context: _Context) -> Turn:
        entry_id = intent.entry_id or context.state.entry_id
        if not entry_id:
            return self._say(text.VOTE_NOTHING)
        await self.store.record_vote(context.message, entry_id, intent.helpful)
        if intent.helpful:
            return self._say(text.VOTE_UP, entry_id=entry_id)
        return self._say(text.VOTE_DOWN, (_SEND_ROW,), entry_id=entry_id)

    async def _record(self, message: IncomingMessage, question: str) -> Turn:
        """File ``question`` as a ticket for an official and give its receipt."""
        ticket = await self._open_ticket(message, Category.QUESTION, text=question)
        reply = filed_reply(ticket, self.desk.calendar.tz, ward_name=self.ward_name, question=question)
        return Turn((reply,), Outcome.ESCALATED)

    async def _record_awaited(self, message: IncomingMessage, state: DialogueState) -> Turn:
        awaiting, state.awaiting = state.awaiting, ""
        if awaiting.startswith(AWAITING_SUPPLEMENT):
            return await self._supplement(awaiting.removeprefix(AWAITING_SUPPLEMENT), message.text.strip())
        return await self._record(message, message.text.strip())

    async def _supplement(self, code: str, answer: str) -> Turn:
        """Attach the citizen's answer to the official's question; the ticket's clock runs again.
        A ticket changed meanwhile still gets the answer as a note: only the resume is skipped."""
        # An official resumed (or answered) it meanwhile: the note is recorded all the same.
        with contextlib.suppress(TicketConflict, TicketStateError):
            await self.desk.supplement(code, answer)
        return Turn((Reply(self._format(text.TICKET_SUPPLEMENT_RECEIVED, code=code)),), Outcome.CONVERSATION)

    async def _take_report(self, intent: Feedback, context: _Context) -> Turn:
        # The report in the message, or the grievance kept by "only send it as feedback"; a typed
        # "tôi muốn phản ánh" carries no report, so the intake asks for it.
        message, state = context.message, context.state
        report = message.text.strip() if not intent.standalone else state.question if context.pressed else ""
        state.question = ""
        return self._start_intake(state, report)

    async def _escalate(self, intent: Escalate, context: _Context) -> Turn:
        """Send a question to an official: the one in the message, else the last one asked,
        else ask for it. Typed "cho tôi gặp cán bộ" and the offer's button mean the same."""
        message, state = context.message, context.state
        if not intent.standalone:
            return await self._record(message, message.text.strip())
        if state.question:
            # Cleared once sent, so that a second tap does not send the same question twice.
            question, state.question = state.question, ""
            return await self._record(message, question)
        state.awaiting = AWAITING_QUESTION
        return self._say(text.ESCALATE_ASK)

    # --- tickets: intake, lookup and rating --------------------------------------------------------

    def _start_intake(self, state: DialogueState, report: str) -> Turn:
        """Begin taking a report; a report already given skips the "what happened" step."""
        state.intake = IntakeState(text=report)
        if report:
            state.intake.advance()
        return Turn((intake_prompt(state.intake),), Outcome.CONVERSATION)

    def _continue_intake(self, message: IncomingMessage, intake: IntakeState) -> Turn:
        """Take a typed answer, photo or location for the current step, then ask the next one."""
        asked_text = not intake.take(message) and intake.step in ("what", "where", "contact")
        replies = (Reply(text.INTAKE_TEXT_NEEDED),) if asked_text else ()
        return Turn((*replies, intake_prompt(intake)), Outcome.CONVERSATION)

    async def _press_intake_button(self, intent: Intake, context: _Context) -> Turn:
        message, state = context.message, context.state
        intake = state.intake
        if intake is None:  # a button of a report already sent or cancelled
            return self._say(text.EXPIRED)
        if intent.action == "cancel":
            state.intake = None
            await self._forget_contact(message, intake.contact)
            return self._say(text.INTAKE_CANCELLED)
        if intent.action == "confirm" and intake.step == "confirm":
            state.intake = None
            ticket = await self._open_ticket(
                message,
                Category.FEEDBACK,
                text=intake.text,
                address=intake.address or None,
                location=intake.location,
                photo=intake.photo or None,
                contact=intake.contact if intake.consent else None,
                contact_consent=intake.consent,
            )
            return Turn((filed_reply(ticket, self.desk.calendar.tz, ward_name=self.ward_name),), Outcome.ESCALATED)
        contact = intake.contact
        intake.press(intent.action)
        if not intake.contact:  # "send anonymously" after giving a contact
            await self._forget_contact(message, contact)
        return Turn((intake_prompt(intake),), Outcome.CONVERSATION)

    async def _forget_contact(self, message: IncomingMessage, contact: str) -> None:
        """The citizen took back the contact they gave (the report goes anonymous, or not at all):
        it leaves the stored messages and replies of the conversation too, not only the ticket."""
        if contact and self.privacy is not None:
            await self.privacy.scrub(message.conversation, contact_values(contact))

    # --- erasing the citizen's data on request -----------------------------------------------------

    async def _erase(self, intent: Erase, context: _Context) -> Turn:
        """A typed request: say what will be erased and ask. The question's confirm button: erase
        everything of this citizen on this channel and give the receipt."""
        message, state = context.message, context.state
        state.awaiting = ""
        if self.privacy is None:
            return self._say(text.ERASE_UNAVAILABLE)
        if intent.confirm is None:
            state.erasing = True
            buttons = (
                Button(text.ERASE_CONFIRM_BUTTON, data=erase_data("confirm")),
                Button(text.ERASE_KEEP_BUTTON, data=erase_data("keep")),
            )
            return self._say(text.ERASE_ASK, (buttons,))
        if not state.erasing:  # a button of a question answered already
            return self._say(text.EXPIRED)
        if not intent.confirm:
            state.erasing = False
            return self._say(text.ERASE_KEPT)
        erasure = await self.privacy.erase(message.channel, message.chat_id, message.user_id)
        state.clear()  # the report half taken, the question kept: erased with the rest
        return Turn((self._erasure_receipt(erasure),), Outcome.CONVERSATION)

    def _erasure_receipt(self, erasure: Erasure) -> Reply:
        tz = self.desk.calendar.tz
        lines = [
            text.ERASE_DONE.format(code=erasure.receipt, time=due_text(erasure.at, tz)),
            text.ERASE_DONE_MESSAGES.format(
                messages=erasure.messages, replies=erasure.replies, unanswered=erasure.unanswered, photos=erasure.photos
            ),
        ]
        if erasure.votes:
            lines.append(text.ERASE_DONE_VOTES.format(votes=erasure.votes))
        if erasure.tickets:
            lines.append(self._format(text.ERASE_DONE_TICKETS, codes=", ".join(erasure.tickets)))
        lines.append(text.ERASE_DONE_KEEP)
        return Reply("\n".join(lines))

    async def _open_ticket(self, message: IncomingMessage, category: Category, **contents: Any) -> Ticket:
        return await self.desk.open_ticket(
            category,
            channel=message.channel,
            chat_id=message.chat_id,
            user=self.pseudonym(message.channel, message.user_id),
            received_at=message.received_at,
            # Handled again after a crash, the same message finds the ticket it filed.
            source=f"{message.channel}:{message.chat_id}:{message.message_id}" if message.message_id else "",
            **contents,
        )

    async def _lookup(self, intent: Lookup, context: _Context) -> Turn:
        """A ticket's status for its filer or whoever gives its lookup code; a refusal that
        reveals nothing (not even whether the code exists) for anyone else."""
        message = context.message
        ticket = await self.desk.for_filer(intent.code, message.channel, message.chat_id)
        if ticket is None and intent.secret:
            # A guess, right or wrong: refused alike while the chat waits, so that the answer
            # never tells a guesser anything.
            if self.guess_limit is not None and (wait := self.guess_limit(message.conversation)):
                minutes = max(1, math.ceil(wait / 60))
                return Turn((Reply(self._format(text.LOOKUP_TOO_MANY, minutes=minutes)),), Outcome.CONVERSATION)
            ticket = await self.desk.lookup(intent.code, intent.secret)
        if ticket is None:
            return self._say(text.LOOKUP_REFUSED)
        return Turn((lookup_reply(ticket, self.desk.calendar.tz),), Outcome.CONVERSATION)

    async def _rate(self, intent: Rate, context: _Context) -> Turn:
        """Record one SIPAS score (0 skips the factor) and ask about the next factor."""
        message = context.message
        factor, score = intent.factor, intent.score
        ticket = None
        if factor < len(SIPAS_FACTORS) and score <= 5:
            ticket = await self.desk.for_filer(intent.code, message.channel, message.chat_id)
        if ticket is None:
            return self._say(text.EXPIRED)
        if score:
            try:
                await self.desk.record_rating(ticket.code, SIPAS_FACTORS[factor], score)
            except ValueError:  # reopened since the prompt was sent
                return self._say(text.EXPIRED)
        if factor + 1 < len(SIPAS_FACTORS):
            return Turn((rating_reply(ticket.code, factor + 1),), Outcome.CONVERSATION)
        return self._say(text.RATE_THANKS)


def _offered_entries(pending: list[str], engine: SearchEngine) -> list[tuple[str, str]]:
    """The entries (id, button title) that the last reply offered as choices, if it did."""
    offered = []
    for data in pending:
        intent = parse_callback(data)
        entry = engine.kb.get(intent.entry_id) if isinstance(intent, Pick) else None
        if entry is not None:
            offered.append(entry)
    return [(entry.entry_id, title) for entry, title in zip(offered, choice_titles(offered), strict=True)]


# "Ý anh/chị là…?" is asked only when at least one choice is plausible: the best of them (the top
# hit; the others have less, their softmax share of it, retrieval/_calibration.py) has at least
# this calibrated probability of being the answer. Below it the options are more likely unrelated,
# and the citizen is told so and offered an official instead. Measured with the shipped adapter
# and calibration (fitted on these same questions) on eval/heldout.jsonl and
# eval/out_of_scope.jsonl: of the 802 menus offered for in-scope questions (690 holding the right
# procedure) and 41 for out-of-scope ones, a floor of 0.3 keeps 648 of the 690 good menus and
# drops 10 of the 41 out-of-scope ones; 0.5 would drop 267 good menus to remove 23.
MENU_FLOOR = 0.3


def _plausible_choices(result: SearchResult) -> list[Hit]:
    """The choices worth offering: all of them, or none when even the best is unlikely."""
    choices = list(result.choices)
    if not choices or max(hit.confidence for hit in choices) < MENU_FLOOR:
        return []
    return choices


def _choice(number: int, pending: list[str]) -> Intent | None:
    """The intent of the ``number``-th button of the last reply, if there is such a button."""
    if not 1 <= number <= len(pending):
        return None
    return parse_callback(pending[number - 1])


def _last_choices(replies: tuple[Reply, ...]) -> list[str]:
    """The callback data of the last reply that has choice buttons: what a typed number picks."""
    for reply in reversed(replies):
        if reply.choice_buttons:
            return [button.data for button in reply.choice_buttons]
    return []

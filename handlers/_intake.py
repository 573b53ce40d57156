"""The feedback intake and the replies about tickets: what the citizen is asked, and what is said.

A report (phản ánh, kiến nghị) is taken in steps: what happened, where (an address or a shared
location), an optional photo, whether officials may contact the citizen (and how), then a summary
to confirm, edit or cancel. :class:`IntakeState` is what has been gathered so far; it is a plain
dict in the dialogue's state, so a restart in the middle of the intake resumes at the same step.
Filing the ticket is the :class:`~handlers.Dialogue`'s job; this module only holds the steps and
the wording around tickets.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from retrieval import normalize_query, syllables
from tickets import SIPAS_FACTORS, Ticket

from . import _catalogue as text
from ._intent import intake_data, rate_data
from ._messages import Button, IncomingMessage, Reply

__all__ = [
    "IntakeState",
    "due_text",
    "filed_reply",
    "find_address",
    "intake_prompt",
    "lookup_reply",
    "rating_reply",
]

WHAT, WHERE, PHOTO, CONSENT, CONTACT, CONFIRM, EDIT = "what", "where", "photo", "consent", "contact", "confirm", "edit"
_STEPS = (WHAT, WHERE, PHOTO, CONSENT, CONTACT, CONFIRM, EDIT)
# The step each edit button goes back to.
EDITS = {"edit_what": WHAT, "edit_where": WHERE, "edit_photo": PHOTO, "edit_contact": CONSENT}

# --- an address in the report itself ------------------------------------------------------------------
# "ổ gà ở ngõ 12 Lê Lợi" already says where: the intake takes the address from the report instead of
# asking for it. Conservative on purpose: a place word (ngõ, hẻm, số nhà, tổ ...) counts only when a
# house or lane number or a capitalised name follows it, and only a place precise enough to find the
# spot is taken (one with a number, or a named lane); "đường Lê Lợi" alone is a whole street and is
# still asked about. Written with diacritics only: unaccented "ngo", "to" are too often other words.

_UPPER = "".join(
    c for start, end in ((0x41, 0x5A), (0xC0, 0x24F), (0x1E00, 0x1EFF)) for c in map(chr, range(start, end + 1))
    if c.isupper()
)  # fmt: skip
_NAME_WORD = rf"[{_UPPER}][^\W\d_]*"
_NAME = rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD})*"
_NUMBER = r"\d+[A-Z]?(?:[/-]\d+[A-Z]?)*(?![\w/])"  # 12, 12A, 3/15, 102/7-9; never "5m"
# A number followed by one of these is a quantity, not an address: "đường 1 chiều", "trên đường 2 ngày".
_UNITS = "chiều|làn|tầng|mét|m|km|cây số|giờ|tiếng|phút|ngày|đêm|tuần|tháng|năm|lần"
_NOT_UNIT = rf"(?![ \t]+(?i:{_UNITS})(?![^\W_]))"
_START = r"(?<![^\W_])"  # at the start of a word
# Place words that a number or a name may follow; "tổ" only a number ("tổ chức" is no place).
_PLACE = "số nhà|nhà số|tổ dân phố|khu phố|khu dân cư|khu tập thể|ngõ|ngách|hẻm|kiệt|đường|phố|thôn|xóm|ấp"
_LANES = ("số nhà", "nhà số", "ngõ", "ngách", "hẻm", "kiệt")  # precise with a name alone
_AREA = "phường|xã|thị trấn|quận|huyện|thành phố"  # only after a place: "tổ 5, phường 3"
_PART = (
    rf"{_START}(?:"
    rf"(?i:{_PLACE})[ \t]+(?:(?i:số)[ \t]+)?(?:{_NUMBER}{_NOT_UNIT}(?:[ \t]+{_NAME})?|{_NAME})"
    rf"|(?i:tổ)[ \t]+(?:(?i:số)[ \t]+)?{_NUMBER}{_NOT_UNIT}"
    rf"|(?i:số)[ \t]+{_NUMBER}[ \t]+{_NAME}"  # "số 12 Lê Lợi": a bare "số 5" is any number
    rf")"
)
_MORE = rf"(?:[ \t]*,?[ \t]*(?:{_PART}|{_START}(?i:{_AREA})[ \t]+(?:{_NUMBER}|{_NAME})))*"
_ADDRESS = re.compile(
    # Also a house number and a street after "ở" or "tại": "ở 12 Lê Lợi".
    rf"{_PART}{_MORE}|{_START}(?i:ở|tại)[ \t]+(?P<bare>{_NUMBER}[ \t]+{_NAME}{_MORE})"
)
_LANE = re.compile(rf"{_START}(?i:{'|'.join(_LANES)})(?![^\W_])")


def find_address(report: str) -> str:
    """The first precise address written in ``report`` ("ngõ 12 Lê Lợi"), or "" when it holds none."""
    for match in _ADDRESS.finditer(report):
        address = match["bare"] or match[0]
        if any(c.isdigit() for c in address) or _LANE.search(address):
            return address.strip(" \t,")
    return ""


@dataclass
class IntakeState:
    """A report being taken; ``editing`` sends the citizen back to the summary after one step."""

    step: str = WHAT
    text: str = ""
    address: str = ""
    location: tuple[float, float] | None = None
    photo: str = ""
    consent: bool = False
    contact: str = ""
    editing: bool = False
    noted: bool = False  # the address was read from the report (the next question says so)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "text": self.text,
            "address": self.address,
            "location": list(self.location) if self.location else None,
            "photo": self.photo,
            "consent": self.consent,
            "contact": self.contact,
            "editing": self.editing,
            "noted": self.noted,
        }

    @classmethod
    def from_dict(cls, data: Any) -> IntakeState | None:
        """The intake in ``data``, or None when there is none or it is malformed."""
        if not isinstance(data, dict) or data.get("step") not in _STEPS:
            return None
        location = data.get("location")
        if not (
            isinstance(location, list) and len(location) == 2 and all(isinstance(v, (int, float)) for v in location)
        ):
            location = None
        strings: dict[str, str] = {
            key: data[key] if isinstance(data.get(key), str) else ""
            for key in ("text", "address", "photo", "contact")
        }
        return cls(
            step=data["step"],
            location=(float(location[0]), float(location[1])) if location is not None else None,
            consent=data.get("consent") is True,
            editing=data.get("editing") is True,
            noted=data.get("noted") is True,
            **strings,
        )

    def advance(self) -> None:
        """Go to the step after the current one (back to the summary when editing), passing over
        what the citizen has already given: an address in the report, an early location or photo."""
        if self.step == CONSENT and self.consent:
            self.step = CONTACT
        elif self.editing or self.step in (CONSENT, CONTACT):
            self.step, self.editing = CONFIRM, False
        else:
            self.step = _STEPS[_STEPS.index(self.step) + 1]
        if self.step == WHERE and not (self.address or self.location):
            self.address = find_address(self.text)
            self.noted = bool(self.address)
        if self.step == WHERE and (self.address or self.location):
            self.step = PHOTO
        if self.step == PHOTO and self.photo:
            self.step = CONSENT

    def take(self, message: IncomingMessage) -> bool:
        """Apply the citizen's typed answer, photo or location to the current step; whether the
        message was used (otherwise the step is asked again). A photo or location sent before
        its step is kept, and its step is passed over later."""
        typed = message.text.strip()
        kept = False
        if message.attachment and self.step in (WHAT, WHERE, PHOTO):
            self.photo, kept = message.attachment, True
        if message.location is not None and self.step in (WHAT, WHERE):
            self.location, self.address, self.noted, kept = message.location, "", False, True
        if (self.step == WHERE and message.location is not None) or (self.step == PHOTO and message.attachment):
            pass  # the step's own answer, kept above
        elif self.step == PHOTO and " ".join(syllables(normalize_query(typed))) in text.INTAKE_SKIP_WORDS:
            self.photo = ""
        elif self.step in (WHAT, WHERE, CONTACT) and typed:
            if self.step == WHAT:
                self.text = typed
            elif self.step == WHERE:
                self.address, self.location, self.noted = typed, None, False
            else:
                self.contact = typed
        else:
            return kept
        self.advance()
        return True

    def press(self, action: str) -> None:
        """Apply an intake button other than confirm and cancel."""
        if action == "skip" and self.step == PHOTO:
            self.photo = ""
            self.advance()
        elif action in ("consent", "anonymous") and self.step == CONSENT:
            self.consent = action == "consent"
            self.contact = self.contact if self.consent else ""
            self.advance()
        elif action == "edit":
            self.step = EDIT
        elif action in EDITS:
            self.step, self.editing = EDITS[action], True


def _row(*buttons: tuple[str, str]) -> tuple[Button, ...]:
    return tuple(Button(label, data=intake_data(action)) for label, action in buttons)


def intake_prompt(intake: IntakeState) -> Reply:
    """What to ask at the intake's current step (the summary at the end)."""
    if intake.step == WHAT:
        return Reply(text.INTAKE_ASK_WHAT)
    if intake.step == WHERE:
        return Reply(text.INTAKE_ASK_WHERE)
    if intake.step == PHOTO:
        ask = text.INTAKE_ASK_PHOTO
        if intake.noted and intake.address:
            ask = text.INTAKE_PLACE_NOTED.format(text=intake.address) + "\n" + ask
        return Reply(ask, (_row((text.INTAKE_SKIP_BUTTON, "skip")),))
    if intake.step == CONSENT:
        consent = _row((text.INTAKE_CONSENT_BUTTON, "consent"), (text.INTAKE_ANONYMOUS_BUTTON, "anonymous"))
        return Reply(text.INTAKE_ASK_CONSENT, (consent,))
    if intake.step == CONTACT:
        return Reply(text.INTAKE_ASK_CONTACT)
    if intake.step == EDIT:
        parts = _row(
            (text.INTAKE_EDIT_WHAT_BUTTON, "edit_what"),
            (text.INTAKE_EDIT_WHERE_BUTTON, "edit_where"),
            (text.INTAKE_EDIT_PHOTO_BUTTON, "edit_photo"),
            (text.INTAKE_EDIT_CONTACT_BUTTON, "edit_contact"),
        )
        return Reply(text.INTAKE_EDIT_WHICH, (parts,))
    if intake.location:
        place = text.INTAKE_LOCATION.format(value=f"{intake.location[0]:.5f}, {intake.location[1]:.5f}")
    else:
        place = intake.address
    summary = "\n".join(
        (
            text.INTAKE_SUMMARY,
            text.INTAKE_SUMMARY_TEXT.format(text=intake.text),
            text.INTAKE_SUMMARY_PLACE.format(text=place),
            text.INTAKE_SUMMARY_PHOTO.format(text=text.INTAKE_PHOTO_YES if intake.photo else text.INTAKE_PHOTO_NO),
            text.INTAKE_SUMMARY_CONTACT.format(text=intake.contact if intake.consent else text.INTAKE_ANONYMOUS),
        )
    )
    actions = _row(
        (text.INTAKE_CONFIRM_BUTTON, "confirm"),
        (text.INTAKE_EDIT_BUTTON, "edit"),
        (text.INTAKE_CANCEL_BUTTON, "cancel"),
    )
    return Reply(summary, (actions,))


def due_text(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """A moment in the ward's time as Vietnamese write it: "17h00 ngày 06/03/2026"."""
    return moment.astimezone(tz).strftime(text.DATE_TIME)


def filed_reply(ticket: Ticket, tz: dt.tzinfo, *, ward_name: str, question: str = "") -> Reply:
    """The receipt of a new ticket: its code, due date, lookup code and how to follow it."""
    template = text.QUESTION_FILED if question else text.TICKET_FILED
    due = due_text(ticket.due_at, tz)
    return Reply(
        template.format(ward_name=ward_name, code=ticket.code, time=due, value=ticket.secret, question=question)
    )


def lookup_reply(ticket: Ticket, tz: dt.tzinfo) -> Reply:
    """A ticket's status, due date and, once given, the answer (for its filer or code holder)."""
    status = text.TICKET_STATUSES[ticket.status.value]
    lines = [text.LOOKUP_RESULT.format(code=ticket.code, label=status, time=due_text(ticket.due_at, tz))]
    if ticket.paused:
        lines.append(text.LOOKUP_PAUSED)
    if ticket.answer:
        lines.append(text.LOOKUP_ANSWER.format(text=ticket.answer))
    return Reply("\n".join(lines))


def rating_reply(code: str, factor: int, *, intro: str = "") -> Reply:
    """The question about the ``factor``-th SIPAS factor with its 1-5 and skip buttons."""
    question = text.RATE_QUESTIONS[SIPAS_FACTORS[factor]]
    scores = tuple(Button(str(score), data=rate_data(code, factor, score)) for score in range(1, 6))
    skip = (Button(text.RATE_SKIP_BUTTON, data=rate_data(code, factor, 0)),)
    return Reply(f"{intro}\n\n{question}" if intro else question, (scores, skip))

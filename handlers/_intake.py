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
from dataclasses import dataclass
from typing import Any

from retrieval import normalize_query, syllables
from tickets import SIPAS_FACTORS, Ticket

from . import _catalogue as text
from ._intent import intake_data, rate_data
from ._messages import Button, IncomingMessage, Reply

__all__ = ["IntakeState", "due_text", "filed_reply", "intake_prompt", "lookup_reply", "rating_reply"]

WHAT, WHERE, PHOTO, CONSENT, CONTACT, CONFIRM, EDIT = "what", "where", "photo", "consent", "contact", "confirm", "edit"
_STEPS = (WHAT, WHERE, PHOTO, CONSENT, CONTACT, CONFIRM, EDIT)
# The step each edit button goes back to.
EDITS = {"edit_what": WHAT, "edit_where": WHERE, "edit_photo": PHOTO, "edit_contact": CONSENT}


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
        }

    @classmethod
    def from_dict(cls, data: Any) -> IntakeState | None:
        """The intake in ``data``, or None when there is none or it is malformed."""
        if not isinstance(data, dict) or data.get("step") not in _STEPS:
            return None
        location = data.get("location")
        valid_location = (
            isinstance(location, list) and len(location) == 2 and all(isinstance(v, (int, float)) for v in location)
        )
        strings = {
            key: data.get(key) if isinstance(data.get(key), str) else ""
            for key in ("text", "address", "photo", "contact")
        }
        return cls(
            step=data["step"],
            location=(float(location[0]), float(location[1])) if valid_location else None,
            consent=data.get("consent") is True,
            editing=data.get("editing") is True,
            **strings,
        )

    def advance(self) -> None:
        """Go to the step after the current one (back to the summary when editing)."""
        if self.step == CONSENT and self.consent:
            self.step = CONTACT
        elif self.editing or self.step in (CONSENT, CONTACT):
            self.step, self.editing = CONFIRM, False
        else:
            self.step = _STEPS[_STEPS.index(self.step) + 1]

    def take(self, message: IncomingMessage) -> bool:
        """Apply the citizen's typed answer, photo or location to the current step; whether it
        answered the step (otherwise the step is asked again)."""
        typed = message.text.strip()
        if self.step == WHERE and message.location is not None:
            self.location, self.address = message.location, ""
        elif self.step == PHOTO and message.attachment:
            self.photo = message.attachment
        elif self.step == PHOTO and " ".join(syllables(normalize_query(typed))) in text.INTAKE_SKIP_WORDS:
            self.photo = ""
        elif self.step in (WHAT, WHERE, CONTACT) and typed:
            if self.step == WHAT:
                self.text = typed
            elif self.step == WHERE:
                self.address, self.location = typed, None
            else:
                self.contact = typed
        else:
            return False
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
        return Reply(text.INTAKE_ASK_PHOTO, (_row((text.INTAKE_SKIP_BUTTON, "skip")),))
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

"""How ``wardbot soak`` counts (see :mod:`bot.devtools._soak`): replies masked of what differs
between two chats told the same, and each chat's replies matched to the turns that owe them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from handlers import catalogue

_ANSWER = re.compile(r"soak-answer ([A-Z]{2}-\d{4}-\d{6})")
_TICKET_CODE = re.compile(r"\b[A-Z]{2}-\d{4}-\d{6}\b")
_LOOKUP_CODE = re.compile(r"\b[0-9A-Z]{8}\b")
_FORMAT_DIGITS = {"%H": r"\d{2}", "%M": r"\d{2}", "%d": r"\d{2}", "%m": r"\d{2}", "%Y": r"\d{4}"}
_DUE_TIME = re.compile(re.sub("|".join(_FORMAT_DIGITS), lambda m: _FORMAT_DIGITS[m[0]], re.escape(catalogue.DATE_TIME)))


# --- counting ---------------------------------------------------------------------------------


def official_answer(code: str) -> str:
    """The answer the soak's official gives ticket ``code``: the citizen's copy names it."""
    return f"soak-answer {code}"


def mask(text: str) -> str:
    """A reply's text without what differs between two chats told the same: ticket codes, lookup
    codes and due times."""
    text = _DUE_TIME.sub("<time>", text)
    text = _TICKET_CODE.sub("<ticket>", text)
    return _LOOKUP_CODE.sub("<lookup>", text)


@dataclass(frozen=True)
class ChatScore:
    accepted: int
    lost: int
    unanswered: tuple[int, ...]  # the accepted turns that got no reply of their own
    duplicates: tuple[str, ...]  # the texts delivered once too often
    strays: tuple[str, ...]  # the texts the script never gets

    @property
    def duplicated(self) -> int:
        return len(self.duplicates)

    @property
    def off_script(self) -> int:
        return len(self.strays)


def score_chat(expected: Sequence[Sequence[str]], accepted: Sequence[bool], delivered: Iterable[str]) -> ChatScore:
    """Count one chat (see the module's docstring). ``expected[i]`` holds the masked texts of the
    replies to the script's turn ``i``; ``accepted[i]`` says whether the message of turn ``i``
    was acknowledged (a chat may have sent fewer turns than its script has); ``delivered`` holds
    the masked texts of the replies the chat got, answers to tickets left out, in order."""
    owed = [Counter(turn) for turn in expected[: len(accepted)]]
    produced = {text for turn in owed for text in turn}
    got = [0] * len(owed)
    duplicates: list[str] = []
    strays: list[str] = []
    for text in delivered:
        turn = next((i for i, texts in enumerate(owed) if texts[text] > 0), None)
        if turn is not None:
            owed[turn][text] -= 1
            got[turn] += 1
        elif text in produced:
            duplicates.append(text)
        else:
            strays.append(text)
    unanswered = tuple(turn for turn, (ok, count) in enumerate(zip(accepted, got, strict=False)) if ok and not count)
    lost = max(0, len(unanswered) - len(strays))
    return ChatScore(sum(accepted), lost, unanswered, tuple(duplicates), tuple(strays))

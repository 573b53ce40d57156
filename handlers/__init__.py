"""Channel-free async handlers: routing, dialogues and replies; ``catalogue`` holds their words."""

from . import _catalogue as catalogue
from ._cards import answer_reply, details_reply, procedure_card, procedure_sections
from ._engine import SearchEngine
from ._intake import due_text
from ._intent import Intent, IntentKind, Section, detect_intent, parse_callback
from ._messages import Button, IncomingMessage, Outcome, Reply, Turn, plain_text, split_text, telegram_html, text_spans
from ._router import FEEDBACK_MARKER, Dialogue, DialogueState
from ._store import DialogueStore, Erasure, PersonalData
from ._testing import DialogueTester, MemoryDialogueStore

__all__ = (
    "FEEDBACK_MARKER",
    "Button",
    "Dialogue",
    "DialogueState",
    "DialogueStore",
    "DialogueTester",
    "Erasure",
    "IncomingMessage",
    "Intent",
    "IntentKind",
    "MemoryDialogueStore",
    "Outcome",
    "PersonalData",
    "Reply",
    "SearchEngine",
    "Section",
    "Turn",
    "answer_reply",
    "catalogue",
    "detect_intent",
    "details_reply",
    "due_text",
    "parse_callback",
    "plain_text",
    "procedure_card",
    "procedure_sections",
    "split_text",
    "telegram_html",
    "text_spans",
)

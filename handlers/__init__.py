"""Channel-free async handlers: routing, dialogues and replies; ``catalogue`` holds their words."""

from . import _catalogue as catalogue
from ._cards import answer_reply, details_reply, procedure_card, procedure_sections
from ._engine import SearchEngine
from ._intake import due_text
from ._intent import Intent, IntentKind, Section, detect_intent, parse_callback
from ._legal import LegalQuestionModel, legal_features, message_tokens
from ._locks import KeyedLocks
from ._messages import Button, IncomingMessage, Outcome, Reply, Turn, plain_text, split_text, telegram_html, text_spans
from ._router import Dialogue, DialogueState
from ._store import DialogueStore, Erasure, PersonalData

__all__ = (
    "Button",
    "Dialogue",
    "DialogueState",
    "DialogueStore",
    "Erasure",
    "IncomingMessage",
    "Intent",
    "IntentKind",
    "KeyedLocks",
    "LegalQuestionModel",
    "Outcome",
    "PersonalData",
    "Reply",
    "SearchEngine",
    "Section",
    "Turn",
    "answer_reply",
    "catalogue",
    "details_reply",
    "detect_intent",
    "due_text",
    "legal_features",
    "message_tokens",
    "parse_callback",
    "plain_text",
    "procedure_card",
    "procedure_sections",
    "split_text",
    "telegram_html",
    "text_spans",
)

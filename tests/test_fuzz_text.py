"""Properties of what reads a citizen's words, over any text at all: the normaliser
(retrieval/_normalize.py) and intent detection and button data (handlers/_intent.py)."""

from __future__ import annotations

import re
import unicodedata

from fakes.fuzzing import texts
from hypothesis import example, given
from hypothesis import strategies as st

from handlers import Intent, IntentKind, Section, detect_intent, parse_callback
from handlers._intent import (
    CONTACT_DATA,
    ERASE_ACTIONS,
    FEEDBACK_DATA,
    HELP_DATA,
    INTAKE_ACTIONS,
    NONE_DATA,
    SEND_DATA,
    Choice,
    Erase,
    Escalate,
    Feedback,
    FollowUp,
    Intake,
    Lookup,
    Menu,
    MenuTopic,
    More,
    Pick,
    Plain,
    Question,
    Rate,
    Vote,
    erase_data,
    intake_data,
    menu_data,
    more_data,
    pick_data,
    rate_data,
    section_data,
    vote_data,
)
from retrieval import bigrams, fold, has_diacritics, nfc, normalize_query, syllables
from tickets import SIPAS_FACTORS

# Inputs no generator reaches: long enough to show a slow path, or int() refusing a number.
HUGE = ("ddawng kys tamj truus " * 2_000, "a" * 100_000, "\u0301" * 50_000, "9" * 5_000, "số " + "9" * 5_000)
# The letters Vietnamese is written in, and its tone marks: what fold must turn into plain ASCII.
VIETNAMESE_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxy" + "AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY"
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
vietnamese_words = st.lists(
    st.tuples(st.sampled_from(VIETNAMESE_LETTERS), st.sampled_from(TONES)).map("".join), max_size=12
).map("".join)
# Vocabularies as the retriever passes them: folded syllables of the knowledge base.
vocabularies = st.one_of(st.none(), st.sets(st.sampled_from(["dang", "ky", "tam", "tru", "nha", "hu", "huu", "nguoi"])))


# ------------------------------------------------------------------------------- normaliser


@given(texts, vocabularies)
@example("AAA", None)  # was "a", which normalises again to "ạ" (a lone "a" ending a clause)
@example("kkk", None)  # was "k", which normalises again to "không"
@example("J\u0323", None)  # was "gì" + U+0323, not NFC: "j" and its loose mark are two tokens
@example("\ud800 dc", None)  # a lone surrogate, which JSON can carry
def test_normalize_query_is_idempotent_and_gives_nfc_single_spaced_text(text: str, vocabulary: set[str] | None) -> None:
    normalized = normalize_query(text, vocabulary=vocabulary)
    assert normalize_query(normalized, vocabulary=vocabulary) == normalized
    assert nfc(normalized) == normalized
    assert not re.search(r"\s\s|^\s|\s$", normalized)
    assert all(char == " " for char in normalized if char.isspace())


@given(texts)
def test_fold_is_idempotent_and_leaves_no_vietnamese_mark(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert not any(0x0300 <= ord(char) < 0x0370 for char in folded)
    assert not has_diacritics(folded)


@given(vietnamese_words)
def test_fold_reads_composed_and_decomposed_vietnamese_alike_as_ascii(text: str) -> None:
    folded = fold(nfc(text))
    assert folded == fold(unicodedata.normalize("NFD", text))
    assert folded.isascii() and folded == folded.lower()
    assert has_diacritics(text) == (not text.isascii())  # a mark, a shaped letter or đ


@given(texts)
def test_nfc_syllables_and_bigrams_never_fail(text: str) -> None:
    assert nfc(nfc(text)) == nfc(text)
    tokens = syllables(text)
    assert all(token and fold(token) == token and re.fullmatch(r"[^\W_]+", token) for token in tokens)
    assert bigrams(tokens) == [f"{left}_{right}" for left, right in zip(tokens, tokens[1:], strict=False)]


def test_huge_inputs_are_normalized_whole() -> None:
    for text in HUGE:
        normalized = normalize_query(text)
        assert normalize_query(normalized) == normalized
        assert detect_intent(text).kind in IntentKind


# ----------------------------------------------------------------------------------- intents


# Kinds only a button carries: typed text never means them.
BUTTON_ONLY = {
    IntentKind.PICK,
    IntentKind.MORE,
    IntentKind.MENU,
    IntentKind.NONE_OF_THESE,
    IntentKind.INTAKE,
    IntentKind.RATE,
}


@given(texts)
@example("²")  # str.isdigit, but int() refuses it: was a ValueError
@example("số " + "9" * 5_000)  # int() refuses over 4,300 digits: was a ValueError
@example("chọn ٣")  # a decimal digit of another script, which int() reads
def test_detect_intent_never_fails_and_gives_a_well_formed_intent(text: str) -> None:
    intent = detect_intent(text)
    assert isinstance(intent, Intent) and intent.kind in IntentKind
    assert intent.kind not in BUTTON_ONLY
    if isinstance(intent, FollowUp | Question):
        assert all(section in Section for section in intent.sections)
    if isinstance(intent, FollowUp):
        assert intent.sections
    if isinstance(intent, Choice):
        assert isinstance(intent.number, int) and intent.number >= 0
    if isinstance(intent, Lookup):
        assert re.fullmatch(r"(PA|HD)-\d{4}-\d{6}", intent.code)
    if isinstance(intent, Vote | Erase):  # typed: about the entry at hand, a request not yet confirmed
        assert intent == (Vote(intent.helpful) if isinstance(intent, Vote) else Erase())


@given(st.integers(min_value=0, max_value=10**12 - 1), st.sampled_from(["{}", "số {}", "chọn {} ạ", " {}\n"]))
def test_a_typed_number_is_a_choice(number: int, template: str) -> None:
    assert detect_intent(template.format(number)) == Choice(number)


@given(
    st.one_of(
        texts,
        st.builds(
            "{}:{}".format, st.sampled_from(["pick", "more", "sec", "vote", "menu", "intake", "rate", "erase"]), texts
        ),
    )
)
@example("rate:PA-2026-000123:²:1")  # str.isdigit, but int() refuses it: the router's int() failed
@example("rate:PA-2026-000123:1:²")  # was a ValueError
@example("rate:PA-2026-000123:1:" + "9" * 5_000)
def test_parse_callback_never_fails_on_any_data(data: str) -> None:
    intent = parse_callback(data)
    assert intent is None or (isinstance(intent, Intent) and intent.kind in IntentKind)
    if isinstance(intent, Rate):  # the router compares both with numbers
        assert isinstance(intent.factor, int) and isinstance(intent.score, int)
        assert intent.factor >= 0 and intent.score >= 0


entry_ids = st.text(st.characters(exclude_categories=()), min_size=1)
ticket_codes = st.from_regex(r"(PA|HD)-[0-9]{4}-[0-9]{6}", fullmatch=True)


@given(
    st.one_of(
        entry_ids.map(lambda entry_id: (pick_data(entry_id), Pick(entry_id))),
        entry_ids.map(lambda entry_id: (more_data(entry_id), More(entry_id))),
        st.builds(
            lambda entry_id, section: (section_data(entry_id, section), More(entry_id, section)),
            entry_ids,
            st.sampled_from(Section),
        ),
        st.builds(
            lambda entry_id, helpful: (vote_data(entry_id, helpful), Vote(helpful, entry_id)),
            entry_ids,
            st.booleans(),
        ),
    )
)
def test_entry_buttons_round_trip(encoded: tuple[str, Intent]) -> None:
    data, expected = encoded
    assert parse_callback(data) == expected


@given(ticket_codes, st.integers(0, len(SIPAS_FACTORS) - 1), st.integers(0, 5))
def test_rating_buttons_round_trip(code: str, factor: int, score: int) -> None:
    assert parse_callback(rate_data(code, factor, score)) == Rate(code, factor, score)


def test_every_fixed_button_round_trips() -> None:
    fixed = {
        SEND_DATA: Escalate(standalone=True),
        NONE_DATA: Plain(IntentKind.NONE_OF_THESE),
        FEEDBACK_DATA: Feedback(standalone=True),
        HELP_DATA: Plain(IntentKind.HELP),
        CONTACT_DATA: Plain(IntentKind.CONTACT),
    }
    for data, intent in fixed.items():
        assert parse_callback(data) == intent
    for topic in MenuTopic:
        assert parse_callback(menu_data(topic)) == Menu(topic)
    for action in INTAKE_ACTIONS:
        assert parse_callback(intake_data(action)) == Intake(action)
    assert {action: parse_callback(erase_data(action)) for action in ERASE_ACTIONS} == {
        "confirm": Erase(confirm=True),
        "keep": Erase(confirm=False),
    }

"""Properties of the webhook body readers (bot/channels/_payloads.py) over any bytes and any JSON:
each returns a value or raises PayloadError, never anything else; JSON within the nesting bound
reads back as written; the nesting is measured exactly; text is made fit to store."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from fakes.fuzzing import json_body, json_values, telegram_updates, texts, zalo_events
from hypothesis import example, given
from hypothesis import strategies as st

from bot.channels._payloads import (
    MAX_DEPTH,
    Payload,
    PayloadError,
    clip_text,
    has_lone_surrogate,
    load_json,
    nesting_depth,
    parse_telegram_update,
    parse_zalo_event,
)


def depth(value: Any) -> int:
    """How deep ``value``'s lists and objects nest: 0 for a scalar."""
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


def nested(value: Any, levels: int) -> Any:
    """``value`` wrapped in ``levels`` lists and objects, alternating."""
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


# Bodies that are JSON, or were, or never were.
bodies = st.one_of(
    st.binary(),
    st.builds(json_body, json_values, st.booleans()),
    st.builds(lambda value, levels: json_body(nested(value, levels), True), json_values, st.integers(0, 3 * MAX_DEPTH)),
    st.builds(
        lambda raw, cut: raw[: len(raw) - cut], st.builds(json_body, json_values, st.booleans()), st.integers(1, 5)
    ),
)


@given(st.builds(json_body, json_values, st.booleans()), st.integers(0, MAX_DEPTH + 5))
@example(b'"[[[\\\\\\"]]]"', 0)  # brackets, escaped quotes and backslashes inside a string
def test_nesting_depth_is_exact_for_json(raw: bytes, levels: int) -> None:
    value = nested(json.loads(raw), levels)
    assert nesting_depth(json_body(value, True)) == depth(value)
    assert nesting_depth(json_body(value, False)) == depth(value)


@given(json_values, st.integers(0, 2 * MAX_DEPTH), st.booleans())
def test_json_within_the_bound_reads_back_as_written_and_deeper_is_refused(
    value: Any, levels: int, as_ascii: bool
) -> None:
    value = nested(value, levels)
    raw = json_body(value, as_ascii)
    if depth(value) <= MAX_DEPTH:
        assert load_json(raw) == value
    else:
        with pytest.raises(PayloadError):
            load_json(raw)


@given(bodies)
@example(b"[" * 5_000 + b"]" * 5_000)
@example(b"1" * 5_000)  # an integer int() refuses
@example(b'{"a": NaN}')
@example(b"\xff\xfe[]")
def test_load_json_gives_a_value_or_a_payload_error(raw: bytes) -> None:
    with contextlib.suppress(PayloadError):
        load_json(raw)


# Zalo's events are stamped in milliseconds since 1970; this one is in 2026.
NOW_MS = 1_780_000_000_000


@given(st.one_of(bodies, st.builds(json_body, zalo_events("4321987654321", NOW_MS), st.booleans())))
@example(b'{"timestamp": "' + b"9" * 5_000 + b'"}')
@example(b'{"timestamp": 1e400}')
def test_parse_zalo_event_gives_a_payload_or_a_payload_error(raw: bytes) -> None:
    try:
        payload = parse_zalo_event(raw)
    except PayloadError:
        return
    assert isinstance(payload, Payload) and isinstance(payload.problem, str)
    assert payload.data == json.loads(raw)


@given(zalo_events("4321987654321", NOW_MS), st.booleans())
def test_a_zalo_event_stamped_in_milliseconds_is_read_whatever_else_it_holds(event: dict, as_ascii: bool) -> None:
    stamped = isinstance(event.get("timestamp"), str) and event["timestamp"].isascii() and event["timestamp"].isdigit()
    if stamped and depth(event) <= MAX_DEPTH:
        assert parse_zalo_event(json_body(event, as_ascii)).data == event


@given(st.one_of(bodies, st.builds(json_body, telegram_updates, st.booleans())))
@example(b'{"update_id": 1, "message": {"message_id": 1, "date": 1e400, "chat": {"id": 1, "type": "private"}}}')
def test_parse_telegram_update_gives_a_payload_for_any_json_object_else_a_payload_error(raw: bytes) -> None:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, dict) and depth(value) <= MAX_DEPTH:
        payload = parse_telegram_update(raw)
        assert payload.data == value and isinstance(payload.problem, str)
    else:
        with pytest.raises(PayloadError):
            parse_telegram_update(raw)


@given(texts, st.integers(0, 50))
def test_clipped_text_can_be_stored_and_says_whether_it_was_cut(text: str, limit: int) -> None:
    clipped, cut = clip_text(text, limit)
    assert not has_lone_surrogate(clipped)
    clipped.encode("utf-8")
    assert cut == (len(text) > limit)
    assert len(clipped) == min(len(text), limit)
    assert has_lone_surrogate(text) == any(0xD800 <= ord(char) <= 0xDFFF for char in text)

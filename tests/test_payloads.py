"""Reading webhook bodies: JSON within a nesting bound, and Zalo events and Telegram updates checked
against their documented shapes, as pure functions that answer a problem or raise PayloadError and
never anything else."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.channels._payloads import (
    MAX_DEPTH,
    MAX_TEXT_CHARS,
    PayloadError,
    clip_text,
    has_lone_surrogate,
    load_json,
    nesting_depth,
    parse_telegram_update,
    parse_zalo_event,
)


def encoded(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def deep(depth: int, opener: str = "[", closer: str = "]") -> bytes:
    return (opener * depth + closer * depth).encode()


# --------------------------------------------------------------------------------- load_json


def test_json_nested_within_the_bound_is_read() -> None:
    assert load_json(deep(MAX_DEPTH)) == json.loads(deep(MAX_DEPTH))
    assert load_json(b'{"a": {"b": [1, "x"]}}') == {"a": {"b": [1, "x"]}}


@pytest.mark.parametrize("raw", [deep(5000), deep(MAX_DEPTH + 1), b'{"a":' * 5000 + b"1" + b"}" * 5000])
def test_json_nested_too_deep_is_refused_before_it_is_parsed(raw: bytes) -> None:
    with pytest.raises(PayloadError, match="nested deeper"):
        load_json(raw)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = "[[[{{{" * 1000 + '\\"]]\\\\' + "}}}]]]" * 10
    assert nesting_depth(encoded({"text": text, "list": [[text]]})) == 3
    assert load_json(encoded({"text": text})) == {"text": text}


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"\xff\xfe\x00", b"[1, 2", b'{"a": NaN}', b'{"a": Infinity}', b"1" * 5000, b"[}"],
)
def test_what_is_not_json_raises_payload_error_only(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        load_json(raw)


# ---------------------------------------------------------------------------------- Zalo events


def zalo_text_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "app_id": "4321987654321",
        "user_id_by_app": "92468458835296197922",
        "event_name": "user_send_text",
        "sender": {"id": "2468458835296197922"},
        "recipient": {"id": "1122334455667788990"},
        "message": {"msg_id": "0000001a2b3c4d5e", "text": "xin chào"},
        "timestamp": str(int(time.time() * 1000)),
    }
    return event | overrides


def zalo_location_event(coordinates: object) -> dict[str, Any]:
    attachment = {"type": "location", "payload": {"coordinates": coordinates}}
    return zalo_text_event(event_name="user_send_location", message={"msg_id": "77", "attachments": [attachment]})


def test_documented_zalo_events_have_no_problem() -> None:
    image = {"type": "image", "payload": {"url": "https://photo-stal.zadn.vn/a.jpg", "thumbnail": "https://x/a.jpg"}}
    follow = {
        "app_id": "4321987654321",
        "oa_id": "1122334455667788990",
        "event_name": "follow",
        "follower": {"id": "2468458835296197922"},
        "source": "oa_profile",
        "timestamp": "1700000000000",
    }
    for event in (
        zalo_text_event(),
        zalo_text_event(event_name="user_send_image", message={"msg_id": "9", "text": "", "attachments": [image]}),
        zalo_location_event({"latitude": "16.0544", "longitude": "108.2022"}),
        follow,
        {**follow, "event_name": "unfollow"},
        zalo_text_event(event_name="user_seen_message", message={"msg_ids": ["1", "2"]}),  # not read: not checked
    ):
        payload = parse_zalo_event(encoded(event))
        assert (payload.data, payload.problem) == (event, "")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"sender": ["2468458835296197922"]}, "sender"),
        ({"sender": "2468458835296197922"}, "sender"),
        ({"sender": {"id": ""}}, "sender"),
        ({"recipient": None}, "recipient"),
        ({"message": "xin chào"}, "message"),
        ({"message": {"text": "xin chào"}}, "msg_id"),
        ({"message": {"msg_id": "1", "text": 5}}, "text"),
        ({"message": {"msg_id": "1", "attachments": 3}}, "attachments"),
        ({"message": {"msg_id": "1", "attachments": ["x"]}}, "attachments"),
        ({"message": {"msg_id": "1", "attachments": [{"payload": "x"}]}}, "payload"),
        ({"message": {"msg_id": "1", "attachments": [{"payload": {"url": 7}}]}}, "url"),
        ({"event_name": 7}, "event_name"),
        ({"event_name": "follow"}, "follower"),
    ],
)
def test_signed_zalo_events_of_another_shape_name_their_problem(changes: dict[str, Any], problem: str) -> None:
    event = zalo_text_event(**changes)
    payload = parse_zalo_event(encoded(event))
    assert payload.data == event and problem in payload.problem


@pytest.mark.parametrize(
    "coordinates",
    [[16, 108], {"latitude": "16"}, {"latitude": "nan", "longitude": "1"}, {"latitude": "91", "longitude": "1"}],
)
def test_a_location_must_be_a_place_on_earth(coordinates: object) -> None:
    assert "coordinates" in parse_zalo_event(encoded(zalo_location_event(coordinates))).problem


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        encoded("user_send_text"),
        deep(5000, '{"a":', "}"),
        encoded(zalo_text_event(timestamp=None)),
        encoded(zalo_text_event(timestamp="9" * 4000)),  # would overflow a float when aged
        encoded(zalo_text_event(timestamp="soon")),
    ],
)
def test_what_cannot_be_a_zalo_event_raises_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_zalo_event(raw)


# ----------------------------------------------------------------------------- Telegram updates


def telegram_update(**message: Any) -> dict[str, Any]:
    base = {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": {"id": 7, "type": "private"},
        "from": {"id": 7, "is_bot": False, "first_name": "Lan"},
        "text": "xin chào",
    }
    return {"update_id": 1, "message": base | message}


def test_documented_telegram_updates_have_no_problem() -> None:
    press = {
        "update_id": 2,
        "callback_query": {
            "id": "4382",
            "from": {"id": 7, "is_bot": False, "first_name": "Lan"},
            "chat_instance": "-1",
            "data": "help",
            "message": telegram_update()["message"],
        },
    }
    photo = [{"file_id": "AgAD", "file_unique_id": "u", "width": 90, "height": 90}]
    for update in (
        telegram_update(),
        telegram_update(text=None, caption="ổ gà", photo=photo),
        telegram_update(location={"latitude": 16.05, "longitude": 108.2}),
        press,
        {"update_id": 3, "edited_message": {"anything": "else"}},  # not read: not checked
    ):
        payload = parse_telegram_update(encoded(update))
        assert (payload.data, payload.problem) == (update, "")


@pytest.mark.parametrize(
    ("update", "problem"),
    [
        (telegram_update(date=1e20), "date"),
        (telegram_update(date=10**20), "date"),
        (telegram_update(date=-1), "date"),
        (telegram_update(date="today"), "date"),
        (telegram_update(text=5), "text"),
        (telegram_update(caption=["x"]), "caption"),
        (telegram_update(chat=[7]), "chat"),
        (telegram_update(chat={"id": "7", "type": "private"}), "chat"),
        (telegram_update(**{"from": "Lan"}), "from"),
        (telegram_update(photo={"file_id": "x"}), "photo"),
        (telegram_update(location={"latitude": 100, "longitude": 0}), "location"),
        ({"update_id": "1", "message": telegram_update()["message"]}, "update_id"),
        ({"update_id": 1, "message": "xin chào"}, "message"),
        ({"update_id": 1, "callback_query": {"id": 5, "from": {"id": 7}}}, "callback_query"),
        ({"update_id": 1, "callback_query": {"id": "5", "from": {"id": 7}, "data": 3}}, "data"),
    ],
)
def test_telegram_updates_of_another_shape_name_their_problem(update: dict[str, Any], problem: str) -> None:
    payload = parse_telegram_update(encoded(update))
    assert problem in payload.problem


@pytest.mark.parametrize("raw", [b"not json", b"[1]", deep(5000), deep(5000, '{"message":', "}")])
def test_what_cannot_be_a_telegram_update_raises_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_telegram_update(raw)


# ----------------------------------------------------------------------------------------- text


def test_text_is_clipped_to_the_limit_and_says_so() -> None:
    assert MAX_TEXT_CHARS == 2000  # the web chat's limit, shared by every channel
    assert clip_text("xin chào") == ("xin chào", False)
    assert clip_text("a" * MAX_TEXT_CHARS) == ("a" * MAX_TEXT_CHARS, False)
    assert clip_text("ư" * 330_000) == ("ư" * MAX_TEXT_CHARS, True)
    assert clip_text("abcdef", 4) == ("abcd", True)


def test_a_lone_surrogate_is_found_and_replaced() -> None:
    broken = json.loads('"ổ gà \\ud83d ở đây"')  # half an emoji, as JSON can escape it
    assert has_lone_surrogate(broken) and not has_lone_surrogate("ổ gà 😀")
    text, cut = clip_text(broken)
    assert (text, cut) == ("ổ gà \ufffd ở đây", False)
    text.encode("utf-8")  # what a UTF-8 store needs

"""Hypothesis strategies shared by the fuzz tests (``tests/test_fuzz_*.py``). How many cases each
property gets is the profile's business (``tests/conftest.py``), never the test's."""

from __future__ import annotations

import json

from hypothesis import strategies as st

# Any code point at all, lone surrogates included: JSON's "\ud800" escape decodes to one, so text
# from a platform or a crawled file can hold what no UTF-8 file can.
any_character = st.characters(exclude_categories=())
any_text = st.text(any_character)

# What Vietnamese citizens and officials type, in pieces: letters with their marks composed and
# decomposed (NFD), đ, teencode, telex leftovers, stretched letters, codes, numbers, URLs, emoji,
# loose combining marks and the blanks that are not a plain space.
VIETNAMESE_PIECES = (
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "đ", "Đ", "d", "ạ", "ả", "ấ", "ầ",
    "ồ", "ế", "ự", "ữ", "ỳ", "ị", "Ư", "Ơ", "A\u0301", "e\u0302\u0300", "o\u031b\u0303",
    "\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u031b",
    "đăng ký", "tạm trú", "khai sinh", "căn cước", "lệ phí", "bao lâu", "ở đâu", "hồ sơ",
    "k", "ko", "kh", "dc", "đk", "j", "z", "r", "t", "a", "e", "c", "v", "hk", "mk", "vc", "mn",
    "ad", "ạ", "nhé", "lop", "hang", "so", "quen", "lm", "ntn", "bn", "cccd",
    "dd", "aw", "ow", "uw", "w", "aa", "ee", "oo", "s", "f", "r", "x", "j", "ddawng", "kys",
    "nguwoif", "thuowngf", "nhw", "kkk", "caaaan", "kooo", "ii", "uu", "hưuu", "bus",
    " ", "  ", "\t", "\n", "\u00a0", "\u3000", ".", ",", "?", "!", ":", "/", "-", "_", "@",
    "0", "1", "2", "12", "1022", "²", "٣", "PA-2026-000123", "hd-2026-000001 ABCD1234",
    "https://dichvucong.gov.vn/p/1.001193", "a@b.vn", "/start", "/help@WardBot",
    "👍", "👎", "👍🏻", "\ufe0f", "İ", "ß", "ﬁ", "Σ",
)  # fmt: skip
vietnamese_text = st.lists(st.sampled_from(VIETNAMESE_PIECES), max_size=16).map("".join)

# Text of every kind: anything at all, or text that looks like what the bot is sent.
texts = st.one_of(any_text, vietnamese_text)

# JSON values of any shape, as ``json.loads`` returns them (no NaN or infinity: JSON has none).
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)),
    max_leaves=12,
)


def json_body(value: object, as_ascii: bool) -> bytes:
    """``value`` as a platform posts it: JSON in UTF-8, escaped where UTF-8 cannot hold a character
    (a lone surrogate), or everywhere outside ASCII when ``as_ascii``."""
    try:
        return json.dumps(value, ensure_ascii=as_ascii).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value).encode("utf-8")


def json_objects(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """JSON objects with any of ``fields`` (each from its own strategy, or any JSON value), and
    at times keys nobody expects."""
    known = st.fixed_dictionaries(
        {}, optional={name: st.one_of(values, json_values) for name, values in fields.items()}
    )
    return st.builds(lambda named, extra: {**extra, **named}, known, st.dictionaries(texts, json_values, max_size=2))


# --- What the platforms post: their documented shapes, with any value anywhere ---------------------

ids = st.one_of(st.from_regex(r"[0-9]{1,20}", fullmatch=True), texts, st.integers())
coordinates = st.one_of(st.floats(), st.integers(), st.from_regex(r"-?[0-9]{1,3}\.[0-9]{1,6}", fullmatch=True))

ZALO_EVENT_NAMES = (
    "user_send_text", "user_send_image", "user_send_location", "user_send_sticker", "follow", "unfollow",
    "user_seen_message", "oa_send_text", "",
)  # fmt: skip


def zalo_events(app_id: str, now_ms: int) -> st.SearchStrategy[dict]:
    """Zalo OA webhook events (https://developers.zalo.me/docs/official-account/webhook/tong-quan)
    for the app ``app_id``, stamped within ten seconds of ``now_ms``."""
    attachments = st.lists(
        json_objects(
            {
                "type": st.sampled_from(["image", "location", "sticker", "link", "file"]),
                "payload": json_objects(
                    {
                        "url": st.one_of(st.just("https://zalo.example/p.jpg"), texts),
                        "coordinates": json_objects({"latitude": coordinates, "longitude": coordinates}),
                    }
                ),
            }
        ),
        max_size=2,
    )
    return json_objects(
        {
            "app_id": st.just(app_id),
            "oa_id": ids,
            "timestamp": st.integers(now_ms - 10_000, now_ms + 10_000).map(str),
            "event_name": st.sampled_from(ZALO_EVENT_NAMES),
            "sender": json_objects({"id": ids}),
            "recipient": json_objects({"id": ids}),
            "follower": json_objects({"id": ids}),
            "message": json_objects(
                {"msg_id": ids, "text": st.one_of(texts, st.just("#wb:pick:1.001193")), "attachments": attachments}
            ),
            "user_id_by_app": ids,
        }
    )


# Telegram Bot API updates (https://core.telegram.org/bots/api#update).
telegram_users = json_objects(
    {"id": st.integers(), "is_bot": st.booleans(), "first_name": texts, "last_name": texts, "username": texts}
)
telegram_chats = json_objects({"id": st.integers(), "type": st.sampled_from(["private", "group", "supergroup"])})
telegram_photo_sizes = json_objects(
    {"file_id": texts, "file_unique_id": texts, "width": st.integers(), "height": st.integers()}
)
telegram_messages = json_objects(
    {
        "message_id": st.integers(),
        "date": st.one_of(st.integers(0, 2_000_000_000), st.integers()),
        "chat": telegram_chats,
        "from": telegram_users,
        "text": st.one_of(texts, st.sampled_from(["/start", "/help@WardBot", "/start@other_bot x"])),
        "caption": texts,
        "photo": st.lists(telegram_photo_sizes, max_size=2),
        "location": json_objects({"latitude": coordinates, "longitude": coordinates}),
        "entities": json_values,
    }
)
telegram_updates = json_objects(
    {
        "update_id": st.integers(),
        "message": telegram_messages,
        "edited_message": telegram_messages,
        "callback_query": json_objects(
            {"id": ids, "from": telegram_users, "data": texts, "chat_instance": texts, "message": telegram_messages}
        ),
    }
)

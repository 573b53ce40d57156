"""The Zalo OA channel against the fake Zalo API on 127.0.0.1: signed webhooks, the send API's
errors, rotating tokens kept safe, and the dialogue and ticket flow end to end. No real network."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fakes.aio import WAIT_TIMEOUT_S, async_test, wait_until
from fakes.channels import CollectingChannel
from fakes.delivery_bound import POLICY, requests_under_persistent_failure
from fakes.dispatch import RecordingDispatch
from fakes.engines import WARD_CONTACT, WARD_NAME, build_engine, pseudonym

from bot.channels import DeliveryError
from bot.channels._zalo import QUERY_PREFIX, TEXT_LIMIT, WEBHOOK_PATH, ZaloChannel, event_signature
from bot.channels._zalo_tokens import ZaloTokens
from bot.delivery import Pipeline, RetryPolicy
from bot.devtools import bench_zalo_webhook
from bot.officials import OfficialsDesk, TicketService
from bot.storage import Storage
from bot.testing import MemoryDialogueStore
from bot.testing.zalo import APP_ID, APP_SECRET, OA_SECRET, FakeZaloServer
from handlers import Button, Dialogue, IncomingMessage, Reply
from handlers import _catalogue as catalogue
from retrieval import Decision
from tickets import Status, TicketDesk, TicketStore, WorkingCalendar

USER = "2468458835296197922"
GROUP = "-1001234567890"
ALICE = "111"


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def tokens_for(server: FakeZaloServer, data_dir: Path, **overrides: Any) -> ZaloTokens:
    options = {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "access_token": server.access_token,
        "refresh_token": server.refresh_token,
        "oauth_url": server.url,
        "store_path": data_dir / "zalo_tokens.json",
    }
    return ZaloTokens(**{**options, **overrides})


@contextlib.asynccontextmanager
async def zalo_channel(
    server: FakeZaloServer, data_dir: Path, dispatch: Any, **options: Any
) -> AsyncIterator[ZaloChannel]:
    """A channel behind its own aiohttp server, as the bot's HTTP server hosts it."""
    channel = ZaloChannel(
        app_id=APP_ID, signature_secret=OA_SECRET, tokens=tokens_for(server, data_dir), api_url=server.url, **options
    )
    app = web.Application()
    app.add_routes(channel.routes())
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.webhook_url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    await channel.start(dispatch)
    try:
        yield channel
    finally:
        await channel.stop()
        await runner.cleanup()


# ----------------------------------------------------------------------------- receiving


@async_test
async def test_signed_events_become_incoming_messages(tmp_path) -> None:
    inbox = RecordingDispatch()
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, inbox):
        text = server.text_event(USER, "Làm căn cước cần gì?")
        for event in (
            text,
            server.image_event(USER, "Ổ gà trước số 12"),
            server.location_event(USER, 16.0544, 108.2022),
            server.sticker_event(USER),  # nothing to answer
            server.follow_event(USER),
            server.follow_event(USER, "unfollow"),  # nothing can be sent any more
            server.user_event("user_seen_message", USER, {}),  # logged and ignored
        ):
            assert [d.status for d in await server.deliver(event)] == [200]
        messages = await inbox.wait_for(4)
    first, image, location, follow = messages
    assert (first.channel, first.chat_id, first.user_id) == ("zalo", USER, USER)
    assert first.text == "Làm căn cước cần gì?" and first.message_id == text["message"]["msg_id"]
    assert image.text == "Ổ gà trước số 12" and image.attachment.startswith("https://")
    assert location.location == (16.0544, 108.2022)
    assert follow.text == "/start" and follow.message_id.startswith("follow:")
    assert len(messages) == 4


@async_test
async def test_forged_unsigned_and_stale_events_are_refused_with_401(tmp_path, caplog) -> None:
    inbox = RecordingDispatch()
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, inbox):
        event = server.text_event(USER, "xin chào")
        raw = json.dumps(event, ensure_ascii=False).encode()
        forged = server.sign(raw, event, secret="not-the-oa-secret")
        assert [d.status for d in await server.deliver(event, signature=forged)] == [401]
        assert [d.status for d in await server.deliver(event, signature="mac=")] == [401]
        stale = server.text_event(USER, "xin chào")
        stale["timestamp"] = str(int((time.time() - 6 * 3600) * 1000))  # signed, but six hours old
        assert [d.status for d in await server.deliver(stale)] == [401]
        # Then a genuine event from the same citizen: one chat's events are dispatched in order,
        # so a refused one, had it been dispatched, would be in the inbox before this one.
        genuine = server.text_event(USER, "chào lại")
        assert [d.status for d in await server.deliver(genuine)] == [200]
        await inbox.wait_for(1)
    assert [message.text for message in inbox.messages] == ["chào lại"]
    assert "Zalo webhook call refused (missing or wrong signature)" in caplog.text
    assert "stale event" in caplog.text


@async_test
async def test_the_signature_prefix_is_configurable(tmp_path) -> None:
    """Some integrations sign oa_id + body + timestamp + secret (Zalo's old v1 SDK's MAC did)."""
    inbox = RecordingDispatch()
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, inbox, signature_prefix="oa_id"):
        event = server.follow_event(USER)
        raw = json.dumps(event, ensure_ascii=False).encode()
        by_oa_id = event_signature(raw, first=event["oa_id"], timestamp=event["timestamp"], secret=OA_SECRET)
        assert [d.status for d in await server.deliver(event)] == [401]  # signed with app_id
        assert [d.status for d in await server.deliver(event, signature=by_oa_id)] == [200]
        await inbox.wait_for(1)


@async_test
async def test_an_event_is_recorded_before_its_200_and_one_not_recorded_gets_a_500(tmp_path, caplog) -> None:
    inbox = RecordingDispatch()
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, inbox):
        deliveries = await server.send_text(USER, "xin chào", copies=2)
        assert [d.status for d in deliveries] == [200, 200]
        # Both copies were recorded before Zalo got its 200 (the pipeline drops the second by its id).
        assert [m.text for m in inbox.messages] == ["xin chào", "xin chào"]
        assert inbox.messages[0].message_id == inbox.messages[1].message_id

        inbox.failing = True  # the database cannot record it: Zalo must send it again
        assert [d.status for d in await server.send_text(USER, "còn đó không?")] == [500]
        assert "could not record Zalo message" in caplog.text


# ------------------------------------------------------------------------------- sending


VOTE_AND_PORTAL = ((Button("Hữu ích", data="vote:1:1.001"), Button("Cổng DVC", url="https://dichvucong.gov.vn")),)


@async_test
async def test_buttons_go_as_a_button_template_and_a_tap_comes_back_as_a_press(tmp_path) -> None:
    inbox = RecordingDispatch()
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, inbox) as channel:
        await server.send_text(USER, "xin chào")
        decomposed = unicodedata.normalize("NFD", "Hữu ích")  # as some keyboards type it
        await channel.send(USER, Reply("Thông tin có hữu ích không?", ((Button(decomposed, data="vote:1:1.001"),),)))
        await channel.send(USER, Reply("Còn **gì** nữa không?", VOTE_AND_PORTAL))
        await server.press(USER, "Hữu ích")
        await server.send_text(USER, "1")  # typed numbers still reach the handlers as text
        hello, pressed, typed = await inbox.wait_for(3)
    nfd, sent = server.sent
    assert nfd.buttons[0]["title"] == "Hữu ích"  # NFC
    assert sent.text == "Còn gì nữa không?"  # no numbered lines, no Markdown: Zalo shows plain text
    assert sent.buttons == [
        {"title": "Hữu ích", "type": "oa.query.hide", "payload": QUERY_PREFIX + "vote:1:1.001"},
        {"title": "Cổng DVC", "type": "oa.open.url", "payload": {"url": "https://dichvucong.gov.vn"}},
    ]
    assert (pressed.callback_data, pressed.text, pressed.chat_id) == ("vote:1:1.001", "", USER)
    assert pressed.message_id and pressed.message_id != hello.message_id
    assert (typed.callback_data, typed.text) == ("", "1")


@async_test
async def test_replies_are_split_at_2000_characters_with_the_buttons_on_the_last(tmp_path) -> None:
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, RecordingDispatch()) as channel:
        await server.send_text(USER, "xin chào")
        long = ("Hồ sơ gồm giấy tờ tùy thân. " * 90).strip()  # about 2,500 characters
        await channel.send(USER, Reply(long, VOTE_AND_PORTAL))
        first, second = server.sent
    assert len(long) > TEXT_LIMIT and len(first.text) <= TEXT_LIMIT and len(second.text) <= TEXT_LIMIT
    assert f"{first.text} {second.text}" == long
    assert first.buttons == [] and [b["title"] for b in second.buttons] == ["Hữu ích", "Cổng DVC"]


@async_test
async def test_buttons_that_do_not_fit_a_template_fall_back_to_numbered_lines(tmp_path) -> None:
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, RecordingDispatch()) as channel:
        await server.send_text(USER, "xin chào")
        six = tuple((Button(f"Mục {n}", data=f"pick:{n}"),) for n in range(1, 7))
        await channel.send(USER, Reply("Chọn một mục:", six))
        await channel.send(USER, Reply("Dữ liệu dài:", ((Button("Chọn", data="x" * 1000),),)))
        many, long_data = server.sent
    assert many.buttons == [] and many.text == "Chọn một mục:\n" + "\n".join(f"{n}. Mục {n}" for n in range(1, 7))
    assert long_data.buttons == [] and long_data.text == "Dữ liệu dài:\n1. Chọn"


@async_test
async def test_a_title_over_100_characters_is_cut(tmp_path) -> None:
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, RecordingDispatch()) as channel:
        await server.send_text(USER, "xin chào")
        label = "Đăng ký thường trú cho người chưa thành niên " * 4
        await channel.send(USER, Reply("Chọn:", ((Button(label, data="pick:1"),),)))
        [button] = server.sent[-1].buttons
    assert len(button["title"]) == 100 and button["title"] == label[:99] + "…"


def template(*buttons: dict[str, Any], kind: str = "template") -> dict[str, Any]:
    return {"type": kind, "payload": {"buttons": list(buttons)}}


def button(title: str = "A", kind: str = "oa.query.hide", payload: Any = "p") -> dict[str, Any]:
    return {"title": title, "type": kind, "payload": payload}


VALID_TEMPLATE = template(button(), button("Gọi", "oa.open.phone", {"phone_code": "02363822000"}))


@async_test
@pytest.mark.parametrize(
    "message",
    [
        {"text": "Chọn:", "attachment": template(*(button(str(n)) for n in range(6)))},
        {"text": "Chọn:", "attachment": template()},
        {"text": "Chọn:", "attachment": template(button(""))},
        {"text": "Chọn:", "attachment": template(button("a" * 101, "oa.query.show"))},
        {"text": "Chọn:", "attachment": template(button(payload="p" * 1001))},
        {"text": "Chọn:", "attachment": template(button(kind="postback"))},
        {"text": "Chọn:", "attachment": template(button(kind="oa.open.url", payload="https://dichvucong.gov.vn"))},
        {"text": "Chọn:", "attachment": template(button(kind="oa.open.phone", payload={}))},
        {"text": "Chọn:", "attachment": template(button(), kind="image")},
        {"attachment": VALID_TEMPLATE},
    ],
    ids=[
        "6 buttons",
        "none",
        "no title",
        "long title",
        "long payload",
        "unknown type",
        "url",
        "phone",
        "image",
        "no text",
    ],
)
async def test_the_fake_refuses_a_malformed_button_template(message) -> None:
    async with FakeZaloServer() as server, aiohttp.ClientSession() as session:
        server.set_last_interaction(USER, 0)  # a follower who wrote just now

        async def send(message: dict[str, Any]) -> dict[str, Any]:
            body = {"recipient": {"user_id": USER}, "message": message}
            headers = {"access_token": server.access_token}
            async with session.post(server.url + "/v3.0/oa/message/cs", json=body, headers=headers) as response:
                assert response.status == 200  # errors come in the body
                return await response.json()

        refused = await send(message)
        accepted = await send({"text": "Chọn:", "attachment": VALID_TEMPLATE})
    assert (refused["error"], accepted["error"]) == (-201, 0)
    assert [sent.buttons for sent in server.sent] == [VALID_TEMPLATE["payload"]["buttons"]]


@async_test
async def test_an_invalid_token_is_refreshed_once_and_the_send_made_again(tmp_path) -> None:
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, RecordingDispatch()) as channel:
        await server.send_text(USER, "xin chào")
        server.fail_next(-216)
        await channel.send(USER, Reply("Chào anh/chị"))  # one attempt: re-authenticating is no retry
        assert server.outbox(USER) == ["Chào anh/chị"] and server.refreshes == 1 and server.send_calls == 2
        # A second -216 right after the refresh is not refreshed again: something else is wrong.
        server.fail_next(-216, -216)
        with pytest.raises(DeliveryError) as failure:
            await channel.send(USER, Reply("Lần hai"))
    assert not failure.value.retryable and server.refreshes == 2


@async_test
@pytest.mark.parametrize(("code", "retry_after"), [(-32, 60.0), (-100, None)])
async def test_rate_limits_and_transient_errors_are_one_request_left_to_the_delivery_layer(
    tmp_path, code, retry_after
) -> None:
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, RecordingDispatch()) as channel:
        await server.send_text(USER, "xin chào")
        server.fail_next(code)
        with pytest.raises(DeliveryError) as failure:
            await channel.send(USER, Reply("Một"))
        assert server.send_calls == 1
        await channel.send(USER, Reply("Hai"))
    assert failure.value.retryable and failure.value.retry_after == retry_after
    assert server.outbox(USER) == ["Hai"]


@async_test
@pytest.mark.parametrize("failure", ["http-502", "rate-limit", "transient"])
async def test_a_reply_makes_exactly_the_http_requests_the_retry_policy_states(failure, tmp_path) -> None:
    """RetryPolicy's bound under a persistent failure: attempts_per_round requests a round,
    max_attempts in all, then none; one round for the ticket service."""
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, RecordingDispatch()) as channel:
        await server.send_text(USER, "xin chào")
        if failure == "http-502":
            server.fail_next_http(502, times=1000)
        else:
            server.fail_next(*[-32 if failure == "rate-limit" else -100] * 1000)
        measured = await requests_under_persistent_failure(channel, USER, lambda: server.send_calls, tmp_path)
    assert measured.after_each_round == [3, 6, 7, 7]  # POLICY: 3 a round, 7 in all
    assert measured.status == "failed"
    assert measured.ticket_service == POLICY.attempts_per_round
    if failure == "rate-limit":
        assert set(measured.delays) == {60.0}  # Zalo's per-minute limit waited out
    assert server.outbox(USER) == []


@async_test
@pytest.mark.parametrize("code", [-230, -232])
async def test_outside_the_interaction_window_is_not_retryable(tmp_path, code) -> None:
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, RecordingDispatch()) as channel:
        await server.send_text(USER, "xin chào")
        server.fail_next(code)
        with pytest.raises(DeliveryError) as failure:
            await channel.send(USER, Reply("Trả lời"))
    assert not failure.value.retryable
    assert "outside the OA's interaction window" in str(failure.value) and str(code) in str(failure.value)


@async_test
async def test_the_fake_enforces_the_7_day_window_itself(tmp_path) -> None:
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, RecordingDispatch()) as channel:
        await server.send_text(USER, "xin chào")
        server.set_last_interaction(USER, 8 * 24 * 3600)
        with pytest.raises(DeliveryError, match="-230"):
            await channel.send(USER, Reply("Trả lời"))


# -------------------------------------------------------------------------------- tokens


@async_test
async def test_an_expiring_token_is_refreshed_and_the_new_pair_persisted(tmp_path) -> None:
    async with FakeZaloServer() as server:
        clock = [time.time()]
        tokens = tokens_for(server, tmp_path, clock=lambda: clock[0])
        async with aiohttp.ClientSession() as session:
            first = await tokens.refresh(session, stale=tokens.pair.access_token)
            assert server.refreshes == 1 and first == server.access_token
            assert await tokens.current(session) == first  # fresh: no refresh
            clock[0] += 21 * 3600  # past 20 h of the 25 h
            second = await tokens.current(session)
        stored = json.loads((tmp_path / "zalo_tokens.json").read_text())
    assert server.refreshes == 2 and second == server.access_token != first
    assert stored["refresh_token"] == server.refresh_token and stored["access_token"] == second
    assert not (tmp_path / "zalo_tokens.json.tmp").exists()


@async_test
async def test_a_crash_after_persisting_loses_nothing(tmp_path, monkeypatch) -> None:
    async with FakeZaloServer() as server, aiohttp.ClientSession() as session:
        env_refresh = server.refresh_token
        tokens = tokens_for(server, tmp_path)
        persist = tokens._persist

        def persist_then_crash(pair: Any) -> None:
            persist(pair)
            raise SystemExit("killed between persisting the new pair and using it")

        monkeypatch.setattr(tokens, "_persist", persist_then_crash)
        with pytest.raises(SystemExit):
            await tokens.refresh(session, stale=tokens.pair.access_token)
        # The environment's refresh token is dead now; the restarted bot takes the stored one.
        restarted = tokens_for(server, tmp_path, refresh_token=env_refresh, access_token="")
        assert restarted.pair.refresh_token == server.refresh_token != env_refresh
        assert await restarted.current(session) == server.access_token  # the stored, valid token
        # And the stored refresh token is the live one: the next rotation works.
        fresh = await restarted.refresh(session, stale=restarted.pair.access_token)
    assert fresh == server.access_token and server.refreshes == 2


@async_test
async def test_concurrent_sends_share_one_refresh(tmp_path) -> None:
    async with FakeZaloServer() as server, zalo_channel(server, tmp_path, RecordingDispatch()) as channel:
        await server.send_text(USER, "xin chào")
        server.fast_forward(26 * 3600)  # the access token is expired on Zalo's side: -220
        server.set_last_interaction(USER, 0)
        await asyncio.gather(*(channel.send(USER, Reply(f"Tin {n}")) for n in range(10)))
    assert server.refreshes == 1 and len(server.outbox(USER)) == 10


@async_test
async def test_a_reused_refresh_token_fails_on_the_fake(tmp_path) -> None:
    async with FakeZaloServer() as server, aiohttp.ClientSession() as session:
        old = server.refresh_token
        await tokens_for(server, tmp_path / "a").refresh(session, stale=server.access_token)
        async with session.post(
            server.url + "/v4/oa/access_token",
            data={"refresh_token": old, "app_id": APP_ID, "grant_type": "refresh_token"},
            headers={"secret_key": APP_SECRET},
        ) as response:
            body = await response.json()
    assert response.status == 200 and body["error"] < 0 and "access_token" not in body


# ------------------------------------------------------------------- end to end on Zalo


class ZaloWard:
    """The real pipeline, dialogue, ticket desk and officials' desk, with Zalo for citizens and a
    collecting "telegram" channel for the officials' group."""

    def __init__(self, engine, storage: Storage, tickets: TicketStore) -> None:
        self.tickets = tickets
        self.desk = TicketDesk(tickets, WorkingCalendar.from_file(), {})
        self.dialogue = Dialogue(
            engine,
            MemoryDialogueStore(),
            ward_name=WARD_NAME,
            ward_contact=WARD_CONTACT,
            desk=self.desk,
            pseudonym=pseudonym,
        )
        self.group = CollectingChannel("telegram")
        self.retry = RetryPolicy(attempts_per_round=1)
        self.storage = storage
        self.officials: OfficialsDesk | None = None
        self.running: Pipeline | None = None  # the pipeline serving the channel

    def pipeline(self, zalo: ZaloChannel) -> Pipeline:
        service = TicketService(
            self.desk,
            {"telegram": self.group, "zalo": zalo},
            ward_name=WARD_NAME,
            retry=self.retry,
            sleep=RecordingSleep(),
        )
        self.officials = OfficialsDesk(service, group_chat_id=GROUP, members=[ALICE], dialogue=self.dialogue)
        return Pipeline(
            self.storage,
            self.dialogue,
            apology=Reply("Xin lỗi."),
            channels=[zalo, self.group],
            officials=self.officials,
            retry=self.retry,
        )


@contextlib.asynccontextmanager
async def zalo_ward(engine, tmp_path: Path) -> AsyncIterator[tuple[FakeZaloServer, ZaloWard]]:
    storage = await Storage.open(tmp_path / "wardbot.sqlite3", pseudonym_key=b"k" * 32)
    tickets = await TicketStore.open(tmp_path / "tickets.sqlite3")
    ward = ZaloWard(engine, storage, tickets)
    pipeline: Pipeline | None = None  # built once the channel exists: it delivers through it

    async def dispatch(message: IncomingMessage) -> asyncio.Future[None]:
        assert pipeline is not None
        return await pipeline(message)

    try:
        async with FakeZaloServer() as server, zalo_channel(server, tmp_path, dispatch) as channel:
            pipeline = ward.running = ward.pipeline(channel)
            yield server, ward
            await pipeline.drain(WAIT_TIMEOUT_S)
    finally:
        await tickets.close()
        await storage.close()


async def say(server: FakeZaloServer, text: str, *, copies: int = 1) -> str:
    """The citizen writes; the bot's next message, as the citizen reads it."""
    before = len(server.outbox(USER))
    await server.send_text(USER, text, copies=copies)
    return (await server.wait_for_outbox(USER, before + 1))[-1]


async def press(server: FakeZaloServer, title: str) -> str:
    """The citizen taps a button of the bot's last message with buttons; the bot's next message."""
    before = len(server.outbox(USER))
    await server.press(USER, title)
    return (await server.wait_for_outbox(USER, before + 1))[-1]


def titles(server: FakeZaloServer) -> list[str]:
    """The button titles of the bot's last message."""
    return [button["title"] for button in server.sent[-1].buttons]


@async_test
async def test_the_dialogue_on_zalo_greeting_menu_by_number_and_a_procedure_card(hashing_embedder, tmp_path) -> None:
    engine = build_engine(hashing_embedder, decision=Decision.ANSWER)
    async with zalo_ward(engine, tmp_path) as (server, _):
        await server.deliver(server.follow_event(USER))
        greeting = (await server.wait_for_outbox(USER, 1))[-1]
        assert greeting.startswith(f"Xin chào anh/chị! Tôi là trợ lý ảo của {WARD_NAME}.")
        assert titles(server)[2] == catalogue.MENU_FEEDBACK_BUTTON  # the menu, as buttons
        faqs = await say(server, "2")  # the second button, chosen by its number
        assert faqs.startswith(catalogue.MENU_FAQ)
        card = await say(server, "dang ky tam tru can giay to gi", copies=2)  # Zalo re-sent it
        assert card.startswith("📋 Đăng ký tạm trú") and "• Trực tuyến: 3 ngày làm việc · 7.000 đồng" in card
        assert catalogue.HELPFUL_BUTTON in titles(server)
        # One more message: a chat's messages are handled in order, so a second card for the
        # duplicate would have come before the answer to this one.
        assert await say(server, "/start") == greeting
    assert server.outbox(USER) == [greeting, faqs, card, greeting]  # the duplicate got no second card


@async_test
async def test_the_dialogue_on_zalo_by_pressing_buttons(hashing_embedder, tmp_path) -> None:
    engine = build_engine(hashing_embedder, decision=Decision.ANSWER)
    async with zalo_ward(engine, tmp_path) as (server, ward):
        await server.deliver(server.follow_event(USER))
        await server.wait_for_outbox(USER, 1)
        faqs = await press(server, catalogue.MENU_FAQ_BUTTON)
        assert faqs.startswith(catalogue.MENU_FAQ)
        faq_buttons = server.sent[-1].buttons
        await say(server, "/start")
        assert await say(server, "2") == faqs and server.sent[-1].buttons == faq_buttons  # as by its number
        card = await say(server, "dang ky tam tru can giay to gi")
        assert card.startswith("📋 Đăng ký tạm trú")
        links = [button for button in server.sent[-1].buttons if button["type"] == "oa.open.url"]
        assert [link["title"] for link in links] == [catalogue.FILE_ONLINE_BUTTON]
        assert links[0]["payload"]["url"].startswith("https://")
        def offers(message) -> bool:
            """Whether a message carries choices: a template, or numbered lines."""
            return bool(message.buttons or re.search(r"^\d+\. ", message.text, re.MULTILINE))

        async def replies_to(send) -> list:
            """The bot's pieces in answer to one action: a long text comes in pieces, the choices
            with the last."""
            before = len(server.sent)
            await send()
            await wait_until(lambda: len(server.sent) > before and offers(server.sent[-1]) and ward.running.idle)
            return server.sent[before:]

        # The overview offers its parts, the portal and the votes: more than a template holds, so
        # they come as numbered lines, and the citizen types the number of the part.
        overview = await replies_to(lambda: server.press(USER, catalogue.MORE_BUTTON))
        assert overview[0].text.startswith("📋 Đăng ký tạm trú")
        number = re.search(r"^(\d+)\. 📄", "\n".join(piece.text for piece in overview), re.MULTILINE).group(1)
        documents = await replies_to(lambda: server.send_text(USER, number))
        assert documents[0].text.startswith("📋 Đăng ký tạm trú") and "Giấy tờ" in documents[0].text
        assert not any(offers(piece) for piece in documents[:-1])


@async_test
async def test_the_ticket_flow_end_to_end_on_zalo(hashing_embedder, tmp_path) -> None:
    engine = build_engine(hashing_embedder, decision=Decision.ABSTAIN)
    async with zalo_ward(engine, tmp_path) as (server, ward):
        assert await say(server, "Đường Lê Lợi có ổ gà rất to") == catalogue.INTAKE_ASK_WHERE
        await server.deliver(server.location_event(USER, 16.0544, 108.2022))
        assert (await server.wait_for_outbox(USER, 2))[-1].startswith(catalogue.INTAKE_ASK_PHOTO)
        await server.deliver(server.image_event(USER))
        consent = (await server.wait_for_outbox(USER, 3))[-1]
        assert consent.startswith(catalogue.INTAKE_ASK_CONSENT)
        await press(server, catalogue.INTAKE_ANONYMOUS_BUTTON)
        receipt = await press(server, catalogue.INTAKE_CONFIRM_BUTTON)
        [ticket] = await ward.tickets.list()
        assert ticket.code in receipt and ticket.photo and ticket.location == (16.0544, 108.2022)
        assert ticket.code in ward.group.texts[0]  # announced to the officials' group

        # An official answers from the group; the answer reaches the citizen on Zalo.
        assert ward.officials is not None
        group = functools.partial(IncomingMessage, "telegram", GROUP, ALICE, display_name="Lan")
        assert await ward.officials.handle(group(text=f"/reply {ticket.code} Đã vá ổ gà ngày 20/2.")) == [
            Reply(f"✅ {ticket.code}: đã gửi trả lời tới người dân.")
        ]
        answer = server.outbox(USER)[-1]
        assert "Đã vá ổ gà ngày 20/2." in answer and ticket.code in answer

        status = await say(server, f"tra cứu {ticket.code}")
        assert catalogue.TICKET_STATUSES["answered"] in status and "Đã vá ổ gà" in status

        # Outside the interaction window the answer cannot reach the citizen: flagged, not dropped.
        await ward.officials.handle(group(text=f"/reopen {ticket.code} chưa vá"))
        server.set_last_interaction(USER, 8 * 24 * 3600)
        [flag] = await ward.officials.handle(group(text=f"/reply {ticket.code} Đã vá lại."))
        failed = await ward.tickets.get(ticket.code)
    assert flag.text.startswith(f"❗ {ticket.code}: không gửi được tin tới người dân")
    assert "interaction window" in flag.text
    assert failed.status is Status.ANSWERED and failed.delivery == "failed"


# ------------------------------------------------------------------------------ benchmark


@async_test
async def test_the_webhook_benchmark_measures_every_event() -> None:
    def echo_factory(channel: Any) -> Callable[[IncomingMessage], Coroutine[Any, Any, None]]:
        async def echo(message: IncomingMessage) -> None:
            await channel.send(message.chat_id, Reply(message.text))

        return echo

    figures = await bench_zalo_webhook(echo_factory, users=5, events_per_user=4)
    assert figures["events"] == figures["accepted"] == figures["replies"] == 20
    assert 0 < figures["time_to_200_p50_ms"] <= figures["time_to_200_p95_ms"] <= figures["time_to_200_max_ms"]
    assert figures["events_per_s"] > 0


# ------------------------------------------------------------------------------- config


def test_zalo_is_configured_from_the_environment(tmp_path) -> None:
    from bot._app import configured_channels
    from bot._config import ConfigError, load_config

    environ = {
        "WARDBOT_CONFIG": "",
        "WARDBOT_DATA_DIR": str(tmp_path),
        "WARDBOT_ZALO_APP_ID": APP_ID,
        "WARDBOT_ZALO_OA_SECRET": OA_SECRET,
        "WARDBOT_ZALO_APP_SECRET": APP_SECRET,
        "WARDBOT_ZALO_REFRESH_TOKEN": "first-refresh-token",
        "WARDBOT_ZALO_API_URL": "http://127.0.0.1:9",
    }
    config = load_config(environ=environ)
    assert config.zalo_enabled and config.zalo.api_url == "http://127.0.0.1:9"
    assert config.zalo.oauth_url == "https://oauth.zaloapp.com"
    assert "first-refresh-token" not in repr(config)
    [zalo] = [c for c in configured_channels(config) if c.name == "zalo"]
    assert [route.path for route in zalo.routes()] == [WEBHOOK_PATH]  # type: ignore[attr-defined]
    assert not load_config(environ={**environ, "WARDBOT_ZALO_OA_SECRET": ""}).zalo_enabled
    with pytest.raises(ConfigError, match="WARDBOT_ZALO_APP_SECRET"):
        load_config(environ={**environ, "WARDBOT_ZALO_APP_SECRET": ""})
    with pytest.raises(ConfigError, match="WARDBOT_ZALO_APP_ID"):
        load_config(environ={**environ, "WARDBOT_ZALO_APP_ID": ""})

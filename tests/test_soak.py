"""``wardbot soak``'s own logic: how replies are told apart and counted, how the traffic is planned,
and the fake Telegram options it relies on. The soak itself runs ``wardbot run`` with the real
model and takes minutes, so it is run by ``make soak``, not here."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from fakes.aio import async_test, wait_until

from bot._config import Config
from bot.channels._telegram import SECRET_HEADER
from bot.devtools._soak import SCRIPTS, SoakSettings, _Soak
from bot.devtools._soak_scoring import mask, score_chat
from bot.testing.telegram import FakeTelegramServer

RECEIPT = "Mã phản ánh: {code}\n• Hạn trả lời: {due}\n• Mã tra cứu: {secret}\nnhắn: «tra cứu {code}»"


def test_two_receipts_of_different_tickets_read_the_same_once_masked() -> None:
    first = RECEIPT.format(code="PA-2026-000001", due="17h00 ngày 06/03/2026", secret="7KQ2MZXA")
    second = RECEIPT.format(code="PA-2026-000042", due="11h30 ngày 09/03/2026", secret="AB34CDEF")
    assert mask(first) == mask(second)
    assert "PA-2026" not in mask(first) and "7KQ2MZXA" not in mask(first) and "06/03/2026" not in mask(first)
    # What tells two procedures apart stays.
    assert mask("Mã thủ tục: 1.001193") != mask("Mã thủ tục: 1.014062")


EXPECTED = [["greeting"], ["card"], ["fee", "fee, part 2"], ["thanks"]]


def test_a_chat_that_got_every_reply_once_has_nothing_lost_or_duplicated() -> None:
    score = score_chat(EXPECTED, [True] * 4, ["greeting", "card", "fee", "fee, part 2", "thanks"])
    assert (score.accepted, score.lost, score.duplicated, score.off_script) == (4, 0, 0, 0)


def test_a_reply_is_matched_by_its_text_whatever_order_it_came_in() -> None:
    # A reply redelivered after a restart may arrive after the next turn's.
    score = score_chat(EXPECTED, [True] * 4, ["greeting", "fee", "fee, part 2", "card", "thanks"])
    assert (score.lost, score.duplicated) == (0, 0)


def test_an_accepted_turn_without_any_reply_is_lost_and_a_repeated_reply_duplicated() -> None:
    score = score_chat(EXPECTED, [True] * 4, ["greeting", "greeting", "fee", "fee, part 2", "thanks", "thanks"])
    assert (score.lost, score.duplicated, score.off_script) == (1, 2, 0)
    assert score.unanswered == (1,) and score.duplicates == ("greeting", "thanks")
    # One piece of a turn's reply is enough for the turn not to be lost.
    assert score_chat(EXPECTED, [True] * 4, ["greeting", "card", "fee, part 2", "thanks"]).lost == 0


def test_a_turn_answered_off_script_is_not_lost() -> None:
    # The card was lost, so "lệ phí bao nhiêu?" was asked about no procedure: a reply the script
    # never gets, which stands for one of the two turns without their own.
    score = score_chat(EXPECTED, [True] * 4, ["greeting", "which procedure?", "thanks"])
    assert (score.lost, score.duplicated, score.off_script) == (1, 0, 1)


def test_turns_refused_or_never_sent_are_not_lost() -> None:
    # The second message was refused by the platform; the chat stopped after three messages.
    score = score_chat(EXPECTED, [True, False, True], ["greeting", "fee", "fee, part 2"])
    assert (score.accepted, score.lost, score.duplicated, score.off_script) == (2, 0, 0, 0)
    # The reply of a turn never sent is off script.
    assert score_chat(EXPECTED, [True], ["greeting", "thanks"]).off_script == 1


def test_the_plan_uses_exactly_the_messages_asked_for_on_every_channel_in_turn() -> None:
    soak = _Soak(Config(), SoakSettings(messages=101, seed=7))
    plan = soak._plan()
    assert sum(len(burst) for _, _, bursts in plan for burst in bursts) == 101
    assert [channel for channel, _, _ in plan[:4]] == ["telegram", "zalo", "web", "telegram"]
    for _, script, bursts in plan[:-1]:
        assert bursts == [list(burst) for burst in SCRIPTS[script]]
    # The same seed plans the same traffic.
    assert _Soak(Config(), SoakSettings(messages=101, seed=7))._plan() == plan


@async_test
async def test_the_fake_telegram_webhook_goes_through_the_proxy_and_retries_on_the_given_ladder() -> None:
    statuses = iter([503, 503, 200])
    received: list[tuple[str, str]] = []

    async def webhook(request: web.Request) -> web.Response:
        received.append((request.path, request.headers.get(SECRET_HEADER, "")))
        return web.Response(status=next(statuses))

    app = web.Application()
    app.router.add_post("/webhooks/telegram", webhook)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    proxy = f"http://127.0.0.1:{runner.addresses[0][1]}"
    server = FakeTelegramServer(webhook_retry_delays=(0.01, 0.01), webhook_proxy=proxy)
    try:
        async with server:
            webhook_url = "https://bot.example/webhooks/telegram"
            async with aiohttp.ClientSession() as http:
                set_webhook = f"{server.api_url}{server.token}/setWebhook"
                async with http.post(set_webhook, json={"url": webhook_url, "secret_token": "s"}) as response:
                    assert response.status == 200
            update = server.send_text(5001, "xin chào")
            await wait_until(lambda: len(server.webhook_deliveries) == 3, what=lambda: server.webhook_deliveries)
    finally:
        await runner.cleanup()
    assert server.webhook_deliveries == [(update, 503), (update, 503), (update, 200)]
    assert received == [("/webhooks/telegram", "s")] * 3


@async_test
async def test_the_fake_telegram_says_whether_an_update_still_waits_for_the_bot() -> None:
    async with FakeTelegramServer() as server, aiohttp.ClientSession() as http:
        first, second = server.send_text(5001, "xin chào"), server.send_text(5001, "cảm ơn")
        assert server.is_pending(first) and server.is_pending(second)
        # Fetching does not confirm; a later offset does, as on Telegram.
        async with http.get(f"{server.api_url}{server.token}/getUpdates", params={"offset": "0"}) as response:
            assert [u["update_id"] for u in (await response.json())["result"]] == [first, second]
        assert server.is_pending(first)
        async with http.get(f"{server.api_url}{server.token}/getUpdates", params={"offset": str(second)}):
            pass
        assert not server.is_pending(first) and server.is_pending(second)

"""The log: secrets redacted wherever they hide in a record, chat ids as keyed hashes, text or
JSON lines, library noise held back; and a whole run of the bot on every channel, logged at
DEBUG, that leaves no secret and no raw chat id in the log."""

from __future__ import annotations

import io
import json
import logging
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from fakes.aio import WAIT_TIMEOUT_S, async_test, wait_until
from fakes.embedders import HashingEmbedder

from bot import _logging
from bot._app import Application
from bot._config import (
    Config,
    HttpSettings,
    KnowledgeSettings,
    LoggingSettings,
    Secrets,
    TelegramSettings,
    ZaloSettings,
)
from bot._logging import LIBRARY_LEVELS, REDACTED, Redactor, chat_ref, configure_logging
from bot.channels._telegram import WEBHOOK_PATH as TELEGRAM_WEBHOOK
from bot.channels._zalo import WEBHOOK_PATH as ZALO_WEBHOOK
from bot.storage import PSEUDONYM_KEY_FILE, Storage
from bot.testing.telegram import FakeTelegramServer
from bot.testing.zalo import APP_ID, FakeZaloServer
from retrieval import LexicalIndex, SearchDoc

# Shaped like a real one: bot id, colon, 35 characters.
BOT_TOKEN = "7012345678:AAF3kq9Zx_Lm2Vb8Np4Rt6Yw1Cd5Gh7Jk0Qs"
TELEGRAM_USER = 918273645
ZALO_USER = "5566778899001122334"


@pytest.fixture
def log_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """configure_logging changes the process's logging: put it back for the other tests."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    library_levels = {name: logging.getLogger(name).level for name in LIBRARY_LEVELS}
    monkeypatch.setattr(_logging, "_ref_key", _logging._ref_key)
    yield
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, library_level in library_levels.items():
        logging.getLogger(name).setLevel(library_level)


def logged(tmp_path: Path, *, level: str = "DEBUG", log_format: str = "text", **secret_values: str) -> io.StringIO:
    """Configure logging into a buffer, as ``wardbot run`` would into stderr."""
    stream = io.StringIO()
    config = Config(
        data_dir=tmp_path / "data",
        logging=LoggingSettings(format=log_format, level=level),
        secrets=Secrets(**secret_values),
    )
    configure_logging(config, stream=stream)
    return stream


# ------------------------------------------------------------------------------- redaction


def test_secret_values_are_removed_whole_even_when_one_contains_another() -> None:
    redact = Redactor(["abc", "xxabcxx", ""])
    assert redact("keys xxabcxx and abc") == f"keys {REDACTED} and {REDACTED}"
    assert redact("nothing to hide") == "nothing to hide"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f'HTTP Request: POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage "HTTP/1.1 200 OK"',
            f'HTTP Request: POST https://api.telegram.org/bot{REDACTED}/sendMessage "HTTP/1.1 200 OK"',
        ),
        (f"The token `{BOT_TOKEN}` was rejected", f"The token `{REDACTED}` was rejected"),
        (
            '127.0.0.1 "GET /api/messages?session=Zq1-x_9abcdefghijk&after=3 HTTP/1.1" 200',
            f'127.0.0.1 "GET /api/messages?session={REDACTED}&after=3 HTTP/1.1" 200',
        ),
        ("POST /oauth?access_token=a1b2&app_id=42", f"POST /oauth?access_token={REDACTED}&app_id=42"),
        (
            "refused: {'access_token': 'a1b2', 'refresh_token': 'c3d4', 'expires_in': '90000'}",
            f"refused: {{'access_token': '{REDACTED}', 'refresh_token': '{REDACTED}', 'expires_in': '90000'}}",
        ),
        ('{"secret_key": "s3", "error": -14002}', f'{{"secret_key": "{REDACTED}", "error": -14002}}'),
        ("headers <CIMultiDict('access_token': 'a1b2')>", f"headers <CIMultiDict('access_token': '{REDACTED}')>"),
        ("access_token: a1b2", f"access_token: {REDACTED}"),
        ("X-Telegram-Bot-Api-Secret-Token: s3cr3t", f"X-Telegram-Bot-Api-Secret-Token: {REDACTED}"),
        ("Authorization: Bearer adm1n", f"Authorization: Bearer {REDACTED}"),
        ("ZaloTokens(app_secret='s3')", f"ZaloTokens(app_secret='{REDACTED}')"),
        # What is not a credential stays as it was.
        ("the Telegram bot token was rejected by the server", "the Telegram bot token was rejected by the server"),
        ("wrong token: try again at 12:34:56", "wrong token: try again at 12:34:56"),
        (
            "reply 12 to telegram held until the user writes again",
            "reply 12 to telegram held until the user writes again",
        ),
    ],
)
def test_credential_shapes_are_removed_without_being_configured(text: str, expected: str) -> None:
    assert Redactor()(text) == expected


def test_the_message_with_its_arguments_the_traceback_and_the_stack_are_redacted(
    tmp_path: Path, log_state: None
) -> None:
    stream = logged(tmp_path, admin_token="adm1n-T0ken")
    log = logging.getLogger("wardbot.test")
    # The secret only appears once the arguments are filled in.
    log.info("calling %s%s/getMe for %s", "https://api.telegram.org/bot", BOT_TOKEN, "adm1n-T0ken")
    try:
        raise ConnectionError(f"POST https://api.telegram.org/bot{BOT_TOKEN}/getMe failed (admin adm1n-T0ken)")
    except ConnectionError:
        log.exception("Telegram is unreachable")
    log.warning("where %s", "adm1n-T0ken", stack_info=True)
    text = stream.getvalue()
    assert BOT_TOKEN not in text and "adm1n-T0ken" not in text
    assert f"calling https://api.telegram.org/bot{REDACTED}/getMe for {REDACTED}" in text
    assert f"ConnectionError: POST https://api.telegram.org/bot{REDACTED}/getMe failed (admin {REDACTED})" in text
    assert "Stack (most recent call last)" in text and f"where {REDACTED}" in text


def test_arguments_that_do_not_fit_the_format_neither_raise_nor_show(tmp_path: Path, log_state: None) -> None:
    stream = logged(tmp_path)
    logging.getLogger("wardbot.test").error("two %s %s", "session=only-one")
    text = stream.getvalue()
    assert "two %s %s (its arguments did not fit this format)" in text
    assert "only-one" not in text


def test_a_pseudonym_key_generated_into_the_data_directory_is_redacted_too(tmp_path: Path, log_state: None) -> None:
    stream = logged(tmp_path)
    key = (tmp_path / "data" / PSEUDONYM_KEY_FILE).read_text().strip()
    logging.getLogger("wardbot.test").info("key %s", key)
    assert f"key {REDACTED}" in stream.getvalue() and key not in stream.getvalue()
    assert "generated a pseudonym key" in stream.getvalue()  # said once the handler was in place


def test_handlers_installed_before_are_replaced(tmp_path: Path, log_state: None) -> None:
    early = io.StringIO()
    logging.getLogger().addHandler(logging.StreamHandler(early))
    stream = logged(tmp_path, telegram_token=BOT_TOKEN)
    logging.getLogger("wardbot.test").warning("token %s", BOT_TOKEN)
    assert early.getvalue() == "" and f"token {REDACTED}" in stream.getvalue()


# ----------------------------------------------------------------------------- chat ids


@async_test
async def test_a_chat_ref_is_the_start_of_the_compliance_pseudonym_and_survives_a_restart(
    tmp_path: Path, log_state: None
) -> None:
    logged(tmp_path)  # the key is generated into the data directory
    first = chat_ref("telegram", TELEGRAM_USER)
    logged(tmp_path)  # a restart reads it back
    assert chat_ref("telegram", TELEGRAM_USER) == first
    assert first.startswith("telegram:") and str(TELEGRAM_USER) not in first
    assert chat_ref("zalo", TELEGRAM_USER) != f"zalo:{first.split(':')[1]}"  # ids are per platform
    key = (tmp_path / "data" / PSEUDONYM_KEY_FILE).read_bytes().strip()
    async with await Storage.open(tmp_path / "s.sqlite3", pseudonym_key=key) as storage:
        assert storage.pseudonym("telegram", str(TELEGRAM_USER)).startswith(first.split(":")[1])


def test_the_configured_pseudonym_key_wins(tmp_path: Path, log_state: None) -> None:
    logged(tmp_path, pseudonym_key="k1")
    with_k1 = chat_ref("web", "session-1")
    logged(tmp_path, pseudonym_key="k2")
    assert chat_ref("web", "session-1") != with_k1
    assert not (tmp_path / "data" / PSEUDONYM_KEY_FILE).exists()


# ------------------------------------------------------------------------- format, levels


def test_json_lines_carry_time_level_logger_message_and_exception(tmp_path: Path, log_state: None) -> None:
    stream = logged(tmp_path, log_format="json", level="INFO", admin_token="adm1n-T0ken")
    log = logging.getLogger("wardbot.test")
    log.info("héllo %s", "adm1n-T0ken")
    try:
        raise ValueError("bad")
    except ValueError:
        log.error("it failed", exc_info=True)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    mine = [entry for entry in entries if entry["logger"] == "wardbot.test"]
    assert [(e["level"], e["message"]) for e in mine] == [("INFO", f"héllo {REDACTED}"), ("ERROR", "it failed")]
    assert "exception" not in mine[0]
    assert mine[1]["exception"].startswith("Traceback") and mine[1]["exception"].endswith("ValueError: bad")
    assert mine[0]["time"].endswith("+00:00") and mine[0]["time"][:4].isdigit()


def test_at_info_no_debug_from_libraries_that_set_their_own_level(tmp_path: Path, log_state: None) -> None:
    stream = logged(tmp_path, level="INFO")
    LexicalIndex([SearchDoc(id="1", title="cấp căn cước", body=("tờ khai",))])  # bm25s logs at DEBUG
    eager = logging.getLogger("wardbot.test.eager")
    eager.setLevel(logging.DEBUG)  # as bm25s does to its logger when imported
    eager.debug("too much detail")
    logging.getLogger("httpx").info(f"HTTP Request: POST https://api.telegram.org/bot{BOT_TOKEN}/getMe")
    logging.getLogger("httpx").warning("httpx warns")
    eager.setLevel(logging.NOTSET)
    assert stream.getvalue().splitlines()[-1].endswith("httpx warns")
    assert "bm25s" not in stream.getvalue() and "too much detail" not in stream.getvalue()
    assert "HTTP Request" not in stream.getvalue()


def test_at_debug_the_bot_says_more_but_request_urls_and_bot_api_payloads_stay_out(
    tmp_path: Path, log_state: None
) -> None:
    stream = logged(tmp_path, level="DEBUG")
    logging.getLogger("bot.test").debug("wardbot detail")
    logging.getLogger("httpx").info("HTTP Request: POST …")
    logging.getLogger("telegram._bot").debug("Calling Bot API endpoint `sendMessage` with parameters …")
    logging.getLogger("telegram.ext").info("Application started")
    text = stream.getvalue()
    assert "wardbot detail" in text and "Application started" in text
    assert "HTTP Request" not in text and "Calling Bot API" not in text


def test_wardbot_chat_shows_only_problems(tmp_path: Path, log_state: None) -> None:
    stream = io.StringIO()
    configure_logging(Config(data_dir=tmp_path), at_least=logging.WARNING, stream=stream)
    logging.getLogger("bot.test").info("chatter")
    logging.getLogger("bot.test").warning("a problem")
    assert stream.getvalue().splitlines()[-1].endswith("a problem") and "chatter" not in stream.getvalue()


# --------------------------------------------------------------------------- the whole bot


def free_port() -> int:
    """A port to name in the Telegram webhook address before the bot's server binds it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("log_format", ["text", "json"])
@async_test
async def test_a_run_on_every_channel_logs_no_secret_and_no_raw_chat_id(
    tmp_path: Path, tiny_kb: Path, log_state: None, log_format: str
) -> None:
    """Telegram by webhook, Zalo with an access token that has to be refreshed, the web chat,
    a wrong and a right admin reload, and two deliveries that fail: all logged at DEBUG, the
    aiohttp access log of the bot and of both fake platforms included."""
    admin_token, wrong_admin_token = f"adm-{secrets.token_hex(12)}", f"adm-{secrets.token_hex(12)}"
    webhook_secret, pseudonym_key = f"wh_{secrets.token_hex(12)}", secrets.token_hex(32)
    oa_secret, app_secret = f"oa-{secrets.token_hex(12)}", f"app-{secrets.token_hex(12)}"
    stale_access_token = f"stale-{secrets.token_hex(12)}"  # Zalo answers -216 and the bot refreshes
    session = f"web-{secrets.token_urlsafe(24)}"
    port = free_port()
    stream = io.StringIO()
    async with (
        FakeTelegramServer(BOT_TOKEN) as telegram,
        FakeZaloServer(oa_secret=oa_secret, app_secret=app_secret) as zalo,
    ):
        first_refresh_token = zalo.refresh_token
        config = Config(
            data_dir=tmp_path / "data",
            knowledge=KnowledgeSettings(paths=(str(tiny_kb),), national=False),
            http=HttpSettings(port=port),
            telegram=TelegramSettings(
                mode="webhook",
                webhook_url=f"http://127.0.0.1:{port}{TELEGRAM_WEBHOOK}",
                per_chat_interval=0.0,
                api_url=telegram.api_url,
            ),
            zalo=ZaloSettings(app_id=APP_ID, api_url=zalo.url, oauth_url=zalo.url),
            logging=LoggingSettings(format=log_format, level="DEBUG"),
            secrets=Secrets(
                telegram_token=BOT_TOKEN,
                telegram_webhook_secret=webhook_secret,
                admin_token=admin_token,
                pseudonym_key=pseudonym_key,
                zalo_oa_secret=oa_secret,
                zalo_app_secret=app_secret,
                zalo_access_token=stale_access_token,
                zalo_refresh_token=first_refresh_token,
            ),
        )
        configure_logging(config, stream=stream)
        app = Application(config, embedder=HashingEmbedder(), progress=False)
        await app.start()
        try:
            zalo.webhook_url = f"{app.http.url}{ZALO_WEBHOOK}"
            telegram_ref, zalo_ref = chat_ref("telegram", TELEGRAM_USER), chat_ref("zalo", ZALO_USER)

            telegram.send_text(TELEGRAM_USER, "xin chào")
            await telegram.wait_for_outbox(TELEGRAM_USER, 1, timeout=WAIT_TIMEOUT_S)
            telegram.block_bot(TELEGRAM_USER)  # the next reply is refused with 403
            telegram.send_text(TELEGRAM_USER, "lệ phí cấp căn cước?")
            await wait_until(lambda: telegram_ref in stream.getvalue(), what="the refused Telegram reply logged")

            await zalo.send_text(ZALO_USER, "xin chào")
            await zalo.wait_for_outbox(ZALO_USER, 1, timeout=WAIT_TIMEOUT_S)
            assert zalo.refreshes == 1
            zalo.fail_next(-230)  # outside the interaction window: the reply is held
            await zalo.send_text(ZALO_USER, "lệ phí cấp căn cước?")
            await wait_until(lambda: zalo_ref in stream.getvalue(), what="the held Zalo reply logged")

            async with aiohttp.ClientSession(app.http.url) as http:
                async with http.post("/api/messages", json={"session": session, "text": "xin chào"}) as response:
                    assert response.status == 202
                async with http.get("/api/messages", params={"session": session, "after": "0"}) as response:
                    assert (await response.json())["replies"]
                for token, status in ((wrong_admin_token, 401), (admin_token, 200)):
                    headers = {"Authorization": f"Bearer {token}"}
                    async with http.post("/admin/reload", headers=headers) as response:
                        assert response.status == status
        finally:
            await app.stop()
    text = stream.getvalue()

    hidden = {
        "bot token": BOT_TOKEN,
        "bot token's secret half": BOT_TOKEN.split(":")[1],
        "webhook secret": webhook_secret,
        "admin token": admin_token,
        "wrong admin token": wrong_admin_token,
        "pseudonym key": pseudonym_key,
        "Zalo OA secret": oa_secret,
        "Zalo app secret": app_secret,
        "Zalo access token from the environment": stale_access_token,
        "Zalo refresh token from the environment": first_refresh_token,
        "refreshed Zalo access token": zalo.access_token,
        "refreshed Zalo refresh token": zalo.refresh_token,
        "web session": session,
        "Telegram chat id": str(TELEGRAM_USER),
        "Zalo user id": ZALO_USER,
    }
    assert [name for name, value in hidden.items() if value in text] == []
    # The lines were there to be cleaned: access logs of the fake Bot API and of the web chat,
    # and the failed deliveries with their chats' refs.
    assert f"/bot{REDACTED}/sendMessage" in text
    assert f"GET /api/messages?session={REDACTED}&after=0" in text
    assert "Zalo access token refreshed" in text
    if log_format == "json":
        entries = [json.loads(line) for line in text.splitlines()]
        assert {"aiohttp.access", "bot._app"} <= {entry["logger"] for entry in entries}
        assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)

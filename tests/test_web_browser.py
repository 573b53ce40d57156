"""The web chat page in headless Chromium (Debian's /usr/bin/chromium driven by Playwright for
Python; Playwright's own browser download is never used), on a phone-sized screen.

The server runs on its own event loop in a background thread, so the tests can use Playwright's
synchronous API."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fakes.channels import CollectingChannel
from fakes.dispatch import AnsweringDispatch
from fakes.engines import WARD_CONTACT, WARD_NAME, build_engine, pseudonym
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect, sync_playwright

from bot._http import HttpServer
from bot.channels import stored_photo
from bot.channels._web import WebChannel
from bot.cli import main
from bot.officials import OfficialsDesk, TicketService
from bot.testing import MemoryDialogueStore
from handlers import Button, Dialogue, IncomingMessage, Reply
from handlers import _catalogue as catalogue
from retrieval import Decision
from tickets import TicketDesk, TicketStore, WorkingCalendar

CHROMIUM = "/usr/bin/chromium"
# As root and on a closed network: no sandbox, and no background calls to Google's services.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

GREETING = "Xin chào! Tôi là trợ lý hành chính của Phường Mẫu. Anh/chị muốn hỏi thủ tục nào?"
CARD = (
    "Cấp thẻ căn cước lần đầu\n"
    "• Giấy tờ: tờ khai CC01 (1 bản)\n"
    "• Thời hạn: 7 ngày làm việc\n"
    "• Lệ phí: miễn phí lần đầu\n"
    "• Nơi nộp: Trung tâm Phục vụ hành chính công phường"
)
THANKS = "Cảm ơn anh/chị đã đánh giá!"
# An FAQ answer as written in the knowledge base: Markdown bold and a list.
FAQ_ANSWER = "**Bản sao điện tử** là bản dạng tệp.\n\nTùy **thủ tục**:\n- **Hộ tịch**: bản chụp\n- Khác: <chứng thực>"


class FakeBot:
    """Answers like the real handlers would: a greeting with a menu, a procedure card with a
    portal link and 👍/👎, a thank-you for a vote. The card waits while ``answering`` is clear."""

    def __init__(self, channel: WebChannel) -> None:
        self.channel = channel
        self.received: list[IncomingMessage] = []
        self.answering = asyncio.Event()
        self.answering.set()

    async def __call__(self, message: IncomingMessage) -> None:
        self.received.append(message)
        if message.text == "/start":
            menu = ((Button("Cấp căn cước", data="proc:cccd"), Button("Đăng ký khai sinh", data="proc:ks")),)
            await self.channel.send(message.chat_id, Reply(GREETING, menu))
        elif message.callback_data.startswith("vote:"):
            await self.channel.send(message.chat_id, Reply(THANKS))
        elif message.text == "Bản sao điện tử là gì?":
            await self.channel.send(message.chat_id, Reply(FAQ_ANSWER))
        else:
            await self.answering.wait()
            buttons = (
                (Button("Nộp trực tuyến", url="https://dichvucong.gov.vn/"),),
                (Button("👍", data="vote:up"), Button("👎", data="vote:down")),
            )
            await self.channel.send(message.chat_id, Reply(CARD, buttons))


class ChatServer:
    """The bot's HTTP server with a web channel, on an event loop in a background thread;
    ``make_bot`` builds what answers (by default a :class:`FakeBot`), in the background as the
    pipeline's worker does, its replies kept in a mailbox."""

    def __init__(
        self,
        channel: WebChannel | None = None,
        make_bot: Callable[[ChatServer], Any] = lambda chat: FakeBot(chat.channel),
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.channel = channel or WebChannel(title="Phường Mẫu — Hỏi đáp thủ tục")
        self.bot = make_bot(self)
        self.server = HttpServer("127.0.0.1", 0)
        self.server.add_routes([*self.channel.routes(), web.get("/ward-site", self._ward_site)])
        self.run(self.server.start())
        self.run(self.channel.start(AnsweringDispatch(self.bot)))

    async def _ward_site(self, request: web.Request) -> web.Response:
        """A ward's home page that embeds the widget. The test opens it as http://localhost:PORT,
        another origin than the bot's http://127.0.0.1:PORT, both on loopback (Chromium forbids
        a page on an unknown network from loading scripts from loopback)."""
        script = f"{self.server.url}/widget.js"
        body = f'<!doctype html><title>UBND phường</title><h1>UBND phường</h1><script src="{script}"></script>'
        return web.Response(text=body, content_type="text/html")

    @property
    def ward_site_url(self) -> str:
        return self.server.url.replace("127.0.0.1", "localhost") + "/ward-site"

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def hold_answers(self, held: bool = True) -> None:
        """Keep the bot's procedure cards back (``held``) or let them go."""

        async def switch() -> None:  # on the server's loop: asyncio.Event is not thread-safe
            if held:
                self.bot.answering.clear()
            else:
                self.bot.answering.set()

        self.run(switch())

    def close(self) -> None:
        self.run(self.channel.stop())
        self.run(self.server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


def test_a_citizen_asks_sees_the_answer_and_votes(chat: ChatServer, page: Page, tmp_path: Path) -> None:
    page.goto(chat.server.url)
    # A new visitor is greeted without typing anything.
    expect(page.locator(".msg.bot").first).to_have_text(GREETING)
    expect(page.get_by_role("button", name="Cấp căn cước")).to_be_visible()

    question = page.get_by_label("Câu hỏi của anh/chị")
    chat.hold_answers()  # the bot is still answering while the page shows it typing
    question.fill("Làm căn cước cần giấy tờ gì?")
    question.press("Enter")

    expect(page.locator(".msg.me")).to_have_text("Làm căn cước cần giấy tờ gì?")
    expect(page.locator(".typing")).to_be_visible()
    chat.hold_answers(False)
    expect(page.locator(".msg.bot").nth(1)).to_have_text(CARD)
    expect(page.locator(".typing")).to_be_hidden()
    expect(question).to_have_value("")
    portal = page.get_by_role("link", name="Nộp trực tuyến")
    expect(portal).to_have_attribute("href", "https://dichvucong.gov.vn/")
    expect(portal).to_have_attribute("target", "_blank")

    page.get_by_role("button", name="👍").tap()

    expect(page.locator(".msg.bot").nth(2)).to_have_text(THANKS)
    start, asked, voted = chat.bot.received  # the thanks answers the vote: all three have arrived
    assert (start.text, asked.text, voted.callback_data) == ("/start", "Làm căn cước cần giấy tờ gì?", "vote:up")
    assert start.chat_id == asked.chat_id == voted.chat_id  # one session for the whole visit
    assert len({start.message_id, asked.message_id, voted.message_id}) == 3

    page.get_by_role("button", name="👍").scroll_into_view_if_needed()
    screenshot = tmp_path / "web-chat-phone.png"
    page.screenshot(path=screenshot)
    assert screenshot.stat().st_size > 10_000


def test_formatting_shows_as_bold_and_lists_never_as_markup(chat: ChatServer, page: Page) -> None:
    page.goto(chat.server.url)
    question = page.get_by_label("Câu hỏi của anh/chị")
    question.fill("Bản sao điện tử là gì?")
    question.press("Enter")
    answer = page.locator(".msg.bot").nth(1)
    expect(answer).to_have_text("Bản sao điện tử là bản dạng tệp.\n\nTùy thủ tục:\n• Hộ tịch: bản chụp\n• Khác: <chứng thực>")
    expect(answer.locator("strong")).to_have_text(["Bản sao điện tử", "thủ tục", "Hộ tịch"])
    assert "**" not in page.locator("#log").inner_text()
    page.reload()  # the stored conversation is drawn the same way
    expect(page.locator(".msg.bot").nth(1).locator("strong")).to_have_count(3)


def test_an_empty_question_gets_a_vietnamese_hint(chat: ChatServer, page: Page) -> None:
    page.goto(chat.server.url)
    expect(page.locator(".msg.bot").first).to_have_text(GREETING)

    page.get_by_label("Câu hỏi của anh/chị").press("Enter")

    expect(page.locator(".notice")).to_have_text("Anh/chị vui lòng nhập câu hỏi.")
    assert [m.text for m in chat.bot.received] == ["/start"]


def test_the_conversation_survives_a_reload(chat: ChatServer, page: Page) -> None:
    page.goto(chat.server.url)
    expect(page.locator(".msg.bot").first).to_have_text(GREETING)
    page.get_by_role("button", name="Cấp căn cước").click()
    expect(page.locator(".msg.bot").nth(1)).to_have_text(CARD)

    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))

    def first_poll_after_reload(request: Request) -> bool:
        reloaded = any(r.is_navigation_request() for r in requests)
        return reloaded and request.method == "GET" and "/api/messages?" in request.url

    # A new visitor's page posts its "/start" before it first polls: once the reloaded page
    # polls, it has sent any greeting request it was going to send.
    with page.expect_request(first_poll_after_reload):
        page.reload()

    expect(page.locator(".msg")).to_have_count(3)  # greeting, the chosen chip, the card
    expect(page.locator(".msg.me")).to_have_text("Cấp căn cước")
    assert [r.url for r in requests if r.method == "POST"] == []  # no second greeting asked for
    assert [m.text or m.callback_data for m in chat.bot.received] == ["/start", "proc:cccd"]


def test_replies_sent_while_offline_arrive_after_reconnecting(chat: ChatServer, page: Page) -> None:
    page.goto(chat.server.url)
    expect(page.locator(".msg.bot").first).to_have_text(GREETING)
    session = chat.bot.received[0].chat_id

    page.context.set_offline(True)
    # Answer the poll in flight so the page's next poll meets the dead network.
    chat.run(chat.channel.send(session, Reply("Trước khi mất mạng.")))
    expect(page.get_by_role("status")).to_have_text("Mất kết nối. Đang kết nối lại…")
    chat.run(chat.channel.send(session, Reply("Hồ sơ của anh/chị đã được tiếp nhận.")))

    page.context.set_offline(False)

    expect(page.locator(".msg.bot").last).to_have_text("Hồ sơ của anh/chị đã được tiếp nhận.")
    expect(page.get_by_role("status")).to_be_hidden()


def test_the_widget_opens_the_chat_in_a_frame_on_another_site(chat: ChatServer, page: Page) -> None:
    page.goto(chat.ward_site_url)
    expect(page.get_by_role("heading", name="UBND phường")).to_be_visible()
    assert page.locator("iframe").count() == 0  # no session until the citizen opens the chat

    page.get_by_role("button", name="Hỏi đáp thủ tục hành chính").click()

    frame = page.frame_locator("iframe[title='Hỏi đáp thủ tục hành chính']")
    expect(frame.locator(".msg.bot").first).to_have_text(GREETING)
    frame.get_by_role("button", name="Đóng cửa sổ trò chuyện").click()
    expect(page.locator("iframe")).to_be_hidden()


# --- reports with a photo and a location, as officials then see them -----------------------------------

HANOI = {"latitude": 21.0285, "longitude": 105.8542}
MAP = "https://www.openstreetmap.org/?mlat=21.02850&mlon=105.85420#map=18/21.02850/105.85420"
GROUP = "-1001234567890"
PHOTO_LIMIT = 1024 * 1024  # 1 MB on this page


class Ward:
    """The real dialogue with a ticket desk behind the web chat, as the pipeline would run it, and
    the officials' desk announcing tickets to a collecting "telegram" group."""

    def __init__(self, chat: ChatServer, engine, data: Path) -> None:
        self.chat, self.channel, self.uploads = chat, chat.channel, data / "uploads"
        self.tickets = chat.run(TicketStore.open(data / "tickets.sqlite3"))
        self.desk = TicketDesk(self.tickets, WorkingCalendar.from_file(), {})
        self.dialogue = Dialogue(
            engine,
            MemoryDialogueStore(),
            ward_name=WARD_NAME,
            ward_contact=WARD_CONTACT,
            desk=self.desk,
            pseudonym=pseudonym,
        )
        self.group = CollectingChannel("telegram")
        service = TicketService(self.desk, {"telegram": self.group, "web": self.channel}, ward_name=WARD_NAME)
        OfficialsDesk(service, group_chat_id=GROUP, members=[], dialogue=self.dialogue, photos=self.uploads)

    async def __call__(self, message: IncomingMessage) -> None:
        for reply in (await self.dialogue.handle(message)).replies:
            await self.channel.send(message.chat_id, reply)


@pytest.fixture
def ward(hashing_embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ward]:
    """The ward's chat, its data directory at tmp_path/data, where ``wardbot`` looks too."""
    data = tmp_path / "data"
    engine = build_engine(hashing_embedder, decision=Decision.ABSTAIN)
    channel = WebChannel(title="Phường Mẫu", uploads=data / "uploads", max_photo_bytes=PHOTO_LIMIT)
    server = ChatServer(channel, lambda chat: Ward(chat, engine, data))
    (tmp_path / "bot.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("WARDBOT_CONFIG", str(tmp_path / "bot.toml"))
    monkeypatch.setenv("WARDBOT_DATA_DIR", str(data))
    yield server.bot
    server.run(server.bot.tickets.close())
    server.close()


def street_photo(path: Path) -> Path:
    """A phone photo: a JPEG taken sideways (EXIF orientation 6) with the phone's name in it."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    Image.effect_noise((1200, 800), 60).convert("RGB").save(path, "JPEG", exif=exif, quality=80)
    assert path.stat().st_size < PHOTO_LIMIT
    return path


def choose_photo(page: Page, path: Path) -> None:
    """Tap the photo button and pick ``path`` in the file chooser that opens."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Gửi ảnh").click()
    chooser.value.set_files(path)


def start_report(page: Page, ward: Ward, report: str) -> None:
    page.goto(ward.chat.server.url)
    expect(page.locator(".msg.bot")).to_have_count(1)  # the greeting
    text = page.get_by_label("Câu hỏi của anh/chị")
    text.fill(report)
    text.press("Enter")


@pytest.fixture
def located(browser: Browser) -> Iterator[BrowserContext]:
    """A phone whose owner lets the page know where it is."""
    context = browser.new_context(**PHONE, geolocation=HANOI, permissions=["geolocation"])
    yield context
    context.close()


def test_a_report_with_a_shared_location_and_a_photo_reaches_the_officials(
    ward: Ward, located: BrowserContext, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = located.new_page()
    bot = page.locator(".msg.bot")
    start_report(page, ward, "Đèn đường hỏng cả tuần nay")
    expect(bot.last).to_have_text(catalogue.INTAKE_ASK_WHERE)

    page.get_by_role("button", name="Gửi vị trí của tôi").click()
    expect(page.locator(".msg.me").last).to_have_text("📍 Vị trí của tôi: 21.02850, 105.85420")
    expect(bot.last).to_have_text(catalogue.INTAKE_ASK_PHOTO)

    choose_photo(page, street_photo(tmp_path / "den-duong.jpg"))
    expect(page.locator(".msg.me").last).to_have_text("📷 Ảnh: den-duong.jpg")
    expect(bot.last).to_have_text(catalogue.INTAKE_ASK_CONSENT)
    page.get_by_role("button", name=catalogue.INTAKE_ANONYMOUS_BUTTON).click()
    expect(bot.last).to_contain_text("vị trí đã gửi (21.02850, 105.85420)")
    expect(bot.last).to_contain_text(catalogue.INTAKE_SUMMARY_PHOTO.format(text=catalogue.INTAKE_PHOTO_YES))
    page.get_by_role("button", name=catalogue.INTAKE_CONFIRM_BUTTON).click()
    expect(bot.last).to_contain_text("Mã phản ánh: PA-")

    # The stored ticket: the position the browser gave, the photo upright and without its EXIF.
    [ticket] = ward.chat.run(ward.tickets.list())
    assert ticket.location == (HANOI["latitude"], HANOI["longitude"]) and ticket.address is None
    photo = stored_photo(ward.uploads, ticket.photo)
    assert photo is not None
    with Image.open(photo) as image:
        assert (image.format, image.size) == ("JPEG", (800, 1200)) and not image.getexif()

    # The officials' group is shown the photo itself, with the map link and where the file is.
    [(_, shown_to_group)] = ward.group.sent
    assert shown_to_group.photo == str(photo)
    assert f"• Bản đồ: {MAP}" in shown_to_group.text.splitlines()
    assert f"wardbot tickets show {ticket.code}" in shown_to_group.text

    # `wardbot tickets show` gives the photo as a file an official can open, and the map link.
    # (In a thread of its own: Playwright's loop runs in this one, and the CLI runs its own.)
    with ThreadPoolExecutor(1) as cli:
        assert cli.submit(main, ["tickets", "show", ticket.code]).result() == 0
    shown = capsys.readouterr().out.splitlines()
    assert f"Photo: {photo.resolve()}" in shown
    assert f"Location: 21.0285, 105.8542  {MAP}" in shown


def test_without_a_position_the_page_asks_for_a_typed_address(ward: Ward, page: Page) -> None:
    # No permission was granted in this context: the browser refuses the position.
    start_report(page, ward, "Đèn đường hỏng cả tuần nay")
    expect(page.locator(".msg.bot").last).to_have_text(catalogue.INTAKE_ASK_WHERE)

    page.get_by_role("button", name="Gửi vị trí của tôi").click()

    expect(page.locator(".notice")).to_have_text(catalogue.WEB_PAGE["location_failed"])
    text = page.get_by_label("Câu hỏi của anh/chị")
    expect(text).to_be_focused()
    page.keyboard.type("số 5 Lê Lợi")
    page.keyboard.press("Enter")
    expect(page.locator(".msg.bot").last).to_have_text(catalogue.INTAKE_ASK_PHOTO)


def test_a_photo_too_big_or_not_a_photo_is_refused_in_vietnamese_and_nothing_is_lost(
    ward: Ward, page: Page, tmp_path: Path
) -> None:
    uploads: list[Request] = []
    page.on("request", lambda request: uploads.append(request) if "/api/photos" in request.url else None)
    start_report(page, ward, "ổ gà ở ngõ 12 Lê Lợi")
    # The address was in the report: not asked again.
    noted = catalogue.INTAKE_PLACE_NOTED.format(text="ngõ 12 Lê Lợi")
    expect(page.locator(".msg.bot").last).to_have_text(f"{noted}\n{catalogue.INTAKE_ASK_PHOTO}")
    text = page.get_by_label("Câu hỏi của anh/chị")
    text.fill("Ảnh chụp sáng nay")  # typed, not sent yet

    too_big = tmp_path / "o-ga-lon.jpg"
    too_big.write_bytes(os.urandom(PHOTO_LIMIT + 1))
    choose_photo(page, too_big)
    expect(page.locator(".notice")).to_have_text(catalogue.WEB_ERRORS["photo_too_big"].format(limit="1"))
    assert uploads == []  # refused in the page, never uploaded

    not_a_photo = tmp_path / "o-ga.jpg"
    not_a_photo.write_bytes(b"%PDF-1.4\n" + os.urandom(4000))
    choose_photo(page, not_a_photo)
    expect(page.locator(".notice").last).to_have_text(catalogue.WEB_ERRORS["not_image"])

    expect(text).to_have_value("Ảnh chụp sáng nay")  # the typed text is still there
    expect(page.locator(".msg.me")).to_have_count(2)  # the report and the refused upload
    # The report still waits for its photo: a real one now goes through.
    choose_photo(page, street_photo(tmp_path / "o-ga-that.jpg"))
    expect(page.locator(".msg.bot").last).to_have_text(catalogue.INTAKE_ASK_CONSENT)
    assert len(uploads) == 2
    assert len(list(ward.uploads.iterdir())) == 1  # only the real photo is stored


class SampleKbBot:
    """The real dialogue over the bundled sample knowledge base, answering every question with
    its best entry (the hashing embedder: fast, and the decision fixed to ANSWER). Each message
    is the first of a conversation of its own, so that a question read as a report is not taken
    for the next questions as the report's place or photo (the intake's steps)."""

    def __init__(self, chat: ChatServer, engine, data: Path) -> None:
        self.channel = chat.channel
        self.tickets = chat.run(TicketStore.open(data / "tickets.sqlite3"))
        self.dialogue = Dialogue(
            engine,
            MemoryDialogueStore(),
            ward_name=WARD_NAME,
            ward_contact=WARD_CONTACT,
            desk=TicketDesk(self.tickets, WorkingCalendar.from_file(), {}),
            pseudonym=pseudonym,
        )
        self.asked = 0

    async def __call__(self, message: IncomingMessage) -> None:
        self.asked += 1
        alone = dataclasses.replace(message, chat_id=f"{message.chat_id}-{self.asked}")
        for reply in (await self.dialogue.handle(alone)).replies:
            await self.channel.send(message.chat_id, reply)


def test_no_reply_to_fifty_questions_shows_anything_internal_on_the_page(
    hashing_embedder, page: Page, tmp_path: Path
) -> None:
    from test_citizen_text import INTERNAL, QUESTIONS

    from bot._search import bundled_kb_path
    from knowledge import load_knowledge_base

    entries = load_knowledge_base([bundled_kb_path()]).entries()
    engine = build_engine(hashing_embedder, entries, decision=Decision.ANSWER)
    server = ChatServer(WebChannel(title="Phường Mẫu"), lambda chat: SampleKbBot(chat, engine, tmp_path))
    try:
        page.goto(server.server.url)
        text = page.get_by_label("Câu hỏi của anh/chị")
        bot = page.locator(".msg.bot")
        expect(bot).to_have_count(1)  # the greeting
        for number, question in enumerate(QUESTIONS, start=1):
            text.fill(question)
            text.press("Enter")
            expect(bot).to_have_count(number + 1)
        shown = page.locator("#log").inner_text()
        assert not INTERNAL.search(shown), INTERNAL.search(shown)
        # Most get a card or an FAQ; complaints and grievances get their own replies.
        assert shown.count("📋") + shown.count("❓") >= 40
    finally:
        server.run(server.bot.tickets.close())
        server.close()

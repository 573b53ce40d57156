"""The little Markdown of FAQ answers, rendered for each channel: never a literal ``**``."""

from __future__ import annotations

from handlers import Button, Reply, plain_text, telegram_html, text_spans

ANSWER = "**Bản sao** là tệp <pdf> & ảnh.\n\nTùy **thủ tục**:\n- **Hộ tịch**: bản chụp\n  - hoặc bản quét\n1. Bước một"


def test_spans_mark_bold_and_lists_become_bullets() -> None:
    assert text_spans(ANSWER) == [
        ("Bản sao", True),
        (" là tệp <pdf> & ảnh.\n\nTùy ", False),
        ("thủ tục", True),
        (":\n• ", False),
        ("Hộ tịch", True),
        (": bản chụp\n  • hoặc bản quét\n1. Bước một", False),
    ]


def test_plain_text_keeps_paragraphs_and_lists_without_markup() -> None:
    assert plain_text(ANSWER) == "Bản sao là tệp <pdf> & ảnh.\n\nTùy thủ tục:\n• Hộ tịch: bản chụp\n  • hoặc bản quét\n1. Bước một"
    assert plain_text("2 * 3 = 6, a stray ** and **unclosed") == "2 * 3 = 6, a stray  and unclosed"


def test_telegram_html_escapes_everything_but_its_own_bold() -> None:
    assert telegram_html("**a<b>** & c") == "<b>a&lt;b&gt;</b> &amp; c"


def test_the_console_and_buttonless_channels_read_plain_text() -> None:
    reply = Reply("**Lệ phí**: miễn phí", ((Button("Xem thêm", data="more:1"),),))
    assert reply.as_plain_text() == "Lệ phí: miễn phí\n1. Xem thêm"

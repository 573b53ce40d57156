"""The console channel behind ``wardbot chat``: one conversation in a terminal, for officials
trying the bot and for demos. Buttons show as numbered lines; typing the number presses one.

Tests inject ``input``/``output`` streams instead of the terminal.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import TextIO, TypeVar

from handlers import Button, IncomingMessage, Reply, catalogue

from ._base import Channel, Dispatch

T = TypeVar("T")

QUIT_COMMANDS = frozenset({"/quit", "/exit"})
PROMPT = "> "


def _in_daemon_thread(function: Callable[[], T]) -> asyncio.Future[T]:
    """Run a blocking read in a daemon thread: unlike the loop's executor, a thread blocked in
    ``input()`` must not keep the process alive after the bot has stopped."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # a T whenever error is None

    def run() -> None:
        try:
            result = function()
        except BaseException as exc:  # handed to the awaiting coroutine, EOFError included
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=run, name="wardbot-console-input", daemon=True).start()
    return future


class ConsoleChannel(Channel):
    """A single chat on a terminal (``input``/``output`` default to stdin/stdout).

    ``closed`` is set when the user quits (``/quit``, ``/exit``, end of input) or the channel stops.
    """

    name = "console"

    def __init__(
        self,
        *,
        input: TextIO | None = None,
        output: TextIO | None = None,
        chat_id: str = "console",
        user_id: str = "console",
    ) -> None:
        self._input = input
        self._output = output or sys.stdout
        self._chat_id = chat_id
        self._user_id = user_id
        self._choices: tuple[Button, ...] = ()  # the numbered buttons last shown
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    async def start(self, dispatch: Dispatch) -> None:
        self._write(catalogue.CONSOLE_HINT)
        self._reader = asyncio.create_task(self._read_loop(dispatch), name="console-reader")

    async def stop(self) -> None:
        if self._reader is not None and self._reader is not asyncio.current_task():
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        self.closed.set()

    async def send(self, chat_id: str, reply: Reply) -> None:
        if reply.choice_buttons:
            self._choices = reply.choice_buttons
        self._write(reply.as_plain_text() + "\n")

    def _write(self, text: str) -> None:
        self._output.write(text + "\n")
        self._output.flush()

    def _read_line(self) -> str | None:
        """The next line typed, or None at the end of input."""
        if self._input is None:
            import readline  # noqa: F401 - importing it gives input() line editing and history

            try:
                return input(PROMPT)
            except EOFError:
                return None
        line = self._input.readline()
        return line if line else None

    def to_message(self, line: str) -> IncomingMessage:
        """What a typed line means: a number presses the matching button last shown."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            button = self._choices[int(text) - 1]
            return IncomingMessage(self.name, self._chat_id, self._user_id, text=button.label, callback_data=button.data)
        return IncomingMessage(self.name, self._chat_id, self._user_id, text=text)

    async def _read_loop(self, dispatch: Dispatch) -> None:
        try:
            while True:
                line = await _in_daemon_thread(self._read_line)
                if line is None or line.strip() in QUIT_COMMANDS:
                    break
                if line.strip():
                    # The turn is awaited too, so that the replies print before the next prompt.
                    await (await dispatch(self.to_message(line)))
        finally:
            self.closed.set()

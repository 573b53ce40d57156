"""``wardbot privacy export`` and ``wardbot privacy erase``: a citizen's request taken at the desk."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from typing import Any

from .._config import load_config
from ._common import Commands, cli_actor


def _cmd_privacy(args: argparse.Namespace) -> int:
    """``privacy erase`` and ``privacy export``: a citizen's request taken at the ward's desk,
    printed as JSON (the erasure's receipt, or the copy of their data). The chat is the user's
    own unless ``--chat`` says otherwise, as in private chats on every channel."""
    from tickets import TicketStore

    from ..privacy import Privacy
    from ..storage import Storage, load_pseudonym_key

    config = load_config(args.config)
    chat_id = args.chat or args.user

    async def run() -> dict[str, Any]:
        async with (
            await Storage.open(config.database_path, pseudonym_key=load_pseudonym_key(config)) as storage,
            await TicketStore.open(config.data_dir / "tickets.sqlite3") as tickets,
        ):
            privacy = Privacy(storage, tickets, config.privacy, data_dir=config.data_dir)
            if args.privacy_command == "export":
                return await privacy.export(args.channel, chat_id, args.user)
            erasure = await privacy.erase(args.channel, chat_id, args.user, actor=cli_actor())
            return dataclasses.asdict(erasure) | {"at": erasure.at.isoformat()}

    print(json.dumps(asyncio.run(run()), ensure_ascii=False, sort_keys=True, indent=2))
    return 0


def add_commands(commands: Commands) -> None:
    privacy = commands.add_parser(
        "privacy", help="a citizen's personal data: a copy of it, or its erasure"
    ).add_subparsers(dest="privacy_command", required=True, metavar="PRIVACY_COMMAND")
    for name, help_text in (
        ("export", "print everything held about a user on a channel as JSON (messages, replies, tickets, votes)"),
        ("erase", "erase a user's data on a channel (tickets stay, without personal fields); print the receipt"),
    ):
        command = privacy.add_parser(name, help=help_text)
        command.add_argument("--channel", required=True, help="telegram, zalo, web or console")
        command.add_argument("--user", required=True, help="the user's id on that channel (a web chat's session id)")
        command.add_argument("--chat", help="the chat's id, when it is not the user's own (default: --user)")
        command.set_defaults(handler=_cmd_privacy)

"""``wardbot users add``, ``list``, ``disable``, ``enable``, ``set-role`` and ``reset-password``:
the web console's users, managed at the server (the first admin can be made nowhere else).

A password is read from standard input, one line (``echo "$PW" | wardbot users add lan --role
official``), never from the command line, where ``ps`` and the shell's history would show it.
Every change is written with its audit entry, the actor ``cli:<login>``, and takes effect in a
running bot at its next request: a disabled user's or a reset password's sessions end there.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from .._config import load_config
from ._common import Commands, cli_actor

if TYPE_CHECKING:
    from ..console import ConsoleStore


def _with_users(args: argparse.Namespace, action: Callable[[ConsoleStore], Awaitable[int]]) -> int:
    """Run ``action`` on the console's users; a refused change is a ``ConsoleUserError``, which
    ``main`` prints as one line (exit status 1)."""
    from ..console import CONSOLE_DB, ConsoleStore

    path = load_config(args.config).data_dir / CONSOLE_DB

    async def run() -> int:
        async with await ConsoleStore.open(path) as store:
            return await action(store)

    return asyncio.run(run())


def _read_password() -> str:
    """One line of standard input, without its line ending; checked before anything is written."""
    from ..console import check_password

    return check_password(sys.stdin.readline().rstrip("\r\n"))


def _cmd_users_add(args: argparse.Namespace) -> int:
    password = _read_password()

    async def add(store: ConsoleStore) -> int:
        user = await store.add_user(args.username, args.role, password, actor=cli_actor())
        print(f"{user.username}: added as {user.role.value}")
        return 0

    return _with_users(args, add)


def _cmd_users_list(args: argparse.Namespace) -> int:
    async def show(store: ConsoleStore) -> int:
        users = await store.users()
        if not users:
            print('No console users. The first admin: echo "$PW" | wardbot users add NAME --role admin')
            return 0
        width = max(len("USERNAME"), *(len(user.username) for user in users))
        print(f"{'USERNAME'.ljust(width)}  ROLE      STATE     CREATED")
        for user in users:
            state = "disabled" if user.disabled else "enabled"
            created = user.created_at.strftime("%Y-%m-%d")
            print(f"{user.username.ljust(width)}  {user.role.value.ljust(8)}  {state.ljust(8)}  {created}")
        return 0

    return _with_users(args, show)


def _cmd_users_disable(args: argparse.Namespace) -> int:
    disabled = args.users_command == "disable"

    async def change(store: ConsoleStore) -> int:
        user = await store.set_disabled(args.username, disabled, actor=cli_actor())
        print(f"{user.username}: {'disabled; their sessions are over' if user.disabled else 'enabled'}")
        return 0

    return _with_users(args, change)


def _cmd_users_set_role(args: argparse.Namespace) -> int:
    async def change(store: ConsoleStore) -> int:
        user = await store.set_role(args.username, args.role, actor=cli_actor())
        print(f"{user.username}: {user.role.value}")
        return 0

    return _with_users(args, change)


def _cmd_users_reset_password(args: argparse.Namespace) -> int:
    password = _read_password()

    async def change(store: ConsoleStore) -> int:
        user = await store.set_password(args.username, password, actor=cli_actor())
        print(f"{user.username}: password reset; their sessions are over")
        return 0

    return _with_users(args, change)


def add_commands(commands: Commands) -> None:
    roles = ("official", "leader", "admin")  # bot.console.Role, spelt out: the parser imports no store
    users = commands.add_parser(
        "users", help="the web console's users: add, list, disable, enable, set-role, reset-password"
    ).add_subparsers(dest="users_command", required=True, metavar="USERS_COMMAND")
    add = users.add_parser("add", help="add a user; the password is read from standard input (one line)")
    add.add_argument("username", metavar="USERNAME", help="2-32 characters of a-z 0-9 . _ -")
    add.add_argument("--role", required=True, choices=roles, help="official < leader < admin")
    add.set_defaults(handler=_cmd_users_add)
    users.add_parser("list", help="every user, their role and state").set_defaults(handler=_cmd_users_list)
    for name, help_text in (
        ("disable", "disable a user: they cannot log in, and their sessions end"),
        ("enable", "enable a disabled user again"),
    ):
        command = users.add_parser(name, help=help_text)
        command.add_argument("username", metavar="USERNAME")
        command.set_defaults(handler=_cmd_users_disable)
    set_role = users.add_parser("set-role", help="change a user's role")
    set_role.add_argument("username", metavar="USERNAME")
    set_role.add_argument("role", metavar="ROLE", choices=roles, help="official, leader or admin")
    set_role.set_defaults(handler=_cmd_users_set_role)
    reset = users.add_parser("reset-password", help="a new password, read from standard input; sessions end")
    reset.add_argument("username", metavar="USERNAME")
    reset.set_defaults(handler=_cmd_users_reset_password)

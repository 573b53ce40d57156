"""The ``wardbot`` command line: the parser, built from each command group's ``add_commands``, and
:func:`main`, which runs the chosen command."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Sequence

from wardbot_errors import WardbotError

from . import _backup, _calendar, _devtools, _kb, _log, _privacy, _report, _run, _tickets, _users

# The groups in the order ``wardbot --help`` lists their commands.
GROUPS = (_kb, _devtools, _run, _log, _backup, _calendar, _tickets, _report, _privacy, _users)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wardbot", description="Citizen-service chatbot for Vietnamese wards.")
    parser.add_argument("--version", action="version", version=f"wardbot {_installed_version()}")
    parser.add_argument("--config", help="bot.toml to use (default: $WARDBOT_CONFIG, else ./bot.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(commands)
    return parser


def _installed_version() -> str:
    """The version of the installed distribution, as ``pip`` knows it (``pyproject.toml``'s)."""
    try:
        return importlib.metadata.version("wardbot")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    # One readable line for what the user can fix; any other exception is a bug, with its traceback.
    except WardbotError as exc:
        print(f"wardbot: {exc}", file=sys.stderr)
        return exc.exit_status
    except FileNotFoundError as exc:  # a path given on the command line, or in bot.toml, that is not there
        print(f"wardbot: {exc}", file=sys.stderr)
        return 1

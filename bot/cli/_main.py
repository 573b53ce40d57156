"""The ``wardbot`` command line: the parser, built from each command group's ``add_commands``, and
:func:`main`, which runs the chosen command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._config import ConfigError
from . import _backup, _calendar, _devtools, _kb, _log, _privacy, _report, _run, _tickets

# The groups in the order ``wardbot --help`` lists their commands.
GROUPS = (_kb, _devtools, _run, _log, _backup, _calendar, _tickets, _report, _privacy)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wardbot", description="Citizen-service chatbot for Vietnamese wards.")
    parser.add_argument("--config", help="bot.toml to use (default: $WARDBOT_CONFIG, else ./bot.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"wardbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # one readable line instead of a traceback for known input errors
        from knowledge import KnowledgeBaseError
        from retrieval import AdapterError, QuestionFormatError
        from tickets import SchemaTooNewError

        known = (KnowledgeBaseError, QuestionFormatError, SchemaTooNewError, AdapterError, FileNotFoundError)
        if isinstance(exc, known):
            print(f"wardbot: {exc}", file=sys.stderr)
            return 1
        raise

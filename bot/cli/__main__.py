"""``python -m bot.cli``: what the ``wardbot`` script runs (``wardbot soak`` starts the bot so)."""

import sys

from ._main import main

if __name__ == "__main__":
    sys.exit(main())

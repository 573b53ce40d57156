"""``WardbotError``, the base of every exception wardbot defines.

A top-level module of its own, importing nothing, because every package raises errors and the
arrows (DEVELOPERS.md) leave no package that all the others may import: ``retrieval`` sits at
the bottom, but it is the search library, and ``tickets`` or ``bot.channels`` importing it for
a base class would load numpy and bm25s with it. ``tests/test_architecture.py`` checks that this
module stays free of imports from the project."""

from __future__ import annotations


class WardbotError(Exception):
    """A problem a person can act on, said in one line by its message: a bad file, a refused
    command, a platform's refusal. ``wardbot`` prints the message and exits with
    ``exit_status``; any other exception reaching the command line is a bug, shown with its
    traceback.

    Subclasses keep a built-in second base (``ValueError``, ``LookupError``) where callers
    catch that."""

    exit_status = 1

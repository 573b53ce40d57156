"""The test doubles and helpers that tests share, one module each; ``conftest.py`` holds only
fixtures (and the Hypothesis profiles).

- ``clocks.py``: ``ManualClock`` (UTC datetimes) and ``SecondsClock`` (``time.monotonic``'s
  stand-in), moved by hand;
- ``channels.py``: ``CollectingChannel``, a channel that keeps what it was sent and fails on demand;
- ``dispatch.py``: ``RecordingDispatch``, ``AnsweringDispatch`` (a channel's ``Dispatch``) and
  ``MemoryMailbox`` (the web chat's ``Mailbox``);
- ``embedders.py``: ``HashingEmbedder``, deterministic vectors without a model;
- ``engines.py``: real search engines over portal data and the hashing embedder, each forcing one
  decision, and the entries they hold; ``make_dialogue``;
- ``kb.py``: ``write_tiny_kb``, a valid knowledge base on disk;
- ``storage.py``: ``log_turn``, one message through the bot's store as the pipeline records it;
- ``aio.py``: ``async_test`` (a 60 s ceiling per test) and ``wait_until``;
- ``fuzzing.py``: the Hypothesis strategies of ``test_fuzz_*.py``.

The fake Telegram and Zalo servers, ``DialogueTester`` and ``MemoryDialogueStore`` live in
``bot.testing``, because ``wardbot bench``, ``soak`` and ``eval`` use them too: import them from there.
"""

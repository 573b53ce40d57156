"""The developers' commands, never part of answering citizens: ``wardbot eval`` (retrieval
quality), ``wardbot train`` (the LoRA adapter), ``wardbot fit-legal`` (the model that tells a
question about the law from one for a procedure), ``wardbot bench`` (speed and memory, Telegram and
Zalo end to end on the fakes of :mod:`bot.testing`) and ``wardbot soak`` (``wardbot run``
SIGKILLed under traffic, lost and duplicated replies counted).

Each name is imported from its module on first use, as ``retrieval`` does with training: ``train``
needs torch, and ``bench`` python-telegram-bot, which the other commands do not."""

import importlib

_MODULES = {
    "evaluate": "_evaluate",
    "format_report": "_evaluate",
    "train": "_training",
    "fit_legal": "_legal",
    "run_benchmark": "_bench",
    "bench_telegram_end_to_end": "_bench_telegram",
    "bench_zalo_webhook": "_bench_zalo",
    "SoakError": "_soak",
    "SoakSettings": "_soak",
    "run_soak": "_soak",
}

__all__ = tuple(_MODULES)


def __getattr__(name: str):
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

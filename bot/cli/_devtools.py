"""``wardbot eval``, ``train``, ``fit-legal``, ``bench`` and ``soak``: the developers' commands (:mod:`bot.devtools`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .._config import TELEGRAM_MODES, load_config
from ._common import Commands

# TrainingSettings().steps, written out so that `wardbot --help` does not import torch.
TRAINING_STEPS = 1400


def _cmd_eval(args: argparse.Namespace) -> int:
    from ..devtools import evaluate, format_report

    config = load_config(args.config)
    summary = evaluate(config, args.kb, args.questions, fit_calibration=args.fit_calibration, folds=args.folds)
    print(format_report(summary))
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from retrieval import TrainingSettings

    from ..devtools import train

    config = load_config(args.config)
    settings = TrainingSettings(steps=args.steps, batch_size=args.batch_size)
    summary = train(config, args.kb, args.out, settings=settings, held_out=args.held_out)
    print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
    return 0


def _cmd_fit_legal(args: argparse.Namespace) -> int:
    from ..devtools import fit_legal

    print(json.dumps(fit_legal(args.intents, args.out, held_out=args.held_out), ensure_ascii=False, sort_keys=True))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from ..devtools import run_benchmark

    config = load_config(args.config)
    print(json.dumps(run_benchmark(config, args.kb, args.questions), sort_keys=True))
    return 0


def _cmd_soak(args: argparse.Namespace) -> int:
    from ..devtools import SoakError, SoakSettings, run_soak

    config = load_config(args.config)
    try:
        settings = SoakSettings(
            messages=args.messages, kills=args.kills, seed=args.seed, users=args.users,
            telegram_mode=args.telegram, keep=args.keep,
        )  # fmt: skip
        figures = run_soak(config, settings)
    except (SoakError, ValueError) as exc:
        print(f"wardbot: soak: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))
    # Duplicates are reported, not failed: a reply the platform took just before a kill, and not
    # yet marked delivered, is sent again, and neither Telegram nor Zalo has an idempotency key.
    failures = ("refused", "lost", "off_script", "never_answered")
    return 1 if any(figures[name] for name in failures) else 0


def add_commands(commands: Commands) -> None:
    _add_eval(commands)
    _add_train(commands)
    fit = commands.add_parser(
        "fit-legal", help="fit the model that tells a question about the law from one for a procedure"
    )
    fit.add_argument("--intents", type=Path, required=True, help="folder holding legal.txt and procedure.txt")
    fit.add_argument("--out", type=Path, required=True, help="model file to write (.tsv)")
    fit.add_argument("--held-out", type=Path, help='questions never fitted on (JSONL with "query" and "kind")')
    fit.set_defaults(handler=_cmd_fit_legal)
    bench = commands.add_parser("bench", help="measure build time, latency and memory; prints JSON")
    bench.add_argument("--kb", nargs="+", required=True, help="KB folders or portal JSONL files")
    bench.add_argument("--questions", help="queries to time (JSONL with a `query` field; default: built-in set)")
    bench.set_defaults(handler=_cmd_bench)
    _add_soak(commands)


def _add_eval(commands: Commands) -> None:
    ev = commands.add_parser("eval", help="measure retrieval quality on a labelled question set")
    ev.add_argument("--kb", nargs="+", required=True, help="KB folders or portal JSONL files")
    ev.add_argument(
        "--questions", nargs="+", required=True, help='JSONL files: {"id", "query", "gold": [codes], "style"} a line'
    )
    ev.add_argument("--json", action="store_true", help="end with one JSON line holding every figure")
    calibration = ev.add_mutually_exclusive_group()
    calibration.add_argument(
        "--fit-calibration",
        type=Path,
        metavar="FILE",
        help="fit the confidence calibration on these questions, write it to FILE, then evaluate with it",
    )
    calibration.add_argument(
        "--folds",
        type=int,
        default=0,
        metavar="K",
        help="cross-validate the calibration: each fold answered with one fitted on the other K-1 folds",
    )
    ev.set_defaults(handler=_cmd_eval)


def _add_train(commands: Commands) -> None:
    train = commands.add_parser("train", help="fine-tune the embedding model on the question corpus (a LoRA adapter)")
    train.add_argument("--kb", nargs="*", default=[], help="KB folders or portal JSONL files (default: configured KB)")
    train.add_argument("--out", type=Path, required=True, help="adapter file to write (.safetensors)")
    train.add_argument("--held-out", type=Path, help="questions never trained on (JSONL): print the model's figures")
    train.add_argument("--steps", type=int, default=TRAINING_STEPS, help=f"optimiser steps (default {TRAINING_STEPS})")
    train.add_argument("--batch-size", type=int, default=32, help="procedures per step (default 32)")
    train.set_defaults(handler=_cmd_train)


def _add_soak(commands: Commands) -> None:
    soak = commands.add_parser(
        "soak", help="SIGKILL `wardbot run` under traffic on fake Telegram, Zalo and web chat; count losses as JSON"
    )
    soak.add_argument("--messages", type=int, default=10_000, help="citizens' messages in all (default 10000)")
    soak.add_argument("--kills", type=int, default=5, help="SIGKILLs, each followed by a restart (default 5)")
    soak.add_argument("--seed", type=int, default=1, help="picks the scripts and the moments of the kills")
    soak.add_argument("--users", type=int, default=60, help="citizens talking at once (default 60)")
    soak.add_argument("--telegram", choices=TELEGRAM_MODES, default="webhook", help="how Telegram delivers")
    soak.add_argument("--keep", action="store_true", help="keep the data directory and the bot's log")
    soak.set_defaults(handler=_cmd_soak)

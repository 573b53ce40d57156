"""``wardbot eval``: retrieval quality and abstention on a labelled question set.

Rankings come from the retriever; what the bot *does* with each question (answer, ask which
procedure, abstain, treat it as feedback) comes from running it through the real dialogue
handlers in a fresh conversation, so the figures describe the bot citizens talk to.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path

from handlers import (
    Dialogue,
    IncomingMessage,
    Outcome,
    SearchEngine,
)
from retrieval import Calibration, LabelledQuestion, read_questions, summarize
from retrieval import Outcome as EvalOutcome
from tickets import TicketDesk, TicketStore

from .._config import Config
from .._search import open_search_engine
from ..testing import MemoryDialogueStore

CV_SEED = 20261207  # which question falls in which fold: fixed, so a rerun gives the same figures


def evaluate(
    config: Config,
    kb: Sequence[str | Path],
    questions_paths: Sequence[str | Path],
    *,
    progress: bool = True,
    fit_calibration: Path | None = None,
    folds: int = 0,
) -> dict:
    """Run every question through the bot and summarise.

    ``fit_calibration`` first fits a new calibration on these questions and writes it there (the
    abstention figures are then in-sample). ``folds`` (2 or more) cross-validates instead: each
    fold's questions are answered with a calibration fitted on the other folds, so the abstention
    and confident-wrong figures say what the fitted calibration does on questions it never saw.
    """
    questions = [q for path in questions_paths for q in read_questions(path)]
    neutral = Calibration.neutral() if fit_calibration or folds else None
    engine = open_search_engine(config, kb, progress=progress, calibration=neutral)
    names = ", ".join(Path(path).name for path in questions_paths)
    if folds:
        outcomes = _cross_validated_outcomes(config, engine, questions, folds)
    else:
        if fit_calibration:
            fitted_on = f"{names}: {len(questions)} questions, KB of {len(engine.kb)} entries"
            engine.retriever.calibration = fit(engine, questions, fitted_on=fitted_on)
            fit_calibration.write_text(engine.retriever.calibration.to_json(), encoding="utf-8")
        outcomes = asyncio.run(_run_dialogues(config, engine, questions))
    summary = summarize(outcomes)
    summary["kb_entries"] = len(engine.kb)
    if folds:
        summary["cross_validation_folds"] = folds
    return summary


def _cross_validated_outcomes(
    config: Config, engine: SearchEngine, questions: Sequence[LabelledQuestion], folds: int
) -> list[EvalOutcome]:
    if not 2 <= folds <= len(questions):
        raise ValueError(f"folds must be between 2 and the number of questions ({len(questions)}), got {folds}")
    order = list(range(len(questions)))
    random.Random(CV_SEED).shuffle(order)
    fold_of = {position: rank % folds for rank, position in enumerate(order)}
    searched = [engine.retriever.features(question.query) for question in questions]
    outcomes: dict[int, EvalOutcome] = {}
    for fold in range(folds):
        train = [i for i in range(len(questions)) if fold_of[i] != fold]
        engine.retriever.calibration = _fit_rows(
            [questions[i] for i in train], [searched[i] for i in train], fitted_on=f"fold {fold + 1} of {folds}"
        )
        held = [i for i in range(len(questions)) if fold_of[i] == fold]
        held_outcomes = asyncio.run(_run_dialogues(config, engine, [questions[i] for i in held]))
        for i, outcome in zip(held, held_outcomes, strict=True):
            outcomes[i] = outcome
    return [outcomes[i] for i in range(len(questions))]


async def _run_dialogues(
    config: Config, engine: SearchEngine, questions: Sequence[LabelledQuestion]
) -> list[EvalOutcome]:
    # The dialogue as the application wires it, with a ticket desk: questions for an official
    # become tickets, here in a store thrown away afterwards.
    with tempfile.TemporaryDirectory() as scratch:
        async with await TicketStore.open(Path(scratch) / "tickets.sqlite3") as tickets:
            desk = TicketDesk(tickets, config.calendar.working_calendar(), config.tickets.policies)
            dialogue = Dialogue(
                engine,
                MemoryDialogueStore(),
                ward_name=config.ward.name,
                ward_contact=config.ward.contact,
                desk=desk,
                pseudonym=_pseudonym,
            )
            return await _answer_each(dialogue, engine, questions)


def _pseudonym(channel: str, user_id: str) -> str:
    """The stand-in tickets keep for a user: here a question's id, which is nobody's."""
    return f"{channel}:{user_id}"


async def _answer_each(
    dialogue: Dialogue, engine: SearchEngine, questions: Sequence[LabelledQuestion]
) -> list[EvalOutcome]:
    outcomes = []
    for question in questions:
        ranking = tuple(
            hit.doc_id for hit in engine.retriever.search(question.query).hits if hit.doc_id in engine.kb.procedures
        )
        # Each question opens its own conversation, as a first message from a new citizen.
        turn = await dialogue.handle(IncomingMessage(channel="eval", chat_id=question.id, user_id=question.id, text=question.query))
        with_procedure = turn.entry_id in engine.kb.procedures
        answered = turn.outcome is Outcome.ANSWERED and with_procedure
        abstained = turn.outcome is not Outcome.CLARIFIED and not with_procedure
        outcomes.append(EvalOutcome(question=question, ranking=ranking, answered=answered, abstained=abstained))
    return outcomes


def fit(engine: SearchEngine, questions: Sequence[LabelledQuestion], *, fitted_on: str) -> Calibration:
    searched = [engine.retriever.features(question.query) for question in questions]
    return _fit_rows(questions, searched, fitted_on=fitted_on)


def _fit_rows(
    questions: Sequence[LabelledQuestion],
    searched: Sequence[tuple[list[float], list[tuple[str, float]]]],
    *,
    fitted_on: str,
) -> Calibration:
    rows, top_correct, in_scope, rankings, gold_positions = [], [], [], [], []
    for question, (features, ranking) in zip(questions, searched, strict=True):
        ids = [doc_id for doc_id, _ in ranking]
        rows.append(features)
        top_correct.append(bool(ids) and ids[0] in question.gold)
        in_scope.append(not question.out_of_scope)
        found = [position for position, doc_id in enumerate(ids) if doc_id in question.gold]
        if found:
            rankings.append([score for _, score in ranking])
            gold_positions.append(found[0])
    return Calibration.fit(
        rows, top_correct, in_scope, rankings=rankings, gold_positions=gold_positions, fitted_on=fitted_on
    )


def _pct(value) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def format_report(summary: dict) -> str:
    lines = [
        f"In scope: {summary['n']} questions   out of scope: {summary['n_oos']}   KB: {summary['kb_entries']} entries",
        f"Recall@1 {_pct(summary.get('recall@1'))}   Recall@5 {_pct(summary.get('recall@5'))}   "
        f"MRR@10 {_pct(summary.get('mrr@10'))}",
        f"Out-of-scope abstention {_pct(summary['abstain_oos'])}   "
        f"answered confidently with a wrong procedure {_pct(summary.get('answered_wrong'))}   "
        f"in-scope abstention {_pct(summary.get('abstain_in_scope'))}",
        "",
        f"{'style':<14}{'n':>5}{'R@1':>8}{'R@5':>8}{'MRR':>8}{'n_oos':>7}{'abst.':>8}",
    ]
    for style, row in summary["by_style"].items():
        lines.append(
            f"{style:<14}{row['n']:>5}{_pct(row.get('recall@1')):>8}{_pct(row.get('recall@5')):>8}"
            f"{_pct(row.get('mrr@10')):>8}{row.get('n_oos', 0):>7}{_pct(row.get('abstain_oos')):>8}"
        )
    return "\n".join(lines)

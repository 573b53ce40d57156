"""``wardbot eval``: retrieval quality and abstention on a labelled question set.

Rankings come from the retriever; what the bot *does* with each question (answer, ask which
procedure, abstain, treat it as feedback) comes from running it through the real dialogue
handlers in a fresh conversation, so the figures describe the bot citizens talk to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from handlers import (
    Dialogue,
    IncomingMessage,
    MemoryDialogueStore,
    Outcome,
    SearchEngine,
)
from retrieval import Calibration, LabelledQuestion, read_questions, summarize
from retrieval import Outcome as EvalOutcome

from ._config import Config
from ._search import open_search_engine


def evaluate(
    config: Config,
    kb: Sequence[str | Path],
    questions_path: str | Path,
    *,
    progress: bool = True,
    fit_calibration: Path | None = None,
) -> dict:
    """Run every question through the bot and summarise; optionally first fit and write a new
    calibration from these questions (the abstention figures are then in-sample)."""
    questions = read_questions(questions_path)
    calibration = Calibration.neutral() if fit_calibration else None
    engine = open_search_engine(config, kb, progress=progress, calibration=calibration)
    if fit_calibration:
        fitted_on = f"{Path(questions_path).name}: {len(questions)} questions, KB of {len(engine.kb)} entries"
        engine.retriever.calibration = fit(engine, questions, fitted_on=fitted_on)
        fit_calibration.write_text(engine.retriever.calibration.to_json(), encoding="utf-8")
    outcomes = asyncio.run(_run_dialogues(config, engine, questions))
    summary = summarize(outcomes)
    summary["kb_entries"] = len(engine.kb)
    return summary


async def _run_dialogues(
    config: Config, engine: SearchEngine, questions: Sequence[LabelledQuestion]
) -> list[EvalOutcome]:
    dialogue = Dialogue(engine, MemoryDialogueStore(), ward_name=config.ward.name, ward_contact=config.ward.contact)
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
    rows, top_correct, in_scope, rankings, gold_positions = [], [], [], [], []
    for question in questions:
        features, ranking = engine.retriever.features(question.query)
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

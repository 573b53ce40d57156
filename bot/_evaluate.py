"""``wardbot eval``: retrieval quality and abstention on a labelled question set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from knowledge import Faq
from retrieval import Calibration, Decision, LabelledQuestion, Outcome, read_questions, summarize

from ._config import Config
from handlers import SearchEngine

from ._search import open_search_engine


def evaluate(
    config: Config,
    kb: Sequence[str | Path],
    questions_path: str | Path,
    *,
    progress: bool = True,
    fit_calibration: Path | None = None,
) -> dict:
    """Run every question through the retriever and summarise; optionally first fit and write a
    new calibration from these questions (then the figures are in-sample for abstention)."""
    questions = read_questions(questions_path)
    calibration = Calibration.neutral() if fit_calibration else None
    engine = open_search_engine(config, kb, progress=progress, calibration=calibration)
    if fit_calibration:
        fitted_on = f"{Path(questions_path).name}: {len(questions)} questions, KB of {len(engine.kb)} entries"
        engine.retriever.calibration = fit(engine, questions, fitted_on=fitted_on)
        fit_calibration.write_text(engine.retriever.calibration.to_json(), encoding="utf-8")
    outcomes = []
    for question in questions:
        result = engine.retriever.search(question.query)
        procedures = tuple(h.doc_id for h in result.hits if not isinstance(engine.kb.get(h.doc_id), Faq))
        top_is_faq = result.top is not None and isinstance(engine.kb.get(result.top.doc_id), Faq)
        answered = result.decision is Decision.ANSWER and not top_is_faq
        abstained = result.decision is Decision.ABSTAIN or (result.decision is Decision.ANSWER and top_is_faq)
        outcomes.append(Outcome(question=question, ranking=procedures, answered=answered, abstained=abstained))
    summary = summarize(outcomes)
    summary["kb_entries"] = len(engine.kb)
    return summary


def fit(engine: SearchEngine, questions: Sequence[LabelledQuestion], *, fitted_on: str) -> Calibration:
    rows, top_correct, in_scope = [], [], []
    for question in questions:
        features, ranking = engine.retriever.features(question.query)
        rows.append(features)
        top_correct.append(bool(ranking) and ranking[0] in question.gold)
        in_scope.append(not question.out_of_scope)
    return Calibration.fit(rows, top_correct, in_scope, fitted_on=fitted_on)


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

"""Retrieval quality metrics over labelled questions: JSONL, one object a line with ``id``,
``query``, ``gold`` (the procedure codes that answer it; empty when none does) and an optional
``style``."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wardbot_errors import WardbotError


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    id: str
    query: str
    gold: tuple[str, ...]
    style: str = ""

    @property
    def out_of_scope(self) -> bool:
        return not self.gold


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the system did with one question: its ranking and whether it answered with the top hit."""

    question: LabelledQuestion
    ranking: tuple[str, ...]
    answered: bool  # answered confidently with its top hit (no clarifying question)
    abstained: bool  # offered no procedure at all (abstained, or answered with an FAQ)


class QuestionFormatError(WardbotError, ValueError):
    pass


def read_questions(path: str | Path) -> list[LabelledQuestion]:
    questions = []
    with open(path, encoding="utf-8") as lines:
        for line_no, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                gold = row.get("gold") or []
                if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
                    raise ValueError("`gold` must be a list of codes")
                questions.append(
                    LabelledQuestion(str(row["id"]), str(row["query"]), tuple(gold), str(row.get("style", "")))
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise QuestionFormatError(f"{path}:{line_no}: {exc}") from None
    if not questions:
        raise QuestionFormatError(f"{path}: no questions")
    return questions


def first_relevant_rank(ranking: Sequence[str], gold: Iterable[str]) -> int | None:
    gold = set(gold)
    for rank, doc_id in enumerate(ranking, 1):
        if doc_id in gold:
            return rank
    return None


def _ranking_metrics(outcomes: Sequence[Outcome]) -> dict[str, float]:
    n = len(outcomes)
    if not n:
        return {"n": 0}
    ranks = [first_relevant_rank(o.ranking, o.question.gold) for o in outcomes]
    return {
        "n": n,
        "recall@1": sum(r == 1 for r in ranks) / n,
        "recall@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "mrr@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n,
        "answered_wrong": sum(o.answered and r != 1 for o, r in zip(outcomes, ranks, strict=True)) / n,
        "abstain_in_scope": sum(o.abstained for o in outcomes) / n,
    }


def summarize(outcomes: Sequence[Outcome]) -> dict:
    """Recall@1/@5 and MRR@10 over in-scope questions, overall and per style; OOS abstention."""
    in_scope = [o for o in outcomes if not o.question.out_of_scope]
    oos = [o for o in outcomes if o.question.out_of_scope]
    summary: dict[str, Any] = _ranking_metrics(in_scope) | {
        "n_oos": len(oos),
        "abstain_oos": (sum(o.abstained for o in oos) / len(oos)) if oos else None,
    }
    by_style: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_style[o.question.style or "-"].append(o)
    summary["by_style"] = {}
    for style, group in sorted(by_style.items()):
        row = _ranking_metrics([o for o in group if not o.question.out_of_scope])
        group_oos = [o for o in group if o.question.out_of_scope]
        if group_oos:
            row["n_oos"] = len(group_oos)
            row["abstain_oos"] = sum(o.abstained for o in group_oos) / len(group_oos)
        summary["by_style"][style] = row
    return summary

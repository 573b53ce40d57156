"""``wardbot fit-legal``: fit the model that tells a question about the law from a question about a
procedure (:mod:`handlers._legal`), choose its threshold by cross-validation, and measure it on
held-out questions it never saw."""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from handlers import LegalQuestionModel, legal_features, message_tokens
from knowledge import bundled_questions_path, read_question_corpus

LEGAL_C = 1.0  # inverse regularisation, as scikit-learn's C (its default; not tuned)
LEGAL_FOLDS = 5
# The share of other messages (procedure questions, mostly) that may be taken for questions about
# the law, out of fold: a procedure question so taken is declined, which costs more than a legal
# question answered with a menu of procedures.
MAX_FALSE_LEGAL = 0.01


def _features(texts: Sequence[str]) -> list[dict[str, int]]:
    return [dict(legal_features(message_tokens(text))) for text in texts]


def fit_weights(
    features: Sequence[dict[str, int]], labels: Sequence[bool], *, c: float = LEGAL_C, min_df: int = 3
) -> tuple[dict[str, tuple[float, float]], float]:
    """Class-balanced, L2-regularised logistic regression over TF-IDF features; returns each kept
    feature's (IDF, weight) and the bias."""
    df: dict[str, int] = {}
    for row in features:
        for feature in row:
            df[feature] = df.get(feature, 0) + 1
    vocabulary = sorted(f for f, n in df.items() if n >= min_df)
    column = {f: i for i, f in enumerate(vocabulary)}
    n = len(features)
    idf = np.array([math.log((1 + n) / (1 + df[f])) + 1 for f in vocabulary], dtype=np.float64)
    rows, cols, values = [], [], []
    for r, row in enumerate(features):
        kept = [(column[f], (1 + math.log(count)) * idf[column[f]]) for f, count in row.items() if f in column]
        norm = math.sqrt(sum(v * v for _, v in kept)) or 1.0
        for col, value in kept:
            rows.append(r)
            cols.append(col)
            values.append(value / norm)
    x = torch.sparse_coo_tensor(
        torch.tensor([rows, cols]),
        torch.tensor(values),
        (n, len(vocabulary)),
        dtype=torch.float64,
        check_invariants=True,
    ).coalesce()
    y = torch.tensor(labels, dtype=torch.float64)
    positives = float(y.sum())
    if positives in (0, n):
        raise ValueError("fitting needs questions of both kinds")
    # Balanced: each class weighs half, however many examples it has.
    sample_weight = torch.where(y > 0, n / (2 * positives), n / (2 * (n - positives)))
    weight = torch.zeros(len(vocabulary), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([weight, bias], max_iter=500, tolerance_grad=1e-9, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        logits = torch.sparse.mm(x, weight.unsqueeze(1)).squeeze(1) + bias
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, weight=sample_weight)
        loss = loss + weight.square().sum() / (2 * c * n)
        loss.backward()
        return loss

    optimiser.step(closure)
    weights = weight.detach().numpy()
    return {f: (float(idf[i]), float(weights[i])) for i, f in enumerate(vocabulary)}, float(bias.item())


def _fold(text: str, folds: int) -> int:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest(), 16) % folds


def fit_legal_model(
    legal: Sequence[str],
    not_legal: Sequence[str],
    *,
    c: float = LEGAL_C,
    folds: int = LEGAL_FOLDS,
    max_false_legal: float = MAX_FALSE_LEGAL,
    log: Callable[[str], None] = print,
) -> tuple[LegalQuestionModel, dict]:
    """Fit on questions about the law (``legal``) against other messages (questions for a
    procedure, mostly); the threshold is the lowest at which, out of fold, at most
    ``max_false_legal`` of the others are taken for legal ones. Returns the model and the
    cross-validated figures."""
    texts = [*legal, *not_legal]
    labels = [True] * len(legal) + [False] * len(not_legal)
    features = _features(texts)
    out_of_fold = np.zeros(len(texts))
    for fold in range(folds):
        train = [i for i, t in enumerate(texts) if _fold(t, folds) != fold]
        weights, bias = fit_weights([features[i] for i in train], [labels[i] for i in train], c=c)
        model = LegalQuestionModel(weights, bias, 0.5)
        for i, text in enumerate(texts):
            if _fold(text, folds) == fold:
                out_of_fold[i] = model.probability(message_tokens(text))
        log(f"fold {fold + 1}/{folds} fitted")
    negatives = np.sort(out_of_fold[len(legal) :])
    allowed = int(max_false_legal * len(negatives))
    threshold = float(negatives[len(negatives) - allowed - 1]) + 1e-6
    weights, bias = fit_weights(features, labels, c=c)
    report = {
        "legal": len(legal),
        "not_legal": len(not_legal),
        "features": len(weights),
        "threshold": round(threshold, 4),
        "cross_validated": {
            "legal_recall": round(float(np.mean(out_of_fold[: len(legal)] >= threshold)), 3),
            "not_legal_taken_for_legal": round(float(np.mean(negatives >= threshold)), 4),
        },
    }
    return LegalQuestionModel(weights, bias, threshold), report


def measure_legal_model(model: LegalQuestionModel, path: Path) -> dict:
    """Share of a JSONL file's questions taken for questions about the law, by ``kind``."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    figures = {}
    for kind in sorted({row["kind"] for row in rows}):
        asked = [model.asks_about_law(message_tokens(row["query"])) for row in rows if row["kind"] == kind]
        figures[kind] = {"questions": len(asked), "taken_for_legal": round(float(np.mean(asked)), 3)}
    return figures


def read_lines(path: Path) -> list[str]:
    """A text file's questions: one a line, ``#`` comments and blank lines skipped."""
    lines = (line.strip() for line in path.read_text("utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def fit_legal(
    intents: Path,
    out: Path,
    *,
    held_out: Path | None,
    log: Callable[[str], None] = functools.partial(print, flush=True),
) -> dict:
    """Fit on ``intents``/legal.txt against ``intents``/procedure.txt, ``intents``/other.txt and
    the bundled question corpus, write the model to ``out``, and return the figures (held out
    too, if given)."""
    corpus, _ = read_question_corpus([bundled_questions_path()])
    not_legal = [q for name in ("procedure.txt", "other.txt") for q in read_lines(intents / name)]
    not_legal += [q for questions in corpus.values() for q in questions]
    model, report = fit_legal_model(read_lines(intents / "legal.txt"), not_legal, log=log)
    model.save(out)
    if held_out is not None:
        report["held_out"] = {"file": held_out.name, **measure_legal_model(model, held_out)}
    return report

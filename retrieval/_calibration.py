"""Calibrated confidence: logistic models over features of a ranking.

Two probabilities are estimated for each message: that the knowledge base can answer it at all
(``in_scope``) and that the top hit is right (``confidence``). The hits below the top get a share
of that confidence by a softmax over their fused scores, with a fitted temperature, so every hit
carries a probability on the same scale. The coefficients are fitted by
``wardbot eval --fit-calibration`` on a labelled question set and shipped in
``calibration.json``; the features are cheap by-products of the search itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

FEATURES = (
    "dense_max",  # cosine of the best passage anywhere: how close the KB comes semantically
    "lexical_log",  # log(1 + best BM25 score): how many rare words the best entry shares
    "lexical_per_token",  # the same per query token, so long messages do not look confident
    "margin",  # fused score of the first hit minus the second: is there a clear winner
    "dense_agrees",  # the first hit is also the dense ranking's first
    "lexical_agrees",  # the first hit is also the lexical ranking's first
)


def ranking_features(fused: np.ndarray, lexical: np.ndarray, dense: np.ndarray, n_tokens: int) -> list[float]:
    order = np.argsort(-fused)[:2]
    top = int(order[0])
    second = fused[order[1]] if len(order) > 1 else fused[top] - 1.0
    lexical_max = float(max(lexical.max(), 0.0))
    return [
        float(dense.max()),
        math.log1p(lexical_max),
        math.log1p(lexical_max / max(n_tokens, 1)),
        float(fused[top] - second),
        float(int(np.argmax(dense)) == top),
        float(int(np.argmax(lexical)) == top),
    ]


@dataclass(frozen=True, slots=True)
class LogisticModel:
    coefficients: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def probability(self, features: Sequence[float]) -> float:
        z = self.intercept + sum(
            c * (x - m) / s for c, x, m, s in zip(self.coefficients, features, self.mean, self.scale, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    @classmethod
    def fit(cls, rows: Sequence[Sequence[float]], labels: Sequence[int], *, l2: float = 1.0) -> LogisticModel:
        """L2-regularised logistic regression by Newton's method on standardised features."""
        x = np.asarray(rows, dtype=np.float64)
        y = np.asarray(labels, dtype=np.float64)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        design = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
        weights = np.zeros(design.shape[1])
        penalty = np.full(design.shape[1], l2)
        penalty[0] = 0.0  # the intercept is not shrunk
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-design @ weights))
            gradient = design.T @ (p - y) + penalty * weights
            hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
            step = np.linalg.solve(hessian, gradient)
            weights -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(tuple(weights[1:]), float(weights[0]), tuple(mean), tuple(scale))

    def to_dict(self) -> dict:
        return {
            "coefficients": list(self.coefficients),
            "intercept": self.intercept,
            "mean": list(self.mean),
            "scale": list(self.scale),
        }

    @classmethod
    def from_dict(cls, data: dict) -> LogisticModel:
        return cls(tuple(data["coefficients"]), float(data["intercept"]), tuple(data["mean"]), tuple(data["scale"]))


DEFAULT_TEMPERATURE = 0.05


def fit_temperature(rankings: Sequence[Sequence[float]], gold_positions: Sequence[int]) -> float:
    """The softmax temperature over fused scores that best predicts where the right entry ranks.

    ``rankings`` holds each question's fused scores, best first; ``gold_positions`` the index of
    the right entry among them. Maximum likelihood by a grid search: one parameter, no surprises.
    """
    best, best_likelihood = 1.0, -math.inf
    for temperature in np.geomspace(0.005, 2.0, 200):
        likelihood = 0.0
        for scores, gold in zip(rankings, gold_positions, strict=True):
            z = np.asarray(scores, dtype=np.float64) / temperature
            z -= z.max()
            likelihood += z[gold] - math.log(np.exp(z).sum())
        if likelihood > best_likelihood:
            best, best_likelihood = float(temperature), likelihood
    return best


@dataclass(frozen=True, slots=True)
class Calibration:
    answer: LogisticModel  # P(top hit is right)
    in_scope: LogisticModel  # P(the KB answers this message at all)
    temperature: float = DEFAULT_TEMPERATURE  # softmax over fused scores, for the hits below the top
    fitted_on: str = ""

    def hit_probabilities(self, fused_top: Sequence[float] | np.ndarray, top_confidence: float) -> list[float]:
        """A probability for each ranked hit: the top's calibrated confidence, the others scaled
        from it by their softmax share relative to the top."""
        z = np.asarray(fused_top, dtype=np.float64) / self.temperature
        relative = np.exp(z - z[0])
        return [float(top_confidence * r) for r in relative]

    @classmethod
    def neutral(cls) -> Calibration:
        """Every probability 0.5: for fitting a new calibration, before one exists."""
        flat = LogisticModel((0.0,) * len(FEATURES), 0.0, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES))
        return cls(flat, flat, fitted_on="neutral")

    @classmethod
    def fit(
        cls,
        rows: Sequence[Sequence[float]],
        top_correct: Sequence[bool],
        in_scope: Sequence[bool],
        *,
        rankings: Sequence[Sequence[float]] = (),
        gold_positions: Sequence[int] = (),
        fitted_on: str = "",
    ) -> Calibration:
        """Fit both logistic models; and the temperature when rankings with a known right entry
        (its position in each) are given."""
        return cls(
            answer=LogisticModel.fit(rows, [int(v) for v in top_correct]),
            in_scope=LogisticModel.fit(rows, [int(v) for v in in_scope]),
            temperature=fit_temperature(rankings, gold_positions) if rankings else DEFAULT_TEMPERATURE,
            fitted_on=fitted_on,
        )

    def to_json(self) -> str:
        data = {
            "features": list(FEATURES),
            "fitted_on": self.fitted_on,
            "temperature": self.temperature,
            "answer": self.answer.to_dict(),
            "in_scope": self.in_scope.to_dict(),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        data = json.loads(text)
        if tuple(data.get("features", ())) != FEATURES:
            raise ValueError(f"calibration features {data.get('features')} do not match {list(FEATURES)}")
        return cls(
            LogisticModel.from_dict(data["answer"]),
            LogisticModel.from_dict(data["in_scope"]),
            temperature=float(data["temperature"]),
            fitted_on=data.get("fitted_on", ""),
        )

    @classmethod
    def load(cls, path: str | Path | None = None) -> Calibration:
        """The given file, or the calibration shipped with wardbot."""
        if path is None:
            return cls.from_json(resources.files("retrieval").joinpath("calibration.json").read_text(encoding="utf-8"))
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

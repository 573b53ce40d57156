"""Is a message a question about the law rather than about a procedure?

"Hàng xóm xây lấn sang đất nhà tôi thì họ có phải tháo dỡ không", "con tôi 16 tuổi chạy xe 50cc
thì sao ạ": many such questions carry none of the cue phrases in :mod:`handlers._intent`. This is a
logistic model over a message's folded syllables and syllable pairs (TF-IDF weighted, L2
normalised), fitted by ``wardbot fit-legal`` (:mod:`bot.devtools._legal`) on questions about the
law written for wardbot against the question corpus, which asks for procedures. It is stored as a
small TSV beside this module: a header with the bias and the decision threshold, then one line per
feature with its IDF and weight.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from retrieval import bigrams, normalize_query, syllables

MODEL_FILENAME = "legal_model.tsv"
_HEADER = "#legal-question-model v1"


def message_tokens(text: str) -> list[str]:
    """A typed message as intent detection reads it: normalised (teencode, telex slips), folded
    syllables."""
    return syllables(normalize_query(text.strip()))


def legal_features(tokens: Sequence[str]) -> Counter[str]:
    """The features the model reads: each folded syllable and each adjacent pair (``vi_pham``)."""
    return Counter([*tokens, *bigrams(tokens)])


@dataclass(frozen=True)
class LegalQuestionModel:
    """``weights`` maps a feature to its (IDF, weight); a message whose probability reaches
    ``threshold`` asks about the law."""

    weights: Mapping[str, tuple[float, float]]
    bias: float
    threshold: float

    def probability(self, tokens: Sequence[str]) -> float:
        """How likely the message (its folded syllables) asks about the law, 0 to 1."""
        values = {
            feature: (1.0 + math.log(count)) * self.weights[feature][0]
            for feature, count in legal_features(tokens).items()
            if feature in self.weights
        }
        norm = math.sqrt(sum(v * v for v in values.values())) or 1.0
        score = self.bias + sum(v * self.weights[feature][1] for feature, v in values.items()) / norm
        return 1.0 / (1.0 + math.exp(-score))

    def asks_about_law(self, tokens: Sequence[str]) -> bool:
        return self.probability(tokens) >= self.threshold

    def to_tsv(self) -> str:
        lines = [f"{_HEADER}\tbias={self.bias:.6f}\tthreshold={self.threshold:.4f}"]
        lines += [f"{feature}\t{idf:.5f}\t{weight:.6f}" for feature, (idf, weight) in sorted(self.weights.items())]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_tsv(cls, text: str) -> LegalQuestionModel:
        header, *rows = text.splitlines()
        fields = header.split("\t")
        if fields[0] != _HEADER:
            raise ValueError(f"not a legal-question model (its first line must start with {_HEADER!r})")
        settings = dict(field.split("=", 1) for field in fields[1:])
        weights = {}
        for row in rows:
            feature, idf, weight = row.split("\t")
            weights[feature] = (float(idf), float(weight))
        return cls(weights, float(settings["bias"]), float(settings["threshold"]))

    def save(self, path: Path) -> None:
        path.write_text(self.to_tsv(), encoding="utf-8")


@functools.cache
def bundled_legal_model() -> LegalQuestionModel:
    """The model shipped with wardbot (``handlers/legal_model.tsv``)."""
    return LegalQuestionModel.from_tsv(resources.files("handlers").joinpath(MODEL_FILENAME).read_text("utf-8"))

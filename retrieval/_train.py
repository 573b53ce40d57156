"""Fine-tuning the embedding model on the question corpus: a LoRA adapter, trained on the CPU.

Each step takes ``batch_size`` procedures that have questions, one question of each, and encodes:

* the question as a query, folded (no diacritics) with probability ``fold_share``, since citizens
  type that way and the model is weak on it, then read as the retriever reads a message
  (:meth:`~retrieval._reading.QueryReader.read`: normalised, diacritics restored, the lexicon's
  official terms added), so that the model learns on the text it meets in service; of a long one
  only its last ``query_chars`` characters, as the retriever read a message when the shipped
  adapter was trained (it now reads the whole message, which measured better with this adapter);
* its positive: the procedure's name, or with probability ``sibling_share`` another of its
  questions, read as the index reads it (corpus questions are passages too), in the same window;
* a hard negative: the name of one of the procedure's nearest twins (the procedures whose names
  the base model finds closest: ward vs province level, first issue vs re-issue, domestic vs
  foreign).

The loss is InfoNCE over all positives and hard negatives of the batch (in-batch negatives).
Only the low-rank matrices of the upper layers train; the base weights and the embedding table
stay frozen. The run is reproducible: a fixed seed drives sampling, folding and initialisation.

This module imports torch; ``retrieval`` exposes it lazily, so the bot, which runs on onnxruntime,
never loads torch to answer.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ._adapter import LoraAdapter, base_fingerprint, target_modules
from ._normalize import fold
from ._reading import QueryReader
from ._types import SearchDoc

Log = Callable[[str], None]


@dataclass(frozen=True)
class TrainingSettings:
    steps: int = 1400
    batch_size: int = 32
    rank: int = 16
    alpha: float = 32.0
    learning_rate: float = 5e-4
    warmup_steps: int = 40
    temperature: float = 0.05
    query_chars: int = 0  # of a long question, the last this many characters (0: all of it, as the retriever reads)
    query_tokens: int = 96  # 95% of the held-out questions read whole are 92 tokens or fewer
    passage_tokens: int = 48  # names are short; 64 made each step a third slower for nothing
    # LoRA on the upper layers only: the backward pass stops there, which halves its cost on 2 cores.
    first_layer: int = 6
    fold_share: float = 0.3
    sibling_share: float = 0.5
    twins: int = 3  # hard negatives are drawn from this many nearest names
    seed: int = 20261207
    threads: int = 2


@dataclass(frozen=True)
class TrainingPlan:
    """What one run trains on: the procedures with questions, and each one's twins."""

    names: list[str]
    questions: list[tuple[str, ...]]
    twins: list[list[int]]  # for each procedure, the positions of its nearest other names


class _LoraLinear(torch.nn.Module):
    """``base(x) + scale * x A^T B^T``: the frozen layer plus its trainable low-rank update."""

    def __init__(self, base: torch.nn.Linear, a: torch.nn.Parameter, b: torch.nn.Parameter, scale: float):
        super().__init__()
        self.base, self.a, self.b, self.scale = base, a, b, scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.a.T @ self.b.T) * self.scale


class _Encoder:
    """The sentence-transformers model's transformer with LoRA on the target layers."""

    def __init__(self, model_dir: Path, settings: TrainingSettings):
        from sentence_transformers import SentenceTransformer

        torch.manual_seed(settings.seed)
        torch.set_num_threads(settings.threads)
        model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self.tokenizer = model.tokenizer
        prompts = model.prompts or {}
        self.query_prompt, self.passage_prompt = prompts.get("query") or "", prompts.get("passage") or ""
        bert = model[0].auto_model
        assert isinstance(bert, torch.nn.Module)  # the transformers model under sentence-transformers' wrapper
        self.bert = bert
        self.bert.requires_grad_(False)
        weights = {name: p.detach().numpy() for name, p in self.bert.state_dict().items()}
        self.modules = [m for m in target_modules(list(weights)) if _layer(m) >= settings.first_layer]
        self.base = base_fingerprint(weights, self.modules)
        self.lora: dict[str, tuple[torch.nn.Parameter, torch.nn.Parameter]] = {}
        scale = settings.alpha / settings.rank
        for name in self.modules:
            parent_name, _, attribute = name.rpartition(".")
            parent = self.bert.get_submodule(parent_name)
            linear = getattr(parent, attribute)
            a = torch.nn.Parameter(torch.empty(settings.rank, linear.in_features))
            torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))
            b = torch.nn.Parameter(torch.zeros(linear.out_features, settings.rank))
            self.lora[name] = (a, b)
            setattr(parent, attribute, _LoraLinear(linear, a, b, scale))
        self.scale = scale

    def parameters(self):
        return [p for pair in self.lora.values() for p in pair]

    def encode(self, texts: Sequence[str], max_tokens: int) -> torch.Tensor:
        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
        hidden = self.bert(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def adapter(self, info: dict) -> LoraAdapter:
        a = {name: pair[0].detach().numpy().copy() for name, pair in self.lora.items()}
        b = {name: pair[1].detach().numpy().copy() for name, pair in self.lora.items()}
        return LoraAdapter(a, b, self.scale, self.base, info)


def _layer(module: str) -> int:
    """The layer number of ``encoder.layer.<n>.…``."""
    return int(module.split(".")[2])


def plan_training(docs: Sequence[SearchDoc], name_vectors: np.ndarray, twins: int) -> TrainingPlan:
    """The procedures with questions, and for each the ``twins`` other names nearest to its own
    (``name_vectors`` are the base model's L2-normalised name embeddings, one per doc)."""
    keep = [i for i, doc in enumerate(docs) if doc.questions]
    vectors = name_vectors[keep]
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = np.argsort(-similarity, axis=1)[:, :twins]
    return TrainingPlan(
        names=[docs[i].title for i in keep],
        questions=[docs[i].questions for i in keep],
        twins=[list(map(int, row)) for row in nearest],
    )


def train_adapter(
    model_dir: str | Path,
    docs: Sequence[SearchDoc],
    settings: TrainingSettings = TrainingSettings(),
    *,
    name_vectors: np.ndarray,
    reader: QueryReader | None = None,
    log: Log = print,
) -> tuple[LoraAdapter, list[float]]:
    """Train an adapter for ``model_dir`` on the questions of ``docs``, read by ``reader`` (by
    default one over ``docs`` alone); returns it and the loss of every step."""
    reader = reader or QueryReader(docs)
    plan = plan_training(docs, name_vectors, settings.twins)
    if len(plan.names) < 2:
        raise ValueError("training needs questions for at least two procedures")
    rng = random.Random(settings.seed)
    encoder = _Encoder(Path(model_dir), settings)
    optimiser = torch.optim.AdamW(encoder.parameters(), lr=settings.learning_rate, weight_decay=0.0)

    def rate(step: int) -> float:
        if step < settings.warmup_steps:
            return (step + 1) / settings.warmup_steps
        return max(0.0, (settings.steps - step) / max(1, settings.steps - settings.warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    batch_size = min(settings.batch_size, len(plan.names))
    losses: list[float] = []
    started = time.monotonic()
    for step in range(settings.steps):
        picked = rng.sample(range(len(plan.names)), batch_size)
        queries, positives, negatives = [], [], []
        for i in picked:
            questions = plan.questions[i]
            question = rng.choice(questions)
            typed = fold(question) if rng.random() < settings.fold_share else question
            queries.append(reader.read(typed, dense_chars=settings.query_chars).dense)
            siblings = [q for q in questions if q != question]
            positive = plan.names[i]
            if siblings and rng.random() < settings.sibling_share:
                positive = reader.dense_text(
                    reader.corpus_question(rng.choice(siblings)), (), dense_chars=settings.query_chars
                )
            positives.append(positive)
            negatives.append(plan.names[rng.choice(plan.twins[i])])
        q = encoder.encode([encoder.query_prompt + t for t in queries], settings.query_tokens)
        p = encoder.encode([encoder.passage_prompt + t for t in positives + negatives], settings.passage_tokens)
        logits = q @ p.T / settings.temperature
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(queries)))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        scheduler.step()
        losses.append(loss.item())
        if (step + 1) % 20 == 0 or step + 1 == settings.steps:
            window = losses[-20:]
            elapsed = time.monotonic() - started
            log(f"step {step + 1}/{settings.steps}  loss {sum(window) / len(window):.4f}  "
                f"{elapsed / (step + 1):.2f} s/step  eta {elapsed / (step + 1) * (settings.steps - step - 1) / 60:.1f} min")  # fmt: skip
    info = {"settings": asdict(settings), "procedures": len(plan.names),
            "questions": sum(map(len, plan.questions)), "final_loss": round(float(np.mean(losses[-50:])), 4)}  # fmt: skip
    return encoder.adapter(info), losses

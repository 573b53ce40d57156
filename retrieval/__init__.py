"""Vietnamese retrieval: normalisation, lexical and dense indexes, fusion and calibrated decisions.

This package knows nothing of the bot or the knowledge-base schema: it indexes :class:`SearchDoc`
values and answers with :class:`SearchResult` values.
"""

from ._adapter import AdapterError, LoraAdapter, apply_adapter, bundled_adapter_path
from ._calibration import FEATURES, Calibration
from ._dense import DenseIndex, Embedder, EmbeddingCache, SentenceTransformerEmbedder, embed_passages
from ._e5_build import E5_MODEL_DIRNAME, build_e5_model, ensure_e5_model
from ._lexical import LexicalIndex, QuestionIndex, document_tokens, query_tokens
from ._lexicon import Lexicon, LexiconFormatError
from ._metrics import LabelledQuestion, Outcome, QuestionFormatError, read_questions, summarize
from ._normalize import bigrams, fold, has_diacritics, nfc, normalize_query, syllables
from ._onnx import QUERY_PRECISIONS, OnnxEmbedder, ensure_onnx_int8_model, ensure_onnx_model, export_onnx, quantize_onnx
from ._reading import QueryReader
from ._restore import DiacriticRestorer
from ._retriever import Retriever, RetrieverSettings
from ._types import Decision, Hit, SearchDoc, SearchResult

# Training needs torch, which answering does not: ``retrieval._train`` is imported on first use.
_TRAINING = ("TrainingSettings", "plan_training", "train_adapter")


def __getattr__(name: str):
    if name in _TRAINING:
        from . import _train

        return getattr(_train, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = (
    "E5_MODEL_DIRNAME",
    "AdapterError",
    "LoraAdapter",
    "apply_adapter",
    "bundled_adapter_path",
    *_TRAINING,
    "FEATURES",
    "QUERY_PRECISIONS",
    "Calibration",
    "Decision",
    "DenseIndex",
    "DiacriticRestorer",
    "Embedder",
    "EmbeddingCache",
    "Hit",
    "LabelledQuestion",
    "LexicalIndex",
    "QuestionIndex",
    "Lexicon",
    "LexiconFormatError",
    "OnnxEmbedder",
    "Outcome",
    "QuestionFormatError",
    "QueryReader",
    "Retriever",
    "RetrieverSettings",
    "SearchDoc",
    "SearchResult",
    "SentenceTransformerEmbedder",
    "bigrams",
    "build_e5_model",
    "embed_passages",
    "ensure_e5_model",
    "ensure_onnx_int8_model",
    "ensure_onnx_model",
    "export_onnx",
    "fold",
    "has_diacritics",
    "document_tokens",
    "nfc",
    "normalize_query",
    "quantize_onnx",
    "query_tokens",
    "read_questions",
    "summarize",
    "syllables",
)

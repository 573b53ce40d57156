"""Turn knowledge-base entries into the retriever's documents, with a service-popularity prior."""

from __future__ import annotations

import math
from functools import cache
from importlib import resources

from retrieval import SearchDoc

from ._kb import KnowledgeBase
from ._schema import Faq, Procedure


@cache
def service_popularity() -> dict[str, int]:
    """Usage weight per procedure code on the national portal (bundled ``popularity.tsv``)."""
    weights: dict[str, int] = {}
    text = resources.files("knowledge").joinpath("popularity.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or line.startswith("code\t") or not line.strip():
            continue
        code, weight = line.split("\t")
        weights[code] = int(weight)
    return weights


WARD_LEVEL = "Cấp xã"


def procedure_search_doc(procedure: Procedure, popularity: float, questions: tuple[str, ...] = ()) -> SearchDoc:
    documents = "; ".join(item.name for item in procedure.documents)
    body = tuple(
        part
        for part in (documents, " ".join(procedure.steps), procedure.field, procedure.conditions, procedure.result)
        if part
    )
    return SearchDoc(
        id=procedure.code,
        title=procedure.name,
        body=body,
        questions=questions,
        popularity=popularity,
        local=WARD_LEVEL in procedure.levels,
    )


def faq_search_doc(faq: Faq) -> SearchDoc:
    return SearchDoc(
        id=faq.id, title=faq.question, aliases=faq.variants, body=(faq.answer, " ".join(faq.tags)), local=True
    )


def search_docs(kb: KnowledgeBase) -> list[SearchDoc]:
    """One retriever document per entry, in the knowledge base's stable order."""
    weights = service_popularity()
    scale = math.log1p(max(weights.values(), default=1))
    docs = []
    for entry in kb.entries():
        if isinstance(entry, Procedure):
            popularity = math.log1p(weights.get(entry.code, 0)) / scale
            docs.append(procedure_search_doc(entry, popularity, kb.questions.get(entry.code, ())))
        else:
            docs.append(faq_search_doc(entry))
    return docs

"""Turn knowledge-base entries into the retriever's documents, with a service-popularity prior."""

from __future__ import annotations

import dataclasses
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
    """One retriever document per entry, in the knowledge base's stable order. A procedure
    identical to an earlier one in everything but its code and portal addresses is marked the
    same as it (``SearchDoc.same_as``): the portal file of July 2026 lists "Hỗ trợ phát triển sản
    xuất cộng đồng" under 10 codes and a Hà Tĩnh procedure under 7, record for record the same."""
    weights = service_popularity()
    scale = math.log1p(max(weights.values(), default=1))
    first_with: dict[tuple[Procedure, tuple[tuple[str, str], ...]], str] = {}
    docs = []
    for entry in kb.entries():
        if isinstance(entry, Procedure):
            popularity = math.log1p(weights.get(entry.code, 0)) / scale
            doc = procedure_search_doc(entry, popularity, kb.questions.get(entry.code, ()))
            # ``raw`` is left out of a procedure's equality, not out of what a citizen reads.
            content = (
                dataclasses.replace(entry, code="", portal_url="", source_url=""),
                tuple(sorted(entry.raw.items())),
            )
            first = first_with.setdefault(content, entry.code)
            docs.append(doc if first == entry.code else dataclasses.replace(doc, same_as=first))
        else:
            docs.append(faq_search_doc(entry))
    return docs

"""``wardbot bench``: build time, query latency and memory of the search engine, as JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from handlers import Dialogue, SearchEngine
from knowledge import search_docs
from retrieval import EmbeddingCache, Retriever, read_questions
from tickets import TicketDesk, TicketStore

from .._app import DRAIN_TIMEOUT_S, catalogue_apology
from .._config import Config
from .._search import load_configured_kb, open_embedder
from ..delivery import Pipeline
from ..storage import Storage, percentile
from ._bench_telegram import bench_telegram_end_to_end
from ._bench_zalo import bench_zalo_webhook

# Used when no question file is given: everyday questions in the styles citizens write.
SAMPLE_QUERIES = (
    "làm giấy khai sinh cho con cần gì",
    "dang ky tam tru o dau",
    "mn oi e moi len tp di lam, chu tro bao phai dk tam tru, lm online dc ko z",
    "đổi căn cước hết hạn mất bao lâu",
    "xin giay xac nhan tinh trang hon nhan",
    "mất sổ đỏ làm lại thế nào",
    "mở quán cà phê có cần đăng ký hộ kinh doanh không",
    "chứng thực bản sao bằng đại học ở phường được không",
    "sang tên xe máy mua lại",
    "đăng ký kết hôn với người nước ngoài cần giấy tờ gì",
)


def run_benchmark(config: Config, kb: Sequence[str | Path], questions: str | Path | None) -> dict:
    queries = [q.query for q in read_questions(questions)] if questions else list(SAMPLE_QUERIES)
    embedder = open_embedder(config)

    started = time.perf_counter()
    knowledge = load_configured_kb(config, kb)
    docs = search_docs(knowledge)
    load_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as scratch:
        cache_path = Path(scratch) / "vectors.sqlite3"
        started = time.perf_counter()
        retriever = Retriever(docs, embedder, cache=EmbeddingCache(cache_path))
        cold_s = time.perf_counter() - started

        changed = dataclasses.replace(docs[0], title=docs[0].title + " (sửa đổi)")
        started = time.perf_counter()
        rebuilt = Retriever([changed, *docs[1:]], embedder, cache=EmbeddingCache(cache_path))
        rebuild_s = time.perf_counter() - started

    for query in queries[:5]:  # warm up: first calls allocate and compile
        retriever.search(query)
    latencies = []
    started = time.perf_counter()
    for query in queries:
        t0 = time.perf_counter()
        retriever.search(query)
        latencies.append((time.perf_counter() - t0) * 1000)
    total_s = time.perf_counter() - started

    telegram, zalo = asyncio.run(_bench_channels(config, SearchEngine(knowledge, retriever)))
    return {
        "kb_entries": len(docs),
        "queries": len(queries),
        "kb_load_s": round(load_s, 2),
        "cold_build_s": round(cold_s, 2),
        "cold_build_passages_embedded": retriever.newly_embedded,
        "rebuild_one_changed_s": round(rebuild_s, 2),
        "rebuild_one_changed_passages_embedded": rebuilt.newly_embedded,
        "latency_ms_p50": round(statistics.median(latencies), 2),
        "latency_ms_p95": round(percentile(sorted(latencies), 0.95) or 0.0, 2),
        "latency_ms_max": round(max(latencies), 2),
        "queries_per_s": round(len(queries) / total_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "backend": config.retrieval.backend,
        "threads": config.retrieval.threads,
        "telegram_end_to_end": telegram,
        "zalo_webhook": zalo,
    }


async def _bench_channels(config: Config, engine: SearchEngine) -> tuple[dict, dict]:
    """50 concurrent chats through the fake Telegram server, then 500 events from 50 citizens
    through the fake Zalo API's webhook driver, each through its channel and the real pipeline."""
    with tempfile.TemporaryDirectory() as scratch:
        storage = await Storage.open(Path(scratch) / "bench.sqlite3", pseudonym_key=os.urandom(32))
        tickets = await TicketStore.open(Path(scratch) / "tickets.sqlite3")
        pipelines: list[Pipeline] = []
        try:
            ward = config.ward
            desk = TicketDesk(tickets, config.calendar.working_calendar(), config.tickets.policies)
            dialogue = Dialogue(
                engine, storage, ward_name=ward.name, ward_contact=ward.contact, desk=desk, pseudonym=storage.pseudonym
            )
            apology = catalogue_apology(config)

            def dispatch_factory(channel):
                pipelines.append(Pipeline(storage, dialogue, apology=apology, channels=[channel]))
                return pipelines[-1]

            telegram = await bench_telegram_end_to_end(dispatch_factory, chats=50)
            zalo = await bench_zalo_webhook(dispatch_factory, users=50, events_per_user=10)
            return telegram, zalo
        finally:
            # A reply the fake platform has received may not be settled yet: the stores stay
            # open until every conversation worker is done, as when the application stops.
            for pipeline in pipelines:
                await pipeline.drain(DRAIN_TIMEOUT_S)
            await tickets.close()
            await storage.close()

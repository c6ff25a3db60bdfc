"""Knowledge-base build time (500 and 10,000 entries) and search latency p50/p95 (issue 6).

Build = embed the entry texts + upsert them into a fresh Milvus Lite collection. The 10,000
entries are the shipped corpus duplicated with new ids and a numbered text suffix. Embedding
is timed for real on the first 500 entries (cold: no embedding cache); for 10,000 entries the
upsert is timed for real with the corpus vectors jittered and renormalised, and the embedding
share is the measured per-entry cost times 10,000 -- set ``HS_BENCH_KB_EMBED_ALL=1`` to embed
all 10,000 for real (minutes on a CPU, seconds on a GPU). Search latency is over 200 queries
against the 10,000-entry KB: Milvus search alone, and encode + search (what Novelty pays per
chunk without batching).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.benchmarks.common import record

SIZES = (500, 10_000)
QUERIES = 200


def _entries(n: int) -> list[object]:
    from hyperscore.evaluators.knowledge.corpus import load_corpus

    base = load_corpus()
    out = []
    for i in range(n):
        entry = base[i % len(base)]
        round_ = i // len(base)
        out.append(
            entry
            if round_ == 0
            else entry.model_copy(
                update={"id": f"{entry.id}-dup{round_}", "text": f"{entry.text} (variant {round_})"}
            )
        )
    return out


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def run() -> list[str]:
    from hyperscore.evaluators.decompose.encoder import Encoder
    from hyperscore.evaluators.knowledge.store import KnowledgeBase

    lines: list[str] = []
    encoder = Encoder(use_cache=False)
    encoder.load()
    embed_all = os.environ.get("HS_BENCH_KB_EMBED_ALL") == "1"
    first = _entries(SIZES[0])
    t0 = time.perf_counter()
    base_vectors = encoder.encode([e.text for e in first])  # type: ignore[attr-defined]
    per_entry = (time.perf_counter() - t0) / len(first)
    lines.append(f"embedding: {per_entry * 1000:.1f} ms/entry on {encoder.device} (cold)")
    with tempfile.TemporaryDirectory(prefix="hs-bench-kb-") as tmp:
        for size in SIZES:
            entries = _entries(size)
            if size == SIZES[0]:
                vectors, embed_s, how = base_vectors, per_entry * size, "measured"
            elif embed_all:
                t0 = time.perf_counter()
                vectors = encoder.encode([e.text for e in entries])  # type: ignore[attr-defined]
                embed_s, how = time.perf_counter() - t0, "measured"
            else:
                rng = np.random.default_rng(0)
                reps = np.resize(base_vectors, (size, base_vectors.shape[1]))
                vectors = reps + rng.normal(0, 0.01, reps.shape).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                embed_s, how = per_entry * size, "extrapolated"
            kb = KnowledgeBase(Path(tmp) / f"kb{size}", encoder=encoder)
            t0 = time.perf_counter()
            kb.build([])
            kb.add(entries, vectors.astype(np.float32))  # type: ignore[arg-type]
            insert_s = time.perf_counter() - t0
            assert kb.count() == size
            lines.append(
                f"{size:>6} entries: build {embed_s + insert_s:.1f} s = embed {embed_s:.1f} s"
                f" ({how}) + upsert/index {insert_s:.2f} s"
            )
            record("kb_build", entries=size, embed_s=embed_s, insert_s=insert_s, embed=how)
            if size == SIZES[-1]:
                lines.extend(_latency(kb, entries, vectors, encoder))
            kb.close()
    return lines


def _latency(kb: object, entries: list[object], vectors: np.ndarray, encoder: object) -> list[str]:
    from hyperscore.evaluators.knowledge.store import KnowledgeBase

    assert isinstance(kb, KnowledgeBase)
    rng = np.random.default_rng(1)
    picks = rng.choice(len(entries), QUERIES, replace=False)
    search_ms, full_ms = [], []
    for i in picks:
        t0 = time.perf_counter()
        kb.search(vectors[i : i + 1], k=5)
        search_ms.append((time.perf_counter() - t0) * 1000)
        text = f"{entries[i].text} in our project"  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        kb.search(encoder.encode([text]), k=5)  # type: ignore[attr-defined]
        full_ms.append((time.perf_counter() - t0) * 1000)
    record(
        "kb_search",
        entries=len(entries),
        p50_ms=_pct(search_ms, 50),
        p95_ms=_pct(search_ms, 95),
        encode_search_p50_ms=_pct(full_ms, 50),
        encode_search_p95_ms=_pct(full_ms, 95),
    )
    return [
        f"search k=5 over {len(entries)} entries ({QUERIES} queries): "
        f"p50 {_pct(search_ms, 50):.1f} ms, p95 {_pct(search_ms, 95):.1f} ms",
        f"encode + search: p50 {_pct(full_ms, 50):.1f} ms, p95 {_pct(full_ms, 95):.1f} ms",
    ]

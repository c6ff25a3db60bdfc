"""The knowledge base in Milvus: embedded Milvus Lite by default, a server by URI.

One code path serves both: pymilvus' ``MilvusClient`` talks gRPC to a Milvus server, and for
a local ``*.db`` path it starts Milvus Lite in-process and connects to that. In milvus-lite
3.x the ``.db`` path is a *folder* holding a lock file, and only one process may open it at a
time (a second process fails to start its server); concurrent assessments must either share
a server URI or use separate folders. ``KnowledgeBase`` takes a folder (we append
``knowledge.db``), a ``*.db`` path, or an ``http(s)://`` / ``tcp://`` URI.

Vectors are the 384-d L2-normalised MiniLM embeddings of ``decompose.encoder``, so the COSINE
metric equals the dot product and a similarity is directly comparable with the thresholds in
docs/novelty.md. The default location is ``$HYPERSCORE_CACHE_DIR/kb`` (tests point that
variable at a temporary folder, so no test touches a user's knowledge base).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hyperscore.evaluators.decompose.encoder import DIMENSIONS, Encoder, Vectors, shared_encoder
from hyperscore.evaluators.knowledge.corpus import KbEntry, Label, Origin, load_corpus

COLLECTION = "mlops_practices"
LITE_FILE = "knowledge.db"
INSERT_BATCH = 500
_FIELDS = ["label", "dimension", "source", "text", "origin"]
_REMOTE = ("http://", "https://", "tcp://", "unix:")


def default_location() -> Path:
    """``$HYPERSCORE_CACHE_DIR/kb`` (else the XDG cache), the folder of the Lite database."""
    base = os.environ.get("HYPERSCORE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hyperscore"
    )
    return Path(base) / "kb"


def resolve_uri(uri: str | Path | None) -> str:
    """The URI pymilvus gets: a server URI as is, a local folder as ``<folder>/knowledge.db``."""
    if uri is None:
        uri = default_location()
    text = str(uri)
    if text.startswith(_REMOTE):
        return text
    path = Path(text).expanduser()
    if path.suffix != ".db":
        path = path / LITE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path.resolve())


@dataclass(frozen=True)
class Hit:
    """The nearest entries for one query: the entry's metadata and its cosine similarity."""

    id: str
    similarity: float
    label: Label
    dimension: str
    source: str
    text: str
    origin: str


class KnowledgeBase:
    """Labelled practice examples with their embeddings, searchable by cosine similarity."""

    def __init__(
        self,
        uri: str | Path | None = None,
        encoder: Encoder | None = None,
        collection: str = COLLECTION,
    ) -> None:
        from pymilvus import MilvusClient

        self.uri = resolve_uri(uri)
        self.collection = collection
        self._encoder = encoder
        self._client = MilvusClient(uri=self.uri)

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = shared_encoder()
        return self._encoder

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------
    def exists(self) -> bool:
        return bool(self._client.has_collection(self.collection))

    def _create(self) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=128)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIMENSIONS)
        schema.add_field("label", DataType.VARCHAR, max_length=16)
        schema.add_field("dimension", DataType.VARCHAR, max_length=32)
        schema.add_field("source", DataType.VARCHAR, max_length=512)
        schema.add_field("text", DataType.VARCHAR, max_length=2048)
        schema.add_field("origin", DataType.VARCHAR, max_length=8)
        index = self._client.prepare_index_params()
        # FLAT: exact search; at 10^4 entries brute force is milliseconds and never misses.
        index.add_index(field_name="vector", metric_type="COSINE", index_type="FLAT")
        self._client.create_collection(self.collection, schema=schema, index_params=index)

    # -- writes --------------------------------------------------------------------------
    def build(self, entries: Sequence[KbEntry] | None = None) -> int:
        """Drop and recreate the collection from ``entries`` (the shipped corpus by default).

        Idempotent: building twice leaves the same content. User entries added earlier are
        dropped too -- rebuild, then ``add`` them again, so the KB is always a known state.
        """
        if self.exists():
            self._client.drop_collection(self.collection)
        self._create()
        return self.add(load_corpus() if entries is None else entries)

    def add(self, entries: Sequence[KbEntry], vectors: Vectors | None = None) -> int:
        """Upsert ``entries`` (same id replaces), embedding their texts unless given vectors."""
        if not entries:
            return 0
        if not self.exists():
            self._create()
        if vectors is None:
            vectors = self.encoder.encode([e.text for e in entries])
        if vectors.shape != (len(entries), DIMENSIONS):
            raise ValueError(f"vectors shape {vectors.shape} != ({len(entries)}, {DIMENSIONS})")
        for start in range(0, len(entries), INSERT_BATCH):
            rows = [
                {
                    "id": e.id,
                    "vector": vectors[start + i].astype(np.float32).tolist(),
                    "label": e.label.value,
                    "dimension": e.dimension.value,
                    "source": e.source[:512],
                    "text": e.text[:2048],
                    "origin": e.origin.value,
                }
                for i, e in enumerate(entries[start : start + INSERT_BATCH])
            ]
            self._client.upsert(self.collection, rows)
        self._compact()
        return len(entries)

    def _compact(self) -> None:
        """Merge the insert batches into one segment: Lite searches ~10x faster afterwards.

        Best effort -- a server compacts on its own schedule, and a failure here loses speed,
        not data.
        """
        try:
            self._client.flush(self.collection)
            self._client.compact(self.collection)
        except Exception:  # an optimisation; never fail a build over it
            return

    # -- reads ---------------------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        """A collection opened by a new process starts 'released': load it before reading."""
        if not getattr(self, "_loaded", False):
            self._client.load_collection(self.collection)
            self._loaded = True

    def search(self, vectors: Vectors, k: int = 3) -> list[list[Hit]]:
        """The ``k`` most similar entries for each query vector (rows aligned, best first)."""
        if len(vectors) == 0 or not self.exists():
            return [[] for _ in range(len(vectors))]
        self._ensure_loaded()
        results: list[list[Hit]] = []
        for start in range(0, len(vectors), INSERT_BATCH):
            batch = [v.astype(np.float32).tolist() for v in vectors[start : start + INSERT_BATCH]]
            raw = self._client.search(
                self.collection,
                data=batch,
                limit=k,
                output_fields=_FIELDS,
                search_params={"metric_type": "COSINE"},
            )
            results.extend([_hit(h) for h in row] for row in raw)
        return results

    def search_text(self, text: str, k: int = 3) -> list[Hit]:
        """Nearest entries for one piece of text (what ``hyperscore kb search`` prints)."""
        return self.search(self.encoder.encode([text]), k)[0]

    def count(self) -> int:
        if not self.exists():
            return 0
        self._ensure_loaded()
        rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def stats(self) -> dict[str, Any]:
        """Entry counts in total and by label, dimension and origin (what ``kb stats`` shows)."""
        by: dict[str, Counter[str]] = {f: Counter() for f in ("label", "dimension", "origin")}
        total = self.count()
        if total:
            rows = self._client.query(
                self.collection, filter='id != ""', output_fields=list(by), limit=total
            )
            for row in rows:
                for name, counter in by.items():
                    counter[str(row[name])] += 1
        return {
            "uri": self.uri,
            "collection": self.collection,
            "entries": total,
            **{f"by_{name}": dict(sorted(c.items())) for name, c in by.items()},
        }


def _hit(raw: Any) -> Hit:
    entity = raw.get("entity", {})
    return Hit(
        id=str(raw["id"]),
        similarity=float(raw["distance"]),
        label=Label(entity["label"]),
        dimension=str(entity.get("dimension", "")),
        source=str(entity.get("source", "")),
        text=str(entity.get("text", "")),
        origin=str(entity.get("origin", Origin.CORPUS.value)),
    )

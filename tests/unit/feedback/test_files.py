from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import pytest

from hyperscore.evaluators.feedback.files import exclusive, write_json_atomically


def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path: Path) -> None:
    target = tmp_path / "weights.json"
    write_json_atomically(target, {"weights": {"logic": 1.0}})
    with pytest.raises(TypeError):
        write_json_atomically(target, {"weights": {"logic": object()}})
    assert json.loads(target.read_text()) == {"weights": {"logic": 1.0}}
    assert [p.name for p in tmp_path.iterdir()] == ["weights.json"]


def _hold(directory: str, seconds: float) -> None:
    with exclusive(Path(directory)):
        time.sleep(seconds)


def test_the_lock_excludes_another_process(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    holder = ctx.Process(target=_hold, args=(str(tmp_path), 1.5))
    holder.start()
    time.sleep(0.5)  # let the child take the lock
    started = time.monotonic()
    with exclusive(tmp_path):
        waited = time.monotonic() - started
    holder.join(10)
    assert holder.exitcode == 0
    assert waited > 0.5  # blocked until the holder released it

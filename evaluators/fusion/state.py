"""Where the fusion step's user state lives: learned weights and the user's calibration.

The feedback loop (``hyperscore review``) WRITES ``<data_dir>/calibration.json`` (the
:meth:`Calibration.to_json` format) and ``<data_dir>/weights.json``
(``{"weights": {...}, "source": "learned", "reviews": N}``); the fusion step only READS them
(:mod:`.apply`). One resolver keeps writer and reader agreeing on the path, and follows the
XDG base-directory convention so that state survives reinstalls but not user switches.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "HYPERSCORE_DATA_DIR"
CALIBRATION_FILE = "calibration.json"
WEIGHTS_FILE = "weights.json"


def data_dir() -> Path:
    """``$HYPERSCORE_DATA_DIR``, else ``$XDG_DATA_HOME/hyperscore``, else
    ``~/.local/share/hyperscore``. Not created here: readers must cope with its absence."""
    explicit = os.environ.get(DATA_DIR_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    if xdg:
        return Path(xdg).expanduser() / "hyperscore"
    return Path.home() / ".local" / "share" / "hyperscore"


def calibration_path() -> Path:
    """The user's calibration (written by the review loop, read by fusion)."""
    return data_dir() / CALIBRATION_FILE


def weights_path() -> Path:
    """The learned fusion weights (written by the review loop, read by fusion)."""
    return data_dir() / WEIGHTS_FILE

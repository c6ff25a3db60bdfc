"""Headless Chromium for the HTML report tests (and for docs/images/report.png).

Chromium is a test dependency (Debian: ``apt-get install -y chromium``); the tests that use it
fail, not skip, when it is missing. Console messages (script errors, Content-Security-Policy
violations) appear on stderr as ``...:CONSOLE(...)`` lines with ``--enable-logging=stderr``.

Regenerate the README screenshot with::

    .venv/bin/python -m tests.unit.report.browser examples/demo-project docs/images/report.png
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "headless Chromium is required: apt-get update && apt-get install -y chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
CONSOLE = re.compile(r"CONSOLE|Uncaught|Content Security Policy|Refused to", re.IGNORECASE)


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def console(self) -> list[str]:
        """Console messages and CSP violations the page produced (none for a clean page)."""
        return [line for line in self.stderr.splitlines() if CONSOLE.search(line)]


def run_chromium(page: Path, profile: Path, *extra: str, timeout: int = 120) -> Run:
    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError(INSTALL_HINT)
    cmd = [exe, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=profile.parent
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 2000) -> Run:
    with tempfile.TemporaryDirectory(prefix="hs-chromium-") as tmp:
        return run_chromium(
            page,
            Path(tmp) / "profile",
            f"--screenshot={png.resolve()}",
            f"--window-size={width},{height}",
        )


def png_size(png: Path) -> tuple[int, int]:
    data = png.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError(f"{png} is not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def main(argv: list[str]) -> int:  # pragma: no cover - a developer tool
    from hyperscore.evaluators.pipeline import Options, assess
    from hyperscore.evaluators.report import render

    project, out = argv
    assessment, _ = assess(project, Options(semantic=True))
    with tempfile.TemporaryDirectory(prefix="hs-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(render(assessment, "html"), encoding="utf-8")
        run = screenshot(page, Path(out), height=1500)
    print(f"{out}: {png_size(Path(out))}, console: {run.console or 'clean'}")
    return run.returncode


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))

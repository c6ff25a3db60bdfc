"""Property tests: dependency parsers read hostile text without hanging or escaping.

Random text and mutated valid documents must either yield Evidence for the right path with
valid lines, or raise an ``Exception`` (which the walker records as unparseable).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest.parsers.dep_conda import parse_conda
from hyperscore.evaluators.ingest.parsers.dep_locks import (
    parse_pdm_lock,
    parse_pipfile_lock,
    parse_poetry_lock,
    parse_pylock,
    parse_uv_lock,
)
from hyperscore.evaluators.ingest.parsers.dep_pyproject import parse_pipfile, parse_pyproject
from hyperscore.evaluators.ingest.parsers.dep_requirements import parse_requirements
from hyperscore.evaluators.ingest.parsers.dep_setup import parse_setup_cfg, parse_setup_py
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence

Parse = Callable[[ParseInput], Iterable[Evidence]]

SAMPLES: dict[str, tuple[Parse, str]] = {
    "requirements.txt": (
        parse_requirements,
        "-i https://u:p@h/s\n-r base.txt\nnumpy==1.0 \\\n  --hash=sha256:ab\n"
        "scipy>=1; python_version>'3'\n-e git+https://g/r.git@abc#egg=r\n./pkg\n",
    ),
    "pyproject.toml": (
        parse_pyproject,
        '[build-system]\nrequires = ["setuptools"]\n[project]\nname = "x"\n'
        'dependencies = ["a==1", "b>=2"]\n[project.optional-dependencies]\ndev = ["c"]\n'
        '[tool.poetry.dependencies]\npython = "^3.10"\nd = {version = "^1", extras = ["e"]}\n'
        "[tool.coverage.report]\nfail_under = 80\n",
    ),
    "Pipfile": (
        parse_pipfile,
        '[packages]\na = "*"\nb = {version = "==1", extras = ["x"]}\n[dev-packages]\nc = ">=1"\n'
        '[requires]\npython_version = "3.11"\n',
    ),
    "setup.cfg": (
        parse_setup_cfg,
        "[metadata]\nname = x\n[options]\ninstall_requires =\n    a==1\n    b>=2\n"
        "[options.extras_require]\ndev = c\n[coverage:report]\nfail_under = 90\n",
    ),
    "setup.py": (
        parse_setup_py,
        'from setuptools import setup\nREQ = ["a==1"]\n'
        'setup(install_requires=REQ + ["b"], extras_require={"dev": ["c"]},\n'
        '      python_requires=">=3")\n',
    ),
    "poetry.lock": (
        parse_poetry_lock,
        '[[package]]\nname = "a"\nversion = "1"\nfiles = [{file = "a.whl", hash = "sha256:1"}]\n'
        '[metadata]\nlock-version = "2.0"\ncontent-hash = "x"\n',
    ),
    "uv.lock": (
        parse_uv_lock,
        'version = 1\n[[package]]\nname = "a"\nversion = "1"\nsource = { registry = "https://p" }\n'
        'wheels = [{ url = "https://p/a.whl", hash = "sha256:1" }]\n',
    ),
    "pdm.lock": (
        parse_pdm_lock,
        '[metadata]\ncontent_hash = "sha256:x"\n[[package]]\nname = "a"\nversion = "1"\n',
    ),
    "pylock.toml": (
        parse_pylock,
        "lock-version = '1.0'\n[[packages]]\nname = 'a'\nversion = '1'\n",
    ),
    "Pipfile.lock": (
        parse_pipfile_lock,
        '{"_meta": {"hash": {"sha256": "x"}}, "default": {"a": {"version": "==1", '
        '"hashes": ["sha256:1"]}}, "develop": {}}',
    ),
    "environment.yml": (
        parse_conda,
        "name: x\nchannels: [conda-forge]\ndependencies:\n  - python=3.10\n  - numpy=1.26.4\n"
        "  - pip:\n      - torch==2.0\n",
    ),
}


# A budget in CPU seconds of this process, not wall-clock seconds: tests often run on a shared,
# loaded machine where wall time says more about the neighbours than about the parser. Every
# input here takes well under 0.5 s of CPU; a quadratic regex or parse takes minutes.
CPU_BUDGET_S = 5.0


def check(fn: Parse, path: str, text: str) -> None:
    """The property: Evidence with this path and in-range lines, or an ordinary exception."""
    started = time.process_time()
    try:
        items = list(fn(ParseInput(path, text)))
    except Exception:
        return
    finally:
        spent = time.process_time() - started
        assert spent < CPU_BUDGET_S, f"parser used {spent:.1f} s of CPU (budget {CPU_BUDGET_S} s)"
    last_line = max(1, len(text.splitlines()))
    for item in items:
        assert isinstance(item, Evidence)
        assert item.path == path
        if item.line is not None:
            assert 1 <= item.line <= last_line
        if item.end_line is not None:
            assert item.line is not None and item.line <= item.end_line <= last_line
        item.model_dump_json()


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` after a few random deletions, insertions and line duplications."""
    alphabet = st.sampled_from([*"[]{}=\"'#\\:;,@-. \n\t=<>~*^|", "\x00", "\u2028", "é"])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "junk"]))
        if action == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        elif action == "insert":
            text = text[:pos] + draw(st.text(alphabet, max_size=10)) + text[pos:]
        elif action == "duplicate":
            lines = text.splitlines(keepends=True)
            if lines:
                idx = draw(st.integers(0, len(lines) - 1))
                lines.insert(idx, lines[idx])
            text = "".join(lines)
        else:
            text = text[:pos] + draw(st.text(max_size=15)) + text[pos:]
    return text


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_samples_parse(path: str) -> None:
    fn, text = SAMPLES[path]
    items = list(fn(ParseInput(path, text)))
    assert any(item.kind == "dep.manifest" for item in items)


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents(path: str, data: st.DataObject) -> None:
    fn, text = SAMPLES[path]
    check(fn, path, data.draw(mutated(text)))


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_random_text(path: str, text: str) -> None:
    fn, _ = SAMPLES[path]
    check(fn, path, text)


# Sized to what each regex must survive; tomllib itself is quadratic in the parts of one dotted
# key (``a.a.a...``), a limit for formats.load_toml, so that case stays small here.
ADVERSARIAL = [
    "a" + ".a" * 5_000 + "@",
    "x y " + "a.b" * 50_000 + "@",
    "https://" + "x" * 100_000 + "@",
    "?&" + "tokenx" * 30_000 + "\n",
    "[" + " " * 100_000 + "\n",
    "[[" + "a" * 100_000,
    '"' + "k" * 100_000 + "\n",
    "dependencies:\n" + "  - a\n" * 3_000,
    "x = [" + '"a",' * 30_000 + "]\n",
    "numpy==1 \\\n" * 20_000,
]


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_adversarial_inputs_finish_quickly(path: str) -> None:
    fn, _ = SAMPLES[path]
    for text in ADVERSARIAL:
        check(fn, path, text)

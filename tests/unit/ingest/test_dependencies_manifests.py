"""pyproject.toml, Pipfile, setup.cfg and setup.py dependency parsers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.dep_pyproject import parse_pipfile, parse_pyproject
from hyperscore.evaluators.ingest.parsers.dep_setup import parse_setup_cfg, parse_setup_py
from hyperscore.evaluators.ingest.parsers.dependencies import (
    DepInvalidLine,
    DepManifest,
    DepRequirement,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence, Link

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SHA = "0123456789abcdef0123456789abcdef01234567"

Parse = Callable[[ParseInput], Iterable[Evidence]]


def run(fn: Parse, path: str, text: str) -> list[Evidence]:
    return list(fn(ParseInput(path, text)))


def reqs(items: list[Evidence], source: str | None = None) -> dict[tuple[str, str], DepRequirement]:
    """(group, name) -> requirement."""
    return {
        (e.group, e.name): e
        for e in items
        if isinstance(e, DepRequirement) and (source is None or e.source == source)
    }


def manifest_of(items: list[Evidence]) -> DepManifest:
    (manifest,) = [e for e in items if isinstance(e, DepManifest)]
    return manifest


# --------------------------------------------------------------------------- pyproject

PYPROJECT = f"""[build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
requires-python = ">=3.10"
dependencies = [
  "numpy==1.26.4",
  "pandas>=2,<3",
  "torch",
  "mylib @ git+https://github.com/o/r.git@{SHA}",
  "bad dep !!",
]
dynamic = ["version"]

[project.optional-dependencies]
dev = ["pytest>=8", "ruff"]
docs = ["sphinx"]

[dependency-groups]
lint = ["mypy==1.13.0", {{include-group = "dev"}}]

[tool.poetry.dependencies]
python = "^3.10"
requests = "2.31.0"
httpx = "^0.27"
click = {{version = "*", extras = ["x"]}}
lib = {{git = "https://github.com/o/lib.git", rev = "v1"}}
multi = [{{version = "<1.25", python = "<3.9"}}, {{version = "1.26.0", python = ">=3.9"}}]

[tool.poetry.group.test.dependencies]
pytest-cov = ">=4"

[[tool.poetry.source]]
name = "private"
url = "https://user:tok@pkgs.example.com/simple"

[tool.hatch.envs.test]
dependencies = ["coverage[toml]>=7"]

[tool.pdm.dev-dependencies]
format = ["black==24.1.0"]

[tool.uv]
dev-dependencies = ["pre-commit"]

[tool.setuptools.dynamic]
dependencies = {{file = ["requirements.txt"]}}

[tool.pytest.ini_options]
addopts = "-q --cov=demo --cov-fail-under=85"

[tool.ruff]
line-length = 100

[tool.mypy]
strict = true
"""


def test_pyproject_requirements_from_every_tool_table() -> None:
    items = run(parse_pyproject, "pkg/pyproject.toml", PYPROJECT)
    found = reqs(items)
    numpy = found["main", "numpy"]
    assert (numpy.source, numpy.pin, numpy.version, numpy.line) == (
        "pyproject-pep621",
        "pinned",
        "1.26.4",
        9,
    )
    assert (found["main", "pandas"].pin, found["main", "pandas"].line) == ("ranged", 10)
    assert found["main", "torch"].pin == "unpinned"
    mylib = found["main", "mylib"]
    assert (mylib.pin, mylib.vcs_commit, mylib.line) == ("url", True, 12)
    assert (found["dev", "pytest"].line, found["dev", "ruff"].line) == (18, 18)
    assert found["docs", "sphinx"].line == 19
    assert (found["lint", "mypy"].source, found["lint", "mypy"].pin) == (
        "pyproject-pep735",
        "pinned",
    )
    assert found["build", "setuptools"].source == "pyproject-build"
    assert found["build", "setuptools"].line == 2

    poetry = reqs(items, "poetry")
    assert ("main", "python") not in poetry
    assert (poetry["main", "requests"].pin, poetry["main", "requests"].line) == ("pinned", 26)
    assert poetry["main", "httpx"].pin == "ranged"
    assert (poetry["main", "click"].pin, poetry["main", "click"].extras) == ("unpinned", ("x",))
    assert (poetry["main", "lib"].pin, poetry["main", "lib"].vcs_ref) == ("url", "v1")
    assert poetry["main", "multi"].pin == "ranged"
    assert poetry["main", "multi"].specifier == "<1.25 || 1.26.0"
    assert poetry["test", "pytest-cov"].line == 33
    assert reqs(items, "hatch")["test", "coverage"].extras == ("toml",)
    assert reqs(items, "pdm")["format", "black"].pin == "pinned"
    assert reqs(items, "uv")["dev", "pre-commit"].line == 46

    invalid = [e for e in items if isinstance(e, DepInvalidLine)]
    assert [(e.line, e.content) for e in invalid] == [(13, "bad dep !!")]


def test_pyproject_manifest() -> None:
    manifest = manifest_of(run(parse_pyproject, "pkg/pyproject.toml", PYPROJECT))
    assert manifest.project == "demo"
    assert manifest.python_requires == ">=3.10"
    assert manifest.build_backend == "setuptools.build_meta"
    assert manifest.managers == ("pep621", "poetry", "hatch", "pdm", "uv", "setuptools")
    assert {"pytest", "ruff", "mypy", "poetry"} <= set(manifest.tools)
    assert manifest.coverage_fail_under == 85.0
    assert manifest.index_urls == ("https://user:***@pkgs.example.com/simple",)
    assert manifest.includes == ("pkg/requirements.txt",)
    assert Link(src="file:pkg/pyproject.toml", dst="file:pkg/requirements.txt", rel="includes") in (
        manifest.links
    )
    assert not manifest.dynamic
    assert manifest.groups == ("build", "dev", "docs", "format", "lint", "main", "test")
    assert manifest.invalid_lines == 1


def test_poetry_only_project_takes_python_from_dependencies() -> None:
    text = (
        '[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\n'
        'python = "^3.11"\nnumpy = "1.26.4"\n'
    )
    items = run(parse_pyproject, "pyproject.toml", text)
    manifest = manifest_of(items)
    assert manifest.python_requires == "^3.11" and manifest.project == "p"
    assert manifest.managers == ("poetry",)
    assert reqs(items)["main", "numpy"].line == 5


def test_pyproject_dynamic_dependencies_and_inline_extras() -> None:
    text = (
        '[project]\nname = "x"\ndynamic = ["dependencies"]\n'
        'optional-dependencies = { test = ["pytest"] }\n'
    )
    items = run(parse_pyproject, "pyproject.toml", text)
    assert manifest_of(items).dynamic
    assert reqs(items)["test", "pytest"].line == 4


def test_pyproject_coverage_threshold_from_coverage_table() -> None:
    text = "[tool.coverage.report]\nfail_under = 90.5\n"
    manifest = manifest_of(run(parse_pyproject, "pyproject.toml", text))
    assert manifest.coverage_fail_under == 90.5
    assert manifest.tools == ("coverage",)


def test_bad_toml_raises() -> None:
    with pytest.raises(FormatError, match="invalid TOML"):
        run(parse_pyproject, "pyproject.toml", "[project\nname=")


def test_full_mlops_fixture_pyproject() -> None:
    text = (FIXTURES / "full-mlops" / "pyproject.toml").read_text()
    items = run(parse_pyproject, "pyproject.toml", text)
    manifest = manifest_of(items)
    assert manifest.build_backend == "hatchling.build"
    assert manifest.python_requires == ">=3.11,<3.12"
    assert manifest.coverage_fail_under == 85.0
    assert "dev" in manifest.groups
    assert reqs(items)["dev", "pytest"].source == "pyproject-pep735"
    lines = text.splitlines()
    for item in items:
        if isinstance(item, DepRequirement):
            assert item.line is not None
            assert item.raw_name in lines[item.line - 1]


# --------------------------------------------------------------------------- Pipfile

PIPFILE = f"""[[source]]
url = "https://pypi.org/simple"
verify_ssl = true
name = "pypi"

[packages]
requests = "*"
numpy = "==1.26.4"
flask = {{version = ">=2.0", extras = ["async"]}}
mylib = {{git = "https://github.com/o/lib.git", ref = "{SHA}", editable = true}}
local = {{path = "./local", editable = true}}
broken = {{version = "latest"}}

[dev-packages]
pytest = "8.0.0"

[docs]
sphinx = "~=7.0"

[requires]
python_version = "3.11"
"""


def test_pipfile() -> None:
    items = run(parse_pipfile, "Pipfile", PIPFILE)
    found = reqs(items)
    assert (found["main", "requests"].pin, found["main", "requests"].line) == ("unpinned", 7)
    assert (found["main", "numpy"].pin, found["main", "numpy"].version) == ("pinned", "1.26.4")
    assert found["main", "flask"].extras == ("async",)
    mylib = found["main", "mylib"]
    assert (mylib.pin, mylib.vcs_commit, mylib.editable) == ("url", True, True)
    assert found["main", "local"].url == "./local"
    assert (found["dev", "pytest"].pin, found["dev", "pytest"].line) == ("pinned", 15)
    assert found["docs", "sphinx"].pin == "ranged"
    (invalid,) = [e for e in items if isinstance(e, DepInvalidLine)]
    assert invalid.line == 12 and "latest" in invalid.reason
    manifest = manifest_of(items)
    assert manifest.python_requires == "3.11"
    assert manifest.index_urls == ("https://pypi.org/simple",)
    assert manifest.groups == ("dev", "docs", "main")


# --------------------------------------------------------------------------- setup.cfg

SETUP_CFG = """[metadata]
name = demo
version = 100%

[options]
python_requires = >=3.9
install_requires =
    numpy>=1.20  # trailing comment
    scipy==1.11.0
    requests; python_version < "3.12"
    bad!!req
tests_require = pytest

[options.extras_require]
dev =
    black==24.1.0
    ruff
all = torch, transformers>=4

[tool:pytest]
addopts = -q

[coverage:report]
fail_under = 90

[coverage:run]
branch = True
[flake8]
max-line-length = 100
[options]
setup_requires = wheel
"""


def test_setup_cfg() -> None:
    items = run(parse_setup_cfg, "pkg/setup.cfg", SETUP_CFG)
    found = reqs(items)
    assert (found["main", "numpy"].pin, found["main", "numpy"].line) == ("ranged", 8)
    assert (found["main", "scipy"].pin, found["main", "scipy"].line) == ("pinned", 9)
    assert found["main", "requests"].marker == 'python_version < "3.12"'
    assert found["test", "pytest"].line == 12
    assert (found["dev", "black"].line, found["dev", "ruff"].line) == (16, 17)
    assert found["all", "torch"].line == found["all", "transformers"].line == 18
    assert (found["build", "wheel"].source, found["build", "wheel"].line) == ("setup.cfg", 31)
    (invalid,) = [e for e in items if isinstance(e, DepInvalidLine)]
    assert (invalid.line, invalid.content) == (11, "bad!!req")
    manifest = manifest_of(items)
    assert manifest.python_requires == ">=3.9"
    assert manifest.project == "demo"
    assert manifest.tools == ("coverage", "flake8", "pytest")
    assert manifest.coverage_fail_under == 90.0


def test_setup_cfg_file_reference_and_garbage_lines() -> None:
    text = "[options]\ninstall_requires = file: requirements/base.txt\nthis is not ini\n"
    items = run(parse_setup_cfg, "setup.cfg", text)
    manifest = manifest_of(items)
    assert manifest.dynamic and manifest.includes == ("requirements/base.txt",)
    (invalid,) = [e for e in items if isinstance(e, DepInvalidLine)]
    assert (invalid.line, invalid.content) == (3, "this is not ini")


def test_setup_cfg_without_section_header_raises() -> None:
    with pytest.raises(ValueError, match="no section header"):
        run(parse_setup_cfg, "setup.cfg", "install_requires = numpy\n")


# --------------------------------------------------------------------------- setup.py

SETUP_PY = """import os
from setuptools import setup, find_packages

BASE = ["numpy>=1.20", "scipy"]
TEST = ["pytest==8.0.0"]
EXTRAS = {"dev": TEST + ["black"], "gpu": ["torch>=2"]}
BASE += ["pandas"]

def read(path):
    return open(path).read().splitlines()

if __name__ == "__main__":
    setup(
        name="demo",
        python_requires=">=3.9",
        install_requires=BASE + [
            "requests==2.31.0",
        ],
        extras_require=EXTRAS,
        tests_require=read("requirements-test.txt"),
    )
"""


def test_setup_py_reads_literals_through_module_variables() -> None:
    items = run(parse_setup_py, "sub/setup.py", SETUP_PY)
    found = reqs(items)
    assert (found["main", "numpy"].line, found["main", "scipy"].line) == (4, 4)
    assert found["main", "pandas"].line == 7
    assert (found["main", "requests"].pin, found["main", "requests"].line) == ("pinned", 17)
    assert (found["dev", "pytest"].line, found["dev", "black"].line) == (5, 6)
    assert found["gpu", "torch"].pin == "ranged"
    assert all(e.source == "setup.py" for e in found.values())
    manifest = manifest_of(items)
    assert manifest.python_requires == ">=3.9"
    assert manifest.dynamic  # tests_require is computed
    assert manifest.includes == ("sub/requirements-test.txt",)


def test_setup_py_never_executes_and_handles_other_shapes() -> None:
    text = (
        "import setuptools\nraise SystemExit('would run')\n"
        'setuptools.setup(install_requires="""\nnumpy\nscipy>=1\n""", **extra)\n'
    )
    items = run(parse_setup_py, "setup.py", text)
    found = reqs(items)
    assert (found["main", "numpy"].line, found["main", "scipy"].line) == (4, 5)
    assert manifest_of(items).dynamic


def test_setup_py_without_setup_call_is_not_a_manifest() -> None:
    assert run(parse_setup_py, "scripts/setup.py", "print('configure the machine')\n") == []


def test_setup_py_syntax_error_raises() -> None:
    with pytest.raises(ValueError, match="not valid Python"):
        run(parse_setup_py, "setup.py", "setup(install_requires=[\n")

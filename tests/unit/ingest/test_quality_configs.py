"""Test, lint, coverage, dependency-update and security-scanner configs -> ``quality.config``."""

from __future__ import annotations

import json
import textwrap
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest import registry
from hyperscore.evaluators.ingest.parsers.quality_configs import (
    QualityConfig,
    parse_quality_config,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Link


def _items(path: str, text: str) -> list[QualityConfig]:
    items = list(parse_quality_config(ParseInput(path, text)))
    assert all(isinstance(i, QualityConfig) for i in items)
    return [i for i in items if isinstance(i, QualityConfig)]


def _by_name(path: str, text: str) -> dict[str, QualityConfig]:
    return {i.name: i for i in _items(path, text)}


TOX = textwrap.dedent(
    """\
    [tox]
    envlist = py{310,311}-unit, lint
    isolated_build = true

    [testenv]
    deps =
        -r requirements-dev.txt
        pytest-cov
    commands =
        pytest --cov=src --cov-fail-under=85 {posargs:tests}

    [testenv:lint]
    skip_install = true
    deps = ruff
    commands =
        ruff check src
        # mypy is slow
        mypy src

    [testenv:train]
    commands = python scripts/train.py --config conf.yaml

    [flake8]
    max-line-length = 100
    extend-ignore = E203

    [pytest]
    addopts = -ra --cov=src --cov-fail-under=80
    testpaths = tests

    [coverage:report]
    fail_under = 90
    show_missing = true
    """
)


def test_tox_envs_and_tool_sections() -> None:
    items = _by_name("tox.ini", TOX)
    assert set(items) == {"tox", "tox:testenv", "tox:lint", "tox:train", "flake8", "pytest",
                          "coverage"}  # fmt: skip
    assert items["tox"].envs == ("py310-unit", "py311-unit", "lint")
    assert items["tox"].settings["isolated_build"] == "true"
    base = items["tox:testenv"]
    assert (base.line, base.end_line) == (5, 10)
    assert base.commands == ("pytest --cov=src --cov-fail-under=85 {posargs:tests}",)
    assert base.deps == ("-r requirements-dev.txt", "pytest-cov")
    assert base.roles == ("test",) and "test" in base.categories
    lint = items["tox:lint"]
    assert lint.commands == ("ruff check src", "mypy src")
    assert lint.roles == ("lint",) and lint.settings == {"skip_install": "true"}
    train = items["tox:train"]
    assert train.runs == ("file:scripts/train.py",)
    assert Link(src="file:tox.ini", dst="tox-env:tox.ini#train", rel="defines") in train.links
    assert Link(src="tox-env:tox.ini#train", dst="file:scripts/train.py", rel="runs") in train.links
    assert Link(src="file:tox.ini", dst="tool:tox", rel="configures") in train.links
    assert "train" in train.roles
    flake8 = items["flake8"]
    assert flake8.line == 23 and flake8.categories == ("lint",)
    assert flake8.settings == {"max-line-length": "100", "extend-ignore": "E203"}
    pytest_item = items["pytest"]
    assert pytest_item.fail_under == 80.0
    assert pytest_item.categories == ("test", "coverage")
    assert pytest_item.settings["testpaths"] == "tests"
    coverage = items["coverage"]
    assert coverage.fail_under == 90.0 and coverage.line == 31


def test_coveragerc_pytest_ini_and_linters() -> None:
    (cov,) = _items(
        ".coveragerc", "[run]\nbranch = True\nsource = src\n\n[report]\nfail_under = 75.5\n"
    )
    assert cov.tool == "coverage" and cov.fail_under == 75.5 and cov.settings["branch"] == "True"
    assert (cov.line, cov.end_line) == (1, 6)
    (ini,) = _items("pytest.ini", "[pytest]\naddopts = --cov=pkg --cov-fail-under 70\n")
    assert ini.fail_under == 70.0
    (flake,) = _items(".flake8", "# style\n[flake8]\nmax-complexity = 10\n")
    assert flake.line == 2 and flake.settings == {"max-complexity": "10"}
    pylint = _by_name(
        ".pylintrc", "[MASTER]\nfail-under=9.5\n[MESSAGES CONTROL]\ndisable=C0114,\n  R0903\n"
    )
    assert pylint["pylint"].settings == {"fail-under": "9.5", "disable": "C0114,\nR0903"}
    assert pylint["pylint"].fail_under is None  # a lint score, not a coverage gate
    mypy = _by_name(
        "mypy.ini", "[mypy]\nstrict = True\n[mypy-numpy.*]\nignore_missing_imports = True\n"
    )
    assert mypy["mypy"].settings == {"strict": "True", "per_module_sections": "1"}
    assert mypy["mypy"].categories == ("typecheck",)


PRE_COMMIT = textwrap.dedent(
    """\
    ci:
      autoupdate_schedule: monthly
    repos:
      - repo: https://github.com/astral-sh/ruff-pre-commit
        rev: v0.6.9
        hooks:
          - id: ruff
          - id: ruff-format
      - repo: https://github.com/gitleaks/gitleaks
        rev: 1f3e4a8b2c6d9e0f1a2b3c4d5e6f708192a3b4c5
        hooks:
          - id: gitleaks
      - repo: https://github.com/pre-commit/mirrors-mypy
        rev: main
        hooks:
          - id: mypy
      - repo: local
        hooks:
          - id: pytest-check
            entry: pytest
            language: system
    """
)


def test_pre_commit_repos_pins_and_hooks() -> None:
    (item,) = _items(".pre-commit-config.yaml", PRE_COMMIT)
    assert item.tool == "pre-commit" and item.line == 3
    assert item.hooks == ("ruff", "ruff-format", "gitleaks", "mypy", "pytest-check")
    pins = {r.repo.rsplit("/", 1)[-1]: (r.rev, r.pin, r.line) for r in item.repos}
    assert pins == {
        "ruff-pre-commit": ("v0.6.9", "tag", 4),
        "gitleaks": ("1f3e4a8b2c6d9e0f1a2b3c4d5e6f708192a3b4c5", "sha", 9),
        "mirrors-mypy": ("main", "branch", 13),
        "local": (None, "local", 17),
    }
    assert set(item.categories) == {
        "hooks", "lint", "format", "secret-scanning", "security", "typecheck", "test",
    }  # fmt: skip
    assert item.schedule == "monthly"


def test_codecov_targets_and_gate() -> None:
    text = textwrap.dedent(
        """\
        codecov:
          require_ci_to_pass: true
        coverage:
          range: 70..100
          status:
            project:
              default:
                target: 80%
                threshold: 1%
            patch:
              default:
                target: auto
                informational: true
        comment: false
        """
    )
    (item,) = _items(".codecov.yml", text)
    assert item.targets == {"project.default": "80%", "patch.default": "auto"}
    assert item.fail_under == 80.0
    assert item.settings["project.default.threshold"] == "1%"
    assert item.settings["patch.default.informational"] == "true"
    assert item.settings["require_ci_to_pass"] == "true"
    assert item.line == 3 and item.categories == ("coverage", "quality-gate")
    (off,) = _items("codecov.yml", "coverage:\n  status:\n    project: off\n")
    assert off.targets == {"project": "false"} and off.fail_under is None  # YAML 1.1 `off`


NOXFILE = textwrap.dedent(
    """\
    import nox

    nox.options.sessions = ["tests", "lint"]


    @nox.session(python=["3.10", "3.11"])
    def tests(session: nox.Session) -> None:
        session.install("-e", ".[test]")
        session.run("pytest", "--cov=src", *session.posargs)


    @nox.session(name="lint", reuse_venv=True)
    def run_linters(s):
        s.install("ruff")
        s.run("ruff", "check", ".")
        s.notify("tests")


    @nox.session
    def train(session):
        session.run("python", "scripts/train.py", f"--seed={SEED}")


    def helper(session):
        session.run("rm", "-rf", "/")
    """
)


def test_noxfile_sessions() -> None:
    items = _by_name("noxfile.py", NOXFILE)
    assert set(items) == {"nox:tests", "nox:lint", "nox:train"}
    tests = items["nox:tests"]
    assert (tests.line, tests.end_line) == (7, 9)
    assert tests.commands == ("pytest --cov=src {posargs}",)
    assert tests.deps == ("-e", ".[test]")
    assert tests.settings == {"python": "['3.10', '3.11']"}
    assert tests.roles == ("test",)
    lint = items["nox:lint"]
    assert lint.envs == ("lint",) and lint.commands == ("ruff check .", "nox -s tests")
    assert set(lint.roles) == {"lint", "test"}
    train = items["nox:train"]
    assert train.commands == ("python scripts/train.py {f'--seed={SEED}'}",)
    assert (
        Link(src="nox-session:noxfile.py#train", dst="file:scripts/train.py", rel="runs")
        in train.links
    )


def test_noxfile_syntax_error_is_reported() -> None:
    with pytest.raises(ValueError, match=r"noxfile\.py"):
        _items("noxfile.py", "import nox\ndef broken(:\n")


def test_dependency_update_bots() -> None:
    dependabot = textwrap.dedent(
        """\
        version: 2
        updates:
          - package-ecosystem: pip
            directory: /
            schedule: {interval: weekly}
          - package-ecosystem: github-actions
            directories: [/, /.github]
            schedule: {interval: monthly}
        """
    )
    (item,) = _items(".github/dependabot.yml", dependabot)
    assert item.ecosystems == ("pip", "github-actions")
    assert item.schedule == "weekly, monthly"
    assert item.settings == {"pip /": "weekly", "github-actions /, /.github": "monthly"}
    assert item.line == 2
    renovate = textwrap.dedent(
        """\
        {
          // presets
          "extends": ["config:recommended"], /* the default */
          "schedule": ["before 5am on monday"],
          "enabledManagers": ["pip_requirements", "dockerfile"],
          "packageRules": [{"a": "http://x"},],
        }
        """
    )
    (bot,) = _items("renovate.json5", renovate)
    assert bot.ecosystems == ("pip_requirements", "dockerfile")
    assert bot.schedule == "before 5am on monday"
    assert bot.settings["extends"] == "config:recommended" and bot.settings["packageRules"] == "1"


def test_security_scanners() -> None:
    gitleaks = (
        '[extend]\nuseDefault = true\n\n[[rules]]\nid = "internal-token"\nregex = "tok_[a-z]+"\n'
    )
    gitleaks += "\n[allowlist]\npaths = ['''tests/''']\n"
    (leaks,) = _items(".gitleaks.toml", gitleaks)
    assert leaks.hooks == ("internal-token",)
    assert leaks.settings == {"extend": "useDefault=true", "rules": "1", "allowlist": "configured"}
    assert set(leaks.categories) == {"security", "secret-scanning"}
    (bandit_ini,) = _items(".bandit", "[bandit]\nskips = B101,B601\nexclude = tests\n")
    assert bandit_ini.settings == {"skips": "B101,B601", "exclude": "tests"}
    (bandit_yaml,) = _items(".bandit", "skips: [B101]\nexclude_dirs: [tests]\n")
    assert bandit_yaml.settings == {"skips": "B101", "exclude_dirs": "tests"}
    codeql = "name: ml\nqueries:\n  - uses: security-extended\npaths-ignore: [tests]\n"
    (ql,) = _items(".github/codeql/codeql-config.yml", codeql)
    assert ql.tool == "codeql" and ql.settings["queries"] == "security-extended"
    assert ql.settings["paths-ignore"] == "tests"


def test_sonar_masks_credentials() -> None:
    text = textwrap.dedent(
        """\
        # Sonar
        sonar.projectKey=org_ml
        sonar.sources=src
        sonar.python.coverage.reportPaths=coverage.xml
        sonar.qualitygate.wait=true
        sonar.login=squ_3f8d2a9c0b1e4f5a6b7c8d9e0f1a2b3c4d5e6f7a
        """
    )
    (item,) = _items("sonar-project.properties", text)
    assert item.line == 2
    assert item.settings["sonar.login"] == "***"
    assert item.settings["sonar.qualitygate.wait"] == "true"
    assert set(item.categories) == {"quality-gate", "coverage"}
    assert "squ_3f8d" not in json.dumps(item.model_dump(mode="json"))


def test_ruff_toml() -> None:
    text = 'line-length = 100\n[lint]\nselect = ["E", "F", "S"]\n[format]\nquote-style = "x"\n'
    (item,) = _items("ruff.toml", text)
    assert item.settings == {"line-length": "100", "select": "E, F, S"}
    assert item.categories == ("lint", "format")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tox.ini", True),
        ("sub/pytest.ini", True),
        (".coveragerc", True),
        (".pre-commit-config.yaml", True),
        (".github/codecov.yml", True),
        (".github/dependabot.yml", True),
        ("docs/dependabot.yml", False),
        (".github/codeql/codeql-config.yml", True),
        ("renovate.json", True),
        ("noxfile.py", True),
        ("sonar-project.properties", True),
        ("setup.cfg", False),
        ("pyproject.toml", False),
        ("config.ini", False),
    ],
)
def test_matcher(path: str, expected: bool) -> None:
    names = {p.name for p in registry.parsers_for(path)}
    assert ("quality-configs" in names) is expected


# --------------------------------------------------------------------------- properties

SAMPLES = {
    "tox.ini": TOX,
    ".pre-commit-config.yaml": PRE_COMMIT,
    "noxfile.py": NOXFILE,
    ".codecov.yml": "coverage:\n  status:\n    project:\n      default: {target: 80%}\n",
    "renovate.json": '{"extends": ["config:base"], "schedule": ["weekly"]}',
    ".gitleaks.toml": '[[rules]]\nid = "x"\n',
    "sonar-project.properties": "sonar.projectKey=a\nsonar.token=abc\n",
}


def check(path: str, text: str) -> None:
    started = time.perf_counter()
    try:
        items = list(parse_quality_config(ParseInput(path, text)))
    except Exception:
        return
    finally:
        assert time.perf_counter() - started < 5
    last_line = max(1, len(text.splitlines()))
    for item in items:
        assert item.path == path
        assert item.line is not None and 1 <= item.line <= last_line
        assert item.end_line is None or item.line <= item.end_line <= last_line
        item.model_dump_json()


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    alphabet = st.sampled_from([*"[]{}=:\"'#;,()@-. \n\t", "\x00", "é"])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        else:
            text = text[:pos] + draw(st.text(alphabet, max_size=8)) + text[pos:]
    return text


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents(path: str, data: st.DataObject) -> None:
    check(path, data.draw(mutated(SAMPLES[path])))


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_random_text(path: str, text: str) -> None:
    check(path, text)


def test_adversarial_inputs() -> None:
    for path in SAMPLES:
        for text in (
            "[tox]\nenvlist = " + "{a,b}" * 40 + "\n",
            "[testenv]\ncommands =\n" + "  pytest \\\n" * 20_000,
            "repos:\n" + "  - {repo: x, rev: v1, hooks: [{id: ruff}]}\n" * 3000,
            "import nox\n" + "@nox.session\ndef s(session):\n    session.run('x')\n" * 2000,
            "{" * 5000 + "}" * 5000,
        ):
            check(path, text)

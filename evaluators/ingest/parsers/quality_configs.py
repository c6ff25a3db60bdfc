"""Test, quality and security tooling configuration: one ``quality.config`` per tool or env.

Testing and governance practices show up in configuration long before they show up in CI: a
``fail_under`` in ``.coveragerc`` is a coverage gate, codecov status targets gate pull
requests, a pre-commit config pins linters and secret scanners, Dependabot/Renovate keep
dependencies fresh, CodeQL/gitleaks/bandit/Sonar scan for vulnerabilities. Every file becomes
:class:`QualityConfig` items naming the tool, its categories and the settings that matter.

Read here: ``tox.ini`` (one item per ``testenv`` with commands, deps and CI-style roles, plus
its ``[flake8]``/``[pytest]``/``[coverage:*]``/``[mypy]``/``[isort]`` sections), ``pytest.ini``,
``.coveragerc``, ``.flake8``, ``.pylintrc``/``pylintrc``, ``mypy.ini``, ``ruff.toml``,
``codecov.yml``, ``.pre-commit-config.yaml`` (repos with rev pins, hook ids), ``noxfile.py``
(sessions read with ``ast``; never imported), Dependabot, Renovate, ``.gitleaks.toml``,
bandit, ``sonar-project.properties`` and CodeQL configs. ``setup.cfg`` and ``pyproject.toml``
tool tables are the dependency parsers' (``dep.manifest.tools``/``coverage_fail_under``).

Edges: ``file:<config> -configures-> tool:<tool>``; tox envs and nox sessions are nodes
(``tox-env:<file>#<env>``, ``nox-session:<file>#<name>``) that ``-runs->`` what their
commands run (same analysis as CI steps).
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from hyperscore.evaluators.ingest.formats import FormatError, load_json, load_toml
from hyperscore.evaluators.ingest.parsers.ci_common import PinKind, classify_ref
from hyperscore.evaluators.ingest.parsers.ci_shell import (
    analyse_commands,
    classify_roles,
    redact,
    split_commands,
)
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    LineDict,
    item_line,
    key_line,
    load_single_mapping,
    mapping,
    scalar,
    seq,
    strings,
)
from hyperscore.evaluators.ingest.parsers.pipeline_common import SECRET_KEY, mask_text
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

MAX_SETTINGS = 60
MAX_ITEMS = 200
MAX_VALUE = 300

Category = Literal[
    "test", "coverage", "lint", "format", "typecheck", "security", "secret-scanning",
    "dependency-updates", "hooks", "quality-gate", "docs", "build",
]  # fmt: skip


class HookRepo(BaseModel):
    """One ``repos:`` entry of a pre-commit config: where hooks come from and how pinned."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repo: str
    rev: str | None = None
    pin: PinKind
    hooks: tuple[str, ...] = ()
    line: int | None = None


class QualityConfig(Evidence):
    """One tool's configuration (or one tox env / nox session).

    ``fail_under`` is a coverage threshold in percent (coverage ``fail_under``, pytest-cov
    ``--cov-fail-under``, a numeric codecov project target); ``targets`` holds codecov status
    targets by ``project.<name>``/``patch.<name>``. ``hooks``: pre-commit hook ids (or gitleaks
    rule ids); ``repos``: pre-commit repos with their pins. ``envs``/``commands``/``deps``: tox
    envs and nox sessions, with ``roles`` classified as CI steps are. ``ecosystems``/``schedule``:
    dependency-update bots. ``settings``: other scalar settings as text, secrets masked.
    """

    kind: Literal["quality.config"] = "quality.config"
    modality: Modality = Modality.CI
    tool: str
    categories: tuple[str, ...] = ()
    section: str | None = None
    settings: dict[str, str] = {}
    fail_under: float | None = None
    targets: dict[str, str] = {}
    hooks: tuple[str, ...] = ()
    repos: tuple[HookRepo, ...] = ()
    envs: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    deps: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    runs: tuple[str, ...] = ()
    ecosystems: tuple[str, ...] = ()
    schedule: str | None = None


_TOOL_CATEGORIES: dict[str, tuple[Category, ...]] = {
    "pytest": ("test",), "coverage": ("coverage",), "codecov": ("coverage", "quality-gate"),
    "flake8": ("lint",), "pylint": ("lint",), "ruff": ("lint",), "pycodestyle": ("lint",),
    "pydocstyle": ("lint",), "mypy": ("typecheck",), "isort": ("format",),
    "pre-commit": ("hooks",), "dependabot": ("dependency-updates",),
    "renovate": ("dependency-updates",), "gitleaks": ("security", "secret-scanning"),
    "bandit": ("security",), "sonar": ("quality-gate",), "codeql": ("security",), "tox": (),
    "nox": (),
}  # fmt: skip
_HOOK_CATEGORIES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (re.compile(r"gitleaks|detect-secrets|trufflehog|detect-private-key|detect-aws|ggshield"
                r"|secretlint|talisman"), "secret-scanning"),
    (re.compile(r"gitleaks|detect-secrets|trufflehog|detect-private-key|detect-aws|bandit"
                r"|semgrep|safety|pip-audit|checkov|tfsec|trivy|osv|ggshield"), "security"),
    (re.compile(r"mypy|pyright|pytype|pyre"), "typecheck"),
    (re.compile(r"black|ruff-format|isort|prettier|autopep8|yapf|docformatter|trailing-whitespace"
                r"|end-of-file|clang-format|blacken|nbstripout"), "format"),
    (re.compile(r"ruff|flake8|pylint|yamllint|shellcheck|hadolint|codespell|markdownlint|eslint"
                r"|pydocstyle|pycodestyle|nbqa|pyupgrade|check-|debug-statements|sqlfluff"),
     "lint"),
    (re.compile(r"pytest|unittest|doctest"), "test"),
)  # fmt: skip
_ROLE_CATEGORIES: dict[str, Category] = {
    "test": "test", "lint": "lint", "security": "security", "docs": "docs", "build": "build",
}  # fmt: skip
_COV_FAIL_UNDER = re.compile(r"--cov-fail-under[= ](\d+(?:\.\d+)?)")


_LOGIN_KEY = re.compile(r"(?:^|[._-])login$", re.I)


def _masked(key: str, value: str) -> str:
    """A setting's text: secret-looking keys (``sonar.login`` holds a token) masked,
    credentials in values redacted."""
    secret_key = SECRET_KEY.search(key) or _LOGIN_KEY.search(key)
    if secret_key and value.strip() and "$" not in value:
        return "***"
    return mask_text(redact(value))[:MAX_VALUE]


def _percent(value: Any) -> float | None:
    text = (scalar(value) or "").strip().rstrip("%")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if 0 <= number <= 100 else None


@dataclass
class _Item:
    """A config item as read, before it becomes evidence."""

    tool: str
    line: int | None
    end_line: int | None = None
    name: str = ""
    section: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    node: str | None = None
    commands: list[str] = field(default_factory=list)
    workdir: str | None = None


def _evidence(path: str, items: Iterable[_Item], last_line: int) -> Iterator[QualityConfig]:
    for item in list(items)[:MAX_ITEMS]:
        line = min(max(1, item.line or 1), last_line)
        end = min(max(line, item.end_line or line), last_line)
        tool_node = f"tool:{item.tool}"
        links = [Link(src=f"file:{path}", dst=tool_node, rel="configures")]
        categories = list(_TOOL_CATEGORIES.get(item.tool, ())) + item.categories
        extra = dict(item.extra)
        if item.node:
            links.append(Link(src=f"file:{path}", dst=item.node, rel="defines"))
            targets = analyse_commands(item.commands, item.workdir)
            links += [Link(src=item.node, dst=dst, rel=rel) for rel, dst in targets]
            roles = classify_roles([item.name.rsplit(":", 1)[-1]], item.commands, None)
            categories += [_ROLE_CATEGORIES[r] for r in sorted(roles) if r in _ROLE_CATEGORIES]
            extra["roles"] = tuple(sorted(roles))
            extra["runs"] = tuple(dict.fromkeys(d for r, d in targets if r == "runs"))
            extra["commands"] = tuple(redact(c)[:2000] for c in item.commands)
        yield QualityConfig(
            path=path,
            line=line,
            end_line=end,
            name=item.name or item.tool,
            links=tuple(dict.fromkeys(links)),
            tool=item.tool,
            categories=tuple(dict.fromkeys(categories)),
            section=item.section,
            settings=dict(list(item.settings.items())[:MAX_SETTINGS]),
            **extra,
        )


# --------------------------------------------------------------------------- INI files


@dataclass
class _Section:
    name: str
    line: int
    end_line: int
    values: dict[str, tuple[str, int]] = field(default_factory=dict)


_INI_HEADER = re.compile(r"^\[([^\]]+)\]\s*(?:[#;].*)?$")
_INI_PAIR = re.compile(r"^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$")


def _ini(lines: list[str]) -> list[_Section]:
    """Sections of an INI file with each key's value (continuations joined by newlines) and
    line. Tolerant where configparser is strict: duplicates keep the last value."""
    sections: list[_Section] = []
    current: _Section | None = None
    key: str | None = None
    pieces: dict[tuple[int, str], list[str]] = {}  # joined once at the end: no quadratic +=
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        header = _INI_HEADER.match(stripped)
        if header and not raw[:1].isspace():
            current, key = _Section(header.group(1).strip(), number, number), None
            sections.append(current)
            continue
        if current is None:
            continue
        if raw[:1].isspace() and key is not None:
            pieces[len(sections), key].append(stripped)
        elif pair := _INI_PAIR.match(stripped):
            key = pair.group(1).strip().lower()
            current.values[key] = ("", number)
            pieces[len(sections), key] = [pair.group(2).strip()] if pair.group(2).strip() else []
        current.end_line = number
    for (index, name), parts in pieces.items():
        section = sections[index - 1]
        section.values[name] = ("\n".join(parts), section.values[name][1])
    return sections


def _ini_settings(section: _Section) -> dict[str, str]:
    return {k: _masked(k, v) for k, (v, _) in list(section.values.items())[:MAX_SETTINGS]}


def _value(section: _Section, *keys: str) -> str | None:
    for key in keys:
        if key in section.values:
            return section.values[key][0]
    return None


def _list_value(text: str | None) -> list[str]:
    """Multi-line or comma-separated INI list (commas inside ``{}`` kept), comments dropped."""
    parts: list[str] = []
    depth, start = 0, 0
    for idx, char in enumerate(text or ""):
        if char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == "\n" or (char == "," and depth == 0):
            parts.append((text or "")[start:idx])
            start = idx + 1
    parts.append((text or "")[start:])
    return [p.strip() for p in parts if p.strip() and not p.strip().startswith("#")]


_SECTION_TOOLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:tool:)?pytest"), "pytest"),
    (re.compile(r"(?:coverage:)?(?:run|report|html|xml|json|paths)|coverage:.*"), "coverage"),
    (re.compile(r"flake8(?::.*)?"), "flake8"),
    (re.compile(r"mypy(?:-.*)?"), "mypy"),
    (re.compile(r"isort|pycodestyle|pep8|pydocstyle|bandit"), ""),
    (re.compile(r"master|main|messages control|format|design|basic|reports|similarities"
                r"|typecheck|variables|classes|imports|exceptions|logging|refactoring|pylint.*",
                re.I), "pylint"),
)  # fmt: skip


def _section_tool(name: str) -> str | None:
    low = name.lower()
    for pattern, tool in _SECTION_TOOLS:
        if pattern.fullmatch(low):
            return tool or low.replace("pep8", "pycodestyle")
    return None


def _tool_items(sections: list[_Section], only: set[str] | None = None) -> list[_Item]:
    """One item per tool (its sections merged, first section's line) with tool extras."""
    items: dict[str, _Item] = {}
    for section in sections:
        tool = _section_tool(section.name)
        if tool is None or (only is not None and tool not in only):
            continue
        if tool == "pylint" and only is None:
            continue  # [format], [logging]... name pylint sections only inside a pylintrc
        item = items.get(tool)
        if item is None:
            item = items[tool] = _Item(tool=tool, line=section.line, section=section.name)
        item.end_line = max(item.end_line or 0, section.end_line)
        if tool == "mypy" and section.name.lower() != "mypy":
            count = int(item.settings.get("per_module_sections", "0")) + 1
            item.settings["per_module_sections"] = str(count)
            continue
        item.settings.update(_ini_settings(section))
        if tool == "coverage":
            fail_under = _percent(_value(section, "fail_under", "fail-under"))
            item.extra["fail_under"] = (
                fail_under if fail_under is not None else item.extra.get("fail_under")
            )
        if tool == "pytest":
            addopts = _value(section, "addopts") or ""
            match = _COV_FAIL_UNDER.search(addopts)
            if match:
                item.extra["fail_under"] = _percent(match.group(1))
            if "--cov" in addopts:
                item.categories.append("coverage")
    return list(items.values())


def _tox(path: str, sections: list[_Section]) -> list[_Item]:
    items: list[_Item] = []
    base = posixpath.dirname(path) or None
    envlist: list[str] = []
    for section in sections:
        low = section.name.lower()
        if low in {"tox", "tox:tox"}:
            declared = _list_value(_value(section, "envlist", "env_list"))
            envlist = [env for raw in declared for env in _expand_braces(raw)]
            item = _Item(
                tool="tox",
                line=section.line,
                end_line=section.end_line,
                name="tox",
                section=section.name,
                settings=_ini_settings(section),
            )
            item.extra["envs"] = tuple(envlist)
            items.append(item)
        elif low == "testenv" or low.startswith("testenv:"):
            env = section.name.split(":", 1)[1].strip() if ":" in section.name else "testenv"
            commands = list(split_commands(_value(section, "commands") or ""))
            deps = [d for d in _list_value(_value(section, "deps")) if d]
            item = _Item(
                tool="tox", line=section.line, end_line=section.end_line, name=f"tox:{env}",
                section=section.name, node=f"tox-env:{path}#{env}", commands=commands,
                workdir=base, settings={k: v for k, v in _ini_settings(section).items()
                                        if k not in {"commands", "deps"}},
            )  # fmt: skip
            item.extra.update(envs=(env,), deps=tuple(d[:200] for d in deps[:100]))
            items.append(item)
    return items


_BRACES = re.compile(r"\{([^{}]*)\}")


def _expand_braces(text: str, limit: int = 64) -> list[str]:
    """tox generative env lists: ``py{38,39}-lint`` -> ``py38-lint, py39-lint`` (capped)."""
    out = [text]
    while any(_BRACES.search(t) for t in out) and len(out) < limit:
        expanded: list[str] = []
        for item in out:
            match = _BRACES.search(item)
            if match is None:
                expanded.append(item)
                continue
            for option in match.group(1).split(","):
                expanded.append(item[: match.start()] + option.strip() + item[match.end() :])
        out = expanded[:limit]
    return out


_INI_FILES: dict[str, set[str] | None] = {
    "tox.ini": None, "pytest.ini": {"pytest"}, ".pytest.ini": {"pytest"},
    ".coveragerc": {"coverage"}, ".flake8": {"flake8"}, ".pylintrc": {"pylint"},
    "pylintrc": {"pylint"}, "mypy.ini": {"mypy"}, ".mypy.ini": {"mypy"},
}  # fmt: skip


def _parse_ini_file(source: ParseInput, name: str) -> list[_Item]:
    sections = _ini(source.lines)
    only = _INI_FILES[name]
    items = _tox(source.path, sections) if name == "tox.ini" else []
    if name == ".coveragerc":  # plain [run]/[report] names; every section is coverage's
        sections = [s for s in sections if _section_tool(s.name) == "coverage"]
    return items + _tool_items(sections, only)


# --------------------------------------------------------------------------- YAML files


def _hook_categories(hook_ids: Iterable[str]) -> list[str]:
    found: list[str] = []
    for hook in hook_ids:
        low = hook.lower()
        found += [cat for pattern, cat in _HOOK_CATEGORIES if pattern.search(low)]
    return list(dict.fromkeys(found))


def _pre_commit(doc: LineDict) -> list[_Item]:
    repos_raw = doc.get("repos")
    repos: list[HookRepo] = []
    hook_ids: list[str] = []
    for index, raw in enumerate(seq(repos_raw)[:MAX_ITEMS]):
        entry = mapping(raw)
        repo = scalar(entry.get("repo")) or "?"
        rev = scalar(entry.get("rev"))
        hooks = [h for h in (scalar(mapping(x).get("id")) for x in seq(entry.get("hooks"))) if h]
        hook_ids += hooks
        pin: PinKind = "local" if repo in {"local", "meta"} else classify_ref(rev)
        line = item_line(repos_raw, index)
        repos.append(HookRepo(repo=repo, rev=rev, pin=pin, hooks=tuple(hooks), line=line))
    item = _Item(tool="pre-commit", line=key_line(doc, "repos") or 1, end_line=doc.end or None)
    item.categories = _hook_categories(hook_ids)
    ci = mapping(doc.get("ci"))
    for key, value in ci.items():
        if (text := scalar(value)) is not None:
            item.settings[f"ci.{key}"] = _masked(str(key), text)
    for key in ("default_stages", "fail_fast", "minimum_pre_commit_version"):
        text = ", ".join(strings(doc.get(key)))
        if text:
            item.settings[key] = text
    item.extra = {"hooks": tuple(dict.fromkeys(hook_ids)), "repos": tuple(repos)}
    if ci.get("autoupdate_schedule"):
        item.extra["schedule"] = scalar(ci.get("autoupdate_schedule"))
    return [item]


def _codecov(doc: LineDict) -> list[_Item]:
    coverage = mapping(doc.get("coverage"))
    status = mapping(coverage.get("status"))
    item = _Item(tool="codecov", line=key_line(doc, "coverage") or 1, end_line=doc.end or None)
    targets: dict[str, str] = {}
    for kind in ("project", "patch"):
        value = status.get(kind)
        if isinstance(value, bool) or scalar(value) is not None:
            targets[kind] = scalar(value) or ""
            continue
        for name, spec in mapping(value).items():
            body = mapping(spec)
            targets[f"{kind}.{name}"] = scalar(body.get("target")) or "auto"
            for key in ("threshold", "informational", "only_pulls", "if_ci_failed"):
                if (text := scalar(body.get(key))) is not None:
                    item.settings[f"{kind}.{name}.{key}"] = text
    project = [_percent(v) for k, v in targets.items() if k.startswith("project")]
    numeric = [p for p in project if p is not None]
    item.extra = {"targets": targets, "fail_under": min(numeric) if numeric else None}
    if (text := scalar(coverage.get("range"))) is not None:
        item.settings["range"] = text
    require = scalar(mapping(doc.get("codecov")).get("require_ci_to_pass"))
    if require is not None:
        item.settings["require_ci_to_pass"] = require
    if "comment" in doc:
        item.settings["comment"] = scalar(doc.get("comment")) or "configured"
    return [item]


def _dependabot(doc: LineDict) -> list[_Item]:
    updates = doc.get("updates")
    item = _Item(tool="dependabot", line=key_line(doc, "updates") or 1, end_line=doc.end or None)
    ecosystems: list[str] = []
    intervals: list[str] = []
    for raw in seq(updates)[:MAX_ITEMS]:
        entry = mapping(raw)
        ecosystem = scalar(entry.get("package-ecosystem")) or "?"
        ecosystems.append(ecosystem)
        interval = scalar(mapping(entry.get("schedule")).get("interval")) or ""
        intervals.append(interval)
        dirs = strings(entry.get("directory")) or strings(entry.get("directories"))
        item.settings[f"{ecosystem} {', '.join(dirs)}".strip()[:200]] = interval
    item.extra = {
        "ecosystems": tuple(dict.fromkeys(ecosystems)),
        "schedule": ", ".join(dict.fromkeys(i for i in intervals if i)) or None,
    }
    return [item]


def _codeql(doc: LineDict) -> list[_Item]:
    item = _Item(tool="codeql", line=1, end_line=doc.end or None)
    for key in ("name", "paths", "paths-ignore", "packs", "disable-default-queries"):
        values = strings(doc.get(key))
        if values:
            item.settings[key] = ", ".join(values)[:MAX_VALUE]
    queries = [scalar(mapping(q).get("uses")) or "" for q in seq(doc.get("queries"))]
    if queries:
        item.settings["queries"] = ", ".join(queries)[:MAX_VALUE]
    return [item]


def _bandit_yaml(doc: LineDict) -> list[_Item]:
    item = _Item(tool="bandit", line=1, end_line=doc.end or None)
    for key in ("skips", "tests", "exclude_dirs", "exclude"):
        if key in doc:
            item.settings[key] = ", ".join(strings(doc.get(key)))[:MAX_VALUE]
            item.line = key_line(doc, key) if item.line == 1 else item.line
    return [item]


_YAML_READERS = {
    "pre-commit": _pre_commit, "codecov": _codecov, "dependabot": _dependabot,
    "codeql": _codeql, "bandit": _bandit_yaml,
}  # fmt: skip


# --------------------------------------------------------------------------- TOML, JSON, properties


def _toml_line(lines: list[str], table: str) -> int | None:
    header = f"[{table}]"
    return next((n for n, text in enumerate(lines, 1) if text.strip().startswith(header)), None)


def _ruff(source: ParseInput) -> list[_Item]:
    data = load_toml(source.text)
    lint_table = data.get("lint")
    lint: dict[str, Any] = lint_table if isinstance(lint_table, dict) else {}
    item = _Item(tool="ruff", line=1, end_line=len(source.lines))
    for key in ("line-length", "target-version", "preview", "fix"):
        if (text := scalar(data.get(key))) is not None:
            item.settings[key] = text
    for key in ("select", "extend-select", "ignore", "extend-ignore"):
        values = strings(lint.get(key, data.get(key)))
        if values:
            item.settings[key] = ", ".join(values)[:MAX_VALUE]
    if "format" in data:
        item.categories.append("format")
    return [item]


def _gitleaks(source: ParseInput) -> list[_Item]:
    data = load_toml(source.text)
    rules = [r for r in data.get("rules", []) if isinstance(r, dict)][:MAX_ITEMS]
    extend = data.get("extend") if isinstance(data.get("extend"), dict) else {}
    item = _Item(tool="gitleaks", line=1, end_line=len(source.lines))
    if (title := scalar(data.get("title"))) is not None:
        item.settings["title"] = title[:MAX_VALUE]
    if extend:
        item.settings["extend"] = ", ".join(f"{k}={scalar(v)}" for k, v in extend.items())[:200]
    item.settings["rules"] = str(len(rules))
    if "allowlist" in data or "allowlists" in data:
        item.settings["allowlist"] = "configured"
    item.extra["hooks"] = tuple(scalar(r.get("id")) or "?" for r in rules)
    return [item]


_JSON5_COMMENT = re.compile(r'("(?:[^"\\]|\\.)*")|//[^\n]*|/\*.*?\*/', re.S)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def _renovate(source: ParseInput) -> list[_Item]:
    try:
        data = load_json(source.text)
    except FormatError:  # JSON5: comments and trailing commas are common
        relaxed = _JSON5_COMMENT.sub(lambda m: m.group(1) or "", source.text)
        data = load_json(_TRAILING_COMMA.sub(r"\1", relaxed))
    if not isinstance(data, dict):
        raise FormatError("renovate config: top level is not an object")
    item = _Item(tool="renovate", line=1, end_line=len(source.lines))
    for key in (
        "extends",
        "labels",
        "timezone",
        "automerge",
        "rangeStrategy",
        "dependencyDashboard",
    ):
        if key in data:
            item.settings[key] = ", ".join(strings(data[key]))[:MAX_VALUE]
    item.settings["packageRules"] = str(len(seq(data.get("packageRules"))))
    lock = data.get("lockFileMaintenance")
    if isinstance(lock, dict):
        item.settings["lockFileMaintenance"] = scalar(lock.get("enabled")) or "configured"
    schedule = strings(data.get("schedule"))
    item.extra = {
        "ecosystems": tuple(strings(data.get("enabledManagers"))),
        "schedule": ", ".join(schedule) or None,
    }
    return [item]


_PROPERTY = re.compile(r"^\s*([^=:#!\s][^=:\s]*)\s*[=:\s]\s*(.*)$")


def _sonar(source: ParseInput) -> list[_Item]:
    item = _Item(tool="sonar", line=1, end_line=len(source.lines))
    for number, raw in enumerate(source.lines, start=1):
        match = _PROPERTY.match(raw)
        if match is None or len(item.settings) >= MAX_SETTINGS:
            continue
        key = match.group(1)
        item.settings[key] = _masked(key, match.group(2).strip())
        if key == "sonar.projectKey":
            item.line = number
        if "coverage.reportpaths" in key.lower() or key.endswith(".coverage.reportPath"):
            item.categories.append("coverage")
    return [item]


# --------------------------------------------------------------------------- noxfile.py


def _literal(node: ast.expr) -> str:
    """Source-like text of a ``session.run`` argument without evaluating anything."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Starred):
        inner = _literal(node.value)
        return "{posargs}" if inner.endswith("posargs}") else f"*{inner}"
    return "{" + ast.unparse(node)[:80] + "}"


def _session_name(
    func: ast.FunctionDef | ast.AsyncFunctionDef,
) -> tuple[str, dict[str, str]] | None:
    for decorator in func.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        dotted = ast.unparse(target)
        if dotted not in {"nox.session", "session", "nox_poetry.session", "nox_uv.session"}:
            continue
        settings: dict[str, str] = {}
        name = func.name
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    name = str(keyword.value.value)
                elif keyword.arg in {"python", "venv_backend", "reuse_venv", "tags"}:
                    settings[keyword.arg] = ast.unparse(keyword.value)[:MAX_VALUE]
        return name, settings
    return None


def _nox(source: ParseInput) -> list[_Item]:
    if "nox" not in source.text:
        return []
    try:
        tree = ast.parse(source.text)
    except (SyntaxError, ValueError) as exc:
        raise FormatError(f"noxfile.py: {exc.__class__.__name__}: {exc}") from None
    items: list[_Item] = []
    base = posixpath.dirname(source.path) or None
    for func in tree.body:
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        found = _session_name(func)
        if found is None:
            continue
        name, settings = found
        param = func.args.args[0].arg if func.args.args else "session"
        commands, deps = [], []
        for call in ast.walk(func):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            owner = call.func.value
            if not (isinstance(owner, ast.Name) and owner.id == param):
                continue
            words = [_literal(a) for a in call.args]
            if call.func.attr in {"run", "run_always", "run_install"}:
                commands.append(" ".join(words))
            elif call.func.attr == "install":
                deps += words
            elif call.func.attr == "notify":
                commands.append("nox -s " + " ".join(words))
        item = _Item(
            tool="nox", line=func.lineno, end_line=func.end_lineno, name=f"nox:{name}",
            node=f"nox-session:{source.path}#{name}", commands=commands, workdir=base,
            settings=settings,
        )  # fmt: skip
        item.extra.update(envs=(name,), deps=tuple(d[:200] for d in deps[:100]))
        items.append(item)
    return items


# --------------------------------------------------------------------------- dispatch

_NAMED_READERS: dict[str, str] = {
    ".pre-commit-config.yaml": "pre-commit", ".pre-commit-config.yml": "pre-commit",
    "codecov.yml": "codecov", "codecov.yaml": "codecov", ".codecov.yml": "codecov",
    ".codecov.yaml": "codecov", "dependabot.yml": "dependabot", "dependabot.yaml": "dependabot",
    "bandit.yml": "bandit", "bandit.yaml": "bandit", ".bandit.yml": "bandit",
    ".bandit.yaml": "bandit", "ruff.toml": "ruff", ".ruff.toml": "ruff",
    ".gitleaks.toml": "gitleaks", "gitleaks.toml": "gitleaks", "renovate.json": "renovate",
    "renovate.json5": "renovate", ".renovaterc": "renovate", ".renovaterc.json": "renovate",
    ".renovaterc.json5": "renovate", "sonar-project.properties": "sonar", "noxfile.py": "nox",
}  # fmt: skip
_OTHER_READERS = {"ruff": _ruff, "gitleaks": _gitleaks, "renovate": _renovate, "sonar": _sonar,
                  "nox": _nox}  # fmt: skip

_GLOBS = [
    *_INI_FILES, *(n for n in _NAMED_READERS if not n.startswith("dependabot")), ".bandit",
    ".github/dependabot.yml", ".github/dependabot.yaml", ".github/codeql/*.yml",
    ".github/codeql/*.yaml", ".github/codeql*.yml", ".github/codeql*.yaml",
]  # fmt: skip


@parser("quality-configs", Modality.CI, _GLOBS)
def parse_quality_config(source: ParseInput) -> Iterator[Evidence]:
    """Dispatch by file name to the reader of that tool's configuration format."""
    name = source.name.lower()
    if name in _INI_FILES:
        items = _parse_ini_file(source, name)
    elif name == ".bandit":
        sections = _ini(source.lines)
        items = [
            _Item("bandit", s.line, s.end_line, section=s.name, settings=_ini_settings(s))
            for s in sections
            if s.name == "bandit"
        ]
        if not items and source.text.strip():
            doc = load_single_mapping(source.text, "bandit config")
            items = _bandit_yaml(doc) if doc is not None else []
    elif "codeql" in source.path.lower() and name.endswith((".yml", ".yaml")):
        doc = load_single_mapping(source.text, "CodeQL config")
        items = _codeql(doc) if doc is not None else []
    else:
        reader = _NAMED_READERS.get(name)
        if reader in _YAML_READERS:
            doc = load_single_mapping(source.text, f"{reader} config")
            items = _YAML_READERS[reader](doc) if doc is not None else []
        elif reader in _OTHER_READERS:
            items = _OTHER_READERS[reader](source)
        else:
            items = []
    yield from _evidence(source.path, items, max(1, len(source.lines)))

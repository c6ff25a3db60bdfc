"""``pyproject.toml`` (PEP 621/735/518, poetry, hatch, pdm, uv) and ``Pipfile``.

A pyproject can declare dependencies in several tables at once, one per tool; each becomes
``dep.requirement`` items whose ``source`` names the table's tool and whose ``group`` is the
extra / group / environment name, so "dev tooling is declared" or "tests have their own group"
can be asked without knowing the tool. The manifest also records the ``[tool.*]`` tables,
because linters, type checkers, pytest and coverage thresholds configured there are quality
signals, and ``-r``-like references (setuptools/hatch ``requirements.txt`` hooks) as includes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hyperscore.evaluators.ingest.formats import as_dict, as_list, load_toml
from hyperscore.evaluators.ingest.parsers.dep_specs import (
    Parsed,
    PinState,
    mask_credentials,
    parent_dir,
    parse_pep508,
    parse_specifier,
    percentage,
    resolve_include,
    vcs_ref_of,
)
from hyperscore.evaluators.ingest.parsers.dep_text import TextIndex, TomlLines
from hyperscore.evaluators.ingest.parsers.dependencies import (
    DepSource,
    invalid_line,
    make_manifest,
    make_requirement,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Modality

_POETRY_EXACT_RE = re.compile(r"^(?:===?\s*)?v?(\d[0-9A-Za-z.+!-]*)$")
_COV_FAIL_UNDER_RE = re.compile(r"--cov-fail-under[= ]\s*([0-9.]+)")
_PIPFILE_RESERVED = {"source", "requires", "pipenv", "scripts"}
_PIPFILE_GROUPS = {"packages": "main", "dev-packages": "dev"}
_NOT_REQUIREMENTS = {"python"}


class _Collector:
    """Accumulates one file's requirements with their lines (the TOML parsers share it)."""

    def __init__(self, pi: ParseInput, toml: TomlLines) -> None:
        self.pi = pi
        self.toml = toml
        self.items: list[Evidence] = []

    def pep508_array(
        self, table: str, key: str, values: Any, *, group: str, source: DepSource
    ) -> None:
        strings = [v for v in as_list(values) if isinstance(v, str)]
        lines = self.toml.value_lines(table, key, strings)
        for text, line in zip(strings, lines, strict=True):
            try:
                parsed = parse_pep508(text)
            except ValueError as exc:
                self.items.append(
                    invalid_line(
                        path=self.pi.path, line=line, source=source, reason=str(exc), content=text
                    )
                )
                continue
            self.items.append(
                make_requirement(parsed, path=self.pi.path, line=line, group=group, source=source)
            )

    def table_of_specs(self, table: str, entries: Any, *, group: str, source: DepSource) -> None:
        """A poetry/Pipfile style ``name = spec | {version=..., git=...} | [alternatives]``."""
        for raw_name, value in as_dict(entries).items():
            if raw_name.lower() in _NOT_REQUIREMENTS and source == "poetry":
                continue
            line = self.toml.key_line(table, raw_name)
            try:
                parsed, index = _spec_entry(raw_name, value, poetry=source == "poetry")
            except ValueError as exc:
                self.items.append(
                    invalid_line(
                        path=self.pi.path,
                        line=line,
                        source=source,
                        reason=str(exc),
                        content=f"{raw_name} = {str(value)[:120]}",
                    )
                )
                continue
            self.items.append(
                make_requirement(
                    parsed, path=self.pi.path, line=line, group=group, source=source, index=index
                )
            )


def _poetry_constraint(name: str, spec: str) -> Parsed:
    """Poetry's own syntax: a bare version is exact (pinned); ``^``/``~``/ranges are ranged."""
    spec = spec.strip()
    if spec in ("", "*"):
        return Parsed(raw_name=name, specifier=spec)
    exact = _POETRY_EXACT_RE.match(spec)
    if exact and "*" not in spec:
        return Parsed(raw_name=name, specifier=spec, pin="pinned", version=exact.group(1))
    return Parsed(raw_name=name, specifier=spec, pin="ranged")


def _spec_entry(name: str, value: Any, *, poetry: bool) -> tuple[Parsed, str | None]:
    """One table-style dependency; a list (poetry multiple constraints) is folded into one."""
    if isinstance(value, list):
        parts = [_spec_entry(name, item, poetry=poetry)[0] for item in value]
        if not parts:
            raise ValueError("empty constraint list")
        pins = {p.pin for p in parts}
        pin: PinState = "pinned" if pins == {"pinned"} else "url" if "url" in pins else "ranged"
        markers = [p.marker for p in parts if p.marker]
        return Parsed(
            raw_name=name,
            specifier=" || ".join(p.specifier or p.url or "*" for p in parts),
            pin=pin,
            version=parts[0].version if pin == "pinned" else None,
            marker=" or ".join(f"({m})" for m in markers) or None,
        ), None
    if isinstance(value, str):
        return (_poetry_constraint(name, value) if poetry else parse_specifier(name, value)), None
    if not isinstance(value, dict):
        raise ValueError(f"unsupported dependency value of type {type(value).__name__}")
    extras = tuple(sorted(str(e) for e in as_list(value.get("extras"))))
    markers = [str(value[k]) for k in ("markers",) if isinstance(value.get(k), str)]
    if poetry and isinstance(value.get("python"), str):
        markers.append(f"python {value['python']}")
    marker = " and ".join(markers) or None
    index = value.get("index") or value.get("source")
    index_name = str(index) if isinstance(index, str) else None
    for vcs in ("git", "hg", "svn", "bzr"):
        url = value.get(vcs)
        if isinstance(url, str):
            ref = next((str(value[k]) for k in ("rev", "ref", "tag", "branch") if k in value), None)
            full = url if url.startswith(f"{vcs}+") else f"{vcs}+{url}"
            ref = ref or vcs_ref_of(full)
            return Parsed(
                raw_name=name,
                pin="url",
                extras=extras,
                marker=marker,
                url=url,
                vcs_ref=ref,
                editable=bool(value.get("editable") or value.get("develop")),
            ), index_name
    for key in ("path", "url", "file"):
        target = value.get(key)
        if isinstance(target, str):
            return Parsed(
                raw_name=name,
                pin="url",
                extras=extras,
                marker=marker,
                url=target,
                editable=bool(value.get("editable") or value.get("develop")),
            ), index_name
    version = value.get("version", "*")
    if not isinstance(version, str):
        raise ValueError("version is not a string")
    parsed = _poetry_constraint(name, version) if poetry else parse_specifier(name, version)
    return Parsed(
        raw_name=name,
        specifier=parsed.specifier,
        pin=parsed.pin,
        version=parsed.version,
        extras=extras,
        marker=marker,
    ), index_name


def _fail_under(tool: dict[str, Any]) -> float | None:
    """Coverage threshold from ``[tool.coverage.report]`` or pytest's ``--cov-fail-under``."""
    value = as_dict(as_dict(tool.get("coverage")).get("report")).get("fail_under")
    threshold = percentage(value)
    if threshold is not None:
        return threshold
    addopts = as_dict(as_dict(tool.get("pytest")).get("ini_options")).get("addopts")
    found = _COV_FAIL_UNDER_RE.search(" ".join(str(a) for a in as_list(addopts)))
    return percentage(found.group(1)) if found else None


def _requirement_files(tool: dict[str, Any], base: str) -> list[str]:
    """Files that dynamic metadata reads requirements from (setuptools ``dynamic``, hatch's
    requirements_txt hook): they are this project's real requirements."""
    dynamic = as_dict(as_dict(tool.get("setuptools")).get("dynamic"))
    files: list[Any] = as_list(as_dict(dynamic.get("dependencies")).get("file"))
    for extra in as_dict(dynamic.get("optional-dependencies")).values():
        files.extend(as_list(as_dict(extra).get("file")))
    hooks = as_dict(as_dict(as_dict(tool.get("hatch")).get("metadata")).get("hooks"))
    files.extend(as_list(as_dict(hooks.get("requirements_txt")).get("files")))
    return [resolve_include(base, f) or f for f in files if isinstance(f, str)]


@parser("dependencies.pyproject", Modality.DEPENDENCIES, ["pyproject.toml"])
def parse_pyproject(pi: ParseInput) -> Iterator[Evidence]:
    """Requirements from every tool table of a pyproject, then the manifest."""
    data = load_toml(pi.text)
    collect = _Collector(pi, TomlLines(TextIndex(pi.text)))
    project = as_dict(data.get("project"))
    tool = as_dict(data.get("tool"))
    managers: list[str] = []

    if project:
        managers.append("pep621")
        collect.pep508_array(
            "project",
            "dependencies",
            project.get("dependencies"),
            group="main",
            source="pyproject-pep621",
        )
        extras_table = "project.optional-dependencies"
        for extra, reqs in as_dict(project.get("optional-dependencies")).items():
            collect.pep508_array(extras_table, extra, reqs, group=extra, source="pyproject-pep621")
    for group, reqs in as_dict(data.get("dependency-groups")).items():
        collect.pep508_array(
            "dependency-groups", group, reqs, group=group, source="pyproject-pep735"
        )
    build = as_dict(data.get("build-system"))
    collect.pep508_array(
        "build-system", "requires", build.get("requires"), group="build", source="pyproject-build"
    )

    poetry = as_dict(tool.get("poetry"))
    if poetry:
        managers.append("poetry")
        collect.table_of_specs(
            "tool.poetry.dependencies", poetry.get("dependencies"), group="main", source="poetry"
        )
        collect.table_of_specs(
            "tool.poetry.dev-dependencies",
            poetry.get("dev-dependencies"),
            group="dev",
            source="poetry",
        )
        for group, body in as_dict(poetry.get("group")).items():
            collect.table_of_specs(
                f"tool.poetry.group.{group}.dependencies",
                as_dict(body).get("dependencies"),
                group=group,
                source="poetry",
            )
    hatch_envs = as_dict(as_dict(tool.get("hatch")).get("envs"))
    if "hatch" in tool:
        managers.append("hatch")
    for env, body in hatch_envs.items():
        for key in ("dependencies", "extra-dependencies"):
            collect.pep508_array(
                f"tool.hatch.envs.{env}", key, as_dict(body).get(key), group=env, source="hatch"
            )
    pdm = as_dict(tool.get("pdm"))
    if pdm:
        managers.append("pdm")
    for group, reqs in as_dict(pdm.get("dev-dependencies")).items():
        collect.pep508_array("tool.pdm.dev-dependencies", group, reqs, group=group, source="pdm")
    uv = as_dict(tool.get("uv"))
    if uv:
        managers.append("uv")
        collect.pep508_array(
            "tool.uv", "dev-dependencies", uv.get("dev-dependencies"), group="dev", source="uv"
        )
    if "setuptools" in tool or str(build.get("build-backend", "")).startswith("setuptools"):
        managers.append("setuptools")

    python = project.get("requires-python")
    if not isinstance(python, str):
        python = as_dict(poetry.get("dependencies")).get("python")
    indexes = [
        as_dict(src).get("url")
        for src in [
            *as_list(poetry.get("source")),
            *as_list(pdm.get("source")),
            *as_list(uv.get("index")),
        ]
    ]
    indexes += [uv.get("index-url"), *as_list(uv.get("extra-index-url"))]
    backend = build.get("build-backend")
    dynamic = [str(d) for d in as_list(project.get("dynamic"))]
    name = project.get("name") or poetry.get("name")
    yield from collect.items
    yield make_manifest(
        pi.path,
        "pyproject",
        collect.items,
        python_requires=python if isinstance(python, str) else None,
        index_urls=[mask_credentials(u) for u in indexes if isinstance(u, str)],
        build_backend=backend if isinstance(backend, str) else None,
        includes=_requirement_files(tool, parent_dir(pi.path)),
        managers=tuple(managers),
        tools=tuple(sorted(tool)),
        coverage_fail_under=_fail_under(tool),
        dynamic=any(d in ("dependencies", "optional-dependencies") for d in dynamic),
        project=name if isinstance(name, str) else None,
    )


@parser("dependencies.pipfile", Modality.DEPENDENCIES, ["Pipfile"])
def parse_pipfile(pi: ParseInput) -> Iterator[Evidence]:
    """Pipfile: ``[packages]``, ``[dev-packages]`` and custom categories; ``"*"`` is unpinned."""
    data = load_toml(pi.text)
    collect = _Collector(pi, TomlLines(TextIndex(pi.text)))
    for table, body in data.items():
        if table in _PIPFILE_RESERVED or not isinstance(body, dict):
            continue
        group = _PIPFILE_GROUPS.get(table, table)
        collect.table_of_specs(table, body, group=group, source="pipfile")
    requires = as_dict(data.get("requires"))
    python = requires.get("python_full_version") or requires.get("python_version")
    urls = [as_dict(source).get("url") for source in as_list(data.get("source"))]
    yield from collect.items
    yield make_manifest(
        pi.path,
        "pipfile",
        collect.items,
        python_requires=str(python) if isinstance(python, (str, int, float)) else None,
        index_urls=[mask_credentials(u) for u in urls if isinstance(u, str)],
    )

"""Conda environment files (``environment.yml``, ``conda.yaml``, ...): conda and pip packages.

Conda's match-spec syntax differs from pip's: ``numpy=1.26`` (or ``numpy 1.26``) is a
*prefix* match (1.26.*), ``numpy==1.26.4`` is exact, ``numpy=1.26.4=py311h...`` also fixes the
build. A fuzzy spec is read as pinned when it names a full ``X.Y.Z`` release or a build (what
people mean by pinning in conda) and as ranged otherwise. The ``pip:`` sub-list is pip
requirement-file syntax and is read by the requirements parser, so ``-r`` includes and index
URLs work there too. Only files whose YAML has a ``dependencies`` list of match specs are
claimed: other YAML with these names is not ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hyperscore.evaluators.ingest.formats import as_dict, as_list, load_yaml
from hyperscore.evaluators.ingest.parsers.dep_requirements import RequirementsState, parse_line
from hyperscore.evaluators.ingest.parsers.dep_specs import (
    Parsed,
    PinState,
)
from hyperscore.evaluators.ingest.parsers.dep_text import Cursor, TextIndex
from hyperscore.evaluators.ingest.parsers.dependencies import (
    invalid_line,
    make_manifest,
    make_requirement,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Modality

_SPEC_RE = re.compile(
    r"^(?:(?P<channel>[^:\s]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.+-]*)\s*(?P<rest>.*)$"
)
_BRACKET_VERSION_RE = re.compile(r"version\s*=\s*['\"]?([^'\",\]]+)")
_FULL_RELEASE_RE = re.compile(r"^\d+(?:\.\d+){2,}[\w.+!-]*$")
_MAX_SPEC = 500
_OPERATORS = ("<", ">", "!", "~", "|", ",", "*")


def _version_pin(version: str, *, exact: bool, build: str) -> tuple[PinState, str | None]:
    if not version or version == "*":
        return ("pinned", None) if build else ("unpinned", None)
    if any(op in version for op in _OPERATORS):
        return "ranged", None
    if exact or build or _FULL_RELEASE_RE.match(version):
        return "pinned", version
    return "ranged", None


def parse_conda_spec(spec: str) -> tuple[Parsed, str | None]:
    """A conda match spec -> (requirement, channel). Raises ValueError when unreadable."""
    if len(spec) > _MAX_SPEC:
        raise ValueError(f"conda spec longer than {_MAX_SPEC} characters")
    match = _SPEC_RE.match(spec.strip())
    if not match:
        raise ValueError(f"not a conda package spec: {spec[:80]!r}")
    name, rest = match["name"], match["rest"].strip()
    if rest.startswith("["):
        found = _BRACKET_VERSION_RE.search(rest)
        rest = found.group(1).strip() if found else ""
    if rest.startswith("=="):
        version, _, build = rest[2:].partition("=")
        pin, exact_version = _version_pin(version.strip(), exact=True, build=build)
    elif rest.startswith("="):
        version, _, build = rest[1:].partition("=")
        pin, exact_version = _version_pin(version.strip(), exact=False, build=build)
    elif rest[:1] in ("<", ">", "!", "~"):
        pin, exact_version = "ranged", None
    else:
        version, _, build = rest.partition(" ")  # "1.26.4 py311_0": fuzzy like "="
        pin, exact_version = _version_pin(version.strip(), exact=False, build=build.strip())
    parsed = Parsed(raw_name=name, specifier=rest, pin=pin, version=exact_version)
    return parsed, match["channel"]


def _is_conda_entry(entry: Any) -> bool:
    """A match-spec string or the ``pip:`` sub-list (a Helm-style list of mappings is not)."""
    return isinstance(entry, str) or (isinstance(entry, dict) and "pip" in entry)


def _conda_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    if not name.endswith((".yml", ".yaml")):
        return False
    stem = name.rsplit(".", 1)[0]
    return "environment" in stem or stem.startswith("conda") or stem == "env"


@parser("dependencies.conda", Modality.DEPENDENCIES, _conda_file)
def parse_conda(pi: ParseInput) -> Iterator[Evidence]:
    """Conda and pip requirements of an environment file, then the manifest."""
    if "dependencies" not in pi.text:
        return
    data: Any = load_yaml(pi.text)
    deps = as_dict(data).get("dependencies")
    if not isinstance(deps, list) or not any(_is_conda_entry(d) for d in deps):
        return
    start = max(pi.text.find("dependencies"), 0)
    index = TextIndex(pi.text)
    cursor = Cursor(index, start)
    fallback = index.line_at(start)
    items: list[Evidence] = []
    state = RequirementsState()
    python: str | None = None

    for dep in deps:
        if isinstance(dep, dict):
            for pip_entry in as_list(dep.get("pip")):
                if not isinstance(pip_entry, str):
                    continue
                line = cursor.find(pip_entry) or fallback
                item = parse_line(
                    pip_entry.strip(),
                    path=pi.path,
                    first=line,
                    last=line,
                    group="pip",
                    source="conda",
                    state=state,
                )
                if item is not None:
                    items.append(item)
            continue
        if not isinstance(dep, (str, int, float)):
            continue
        spec = str(dep)
        line = cursor.find(spec) or fallback
        try:
            parsed, channel = parse_conda_spec(spec)
        except ValueError as exc:
            items.append(
                invalid_line(path=pi.path, line=line, source="conda", reason=str(exc), content=spec)
            )
            continue
        if parsed.raw_name.lower() == "python":
            python = parsed.specifier or python
            continue
        items.append(
            make_requirement(
                parsed,
                path=pi.path,
                line=line,
                group="conda",
                source="conda",
                index=channel,
                ecosystem="conda",
            )
        )
    name = as_dict(data).get("name")
    channels = [str(c) for c in as_list(as_dict(data).get("channels")) if isinstance(c, str)]
    yield from items
    yield make_manifest(
        pi.path,
        "conda",
        items,
        python_requires=python,
        channels=channels,
        includes=state.includes,
        constraints=state.constraints,
        index_urls=state.index_urls,
        find_links=state.find_links,
        require_hashes=state.require_hashes,
        project=name if isinstance(name, str) else None,
    )

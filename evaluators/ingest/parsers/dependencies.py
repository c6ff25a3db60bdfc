"""Dependency evidence: the typed facts every dependency parser emits, and their constructors.

Scorers ask a handful of questions of a project's dependencies -- are they pinned, is there a
lock file with hashes, which Python does it target, which groups (dev/test) exist, which
indexes are used -- whatever tool declared them. So every format (requirements files,
pyproject, setup.cfg/setup.py, Pipfile, lock files, conda environments) is reduced to the same
three facts: :class:`DepRequirement` (a declared requirement), :class:`DepLocked` (an exact
version recorded by a lock file) and :class:`DepManifest` (one per file, with totals). Lines
that cannot be read become :class:`DepInvalidLine` instead of failing the whole file.

Name matching follows PEP 503 (``Foo_Bar`` and ``foo-bar`` are one package), pin states follow
what pip would install, and URLs are always credential-masked before they reach evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from hyperscore.evaluators.ingest.parsers.dep_specs import (
    PIN_STATES,
    Parsed,
    PinState,
    is_commit,
    mask_credentials,
    normalise_name,
    resolve_include,
)
from hyperscore.evaluators.model import Evidence, Link, Modality

DepSource = Literal[
    "requirements",
    "constraints",
    "pyproject-pep621",
    "pyproject-pep735",
    "pyproject-build",
    "poetry",
    "hatch",
    "pdm",
    "uv",
    "setup.cfg",
    "setup.py",
    "pipfile",
    "pipfile-lock",
    "poetry-lock",
    "uv-lock",
    "pdm-lock",
    "pylock",
    "conda",
]
ManifestFormat = Literal[
    "requirements",
    "constraints",
    "pyproject",
    "setup.cfg",
    "setup.py",
    "pipfile",
    "pipfile-lock",
    "poetry-lock",
    "uv-lock",
    "pdm-lock",
    "pylock",
    "conda",
]

LockOrigin = Literal[
    "registry", "git", "url", "path", "directory", "archive", "editable", "virtual",
]  # fmt: skip


class DepRequirement(Evidence):
    """One declared requirement. ``name`` is the PEP 503-normalised package name.

    ``specifier`` is kept in the declaring tool's own syntax (poetry ``^1.2``, conda ``=1.2``);
    ``pin`` is the tool-independent reading of it, ``version`` the exact version when pinned.
    """

    kind: Literal["dep.requirement"] = "dep.requirement"
    modality: Modality = Modality.DEPENDENCIES
    raw_name: str
    specifier: str = ""
    pin: PinState
    version: str | None = None
    hashes: int = 0
    extras: tuple[str, ...] = ()
    marker: str | None = None
    group: str = "main"
    source: DepSource
    url: str | None = None
    vcs_ref: str | None = None
    vcs_commit: bool = False
    editable: bool = False
    index: str | None = None
    ecosystem: Literal["pypi", "conda"] = "pypi"


class DepLocked(Evidence):
    """One package version recorded by a lock file (transitive ones included)."""

    kind: Literal["dep.locked"] = "dep.locked"
    modality: Modality = Modality.DEPENDENCIES
    raw_name: str
    version: str | None = None
    pin: PinState
    hashes: int = 0
    source: DepSource
    origin: LockOrigin = "registry"
    url: str | None = None
    vcs_ref: str | None = None
    vcs_commit: bool = False
    groups: tuple[str, ...] = ()
    marker: str | None = None


class DepInvalidLine(Evidence):
    """A requirement entry that could not be read; the rest of its file still counts."""

    kind: Literal["dep.invalid_line"] = "dep.invalid_line"
    modality: Modality = Modality.DEPENDENCIES
    source: DepSource
    reason: str
    content: str = ""


class DepManifest(Evidence):
    """One dependency file: what it is, its totals, and the project-level settings it carries.

    ``pins`` counts requirements (or lock entries, for lock files) by pin state.
    ``python_requires`` is written in the file's own syntax. ``includes``/``constraints`` are
    the ``-r``/``-c`` targets (and files that dynamic metadata reads requirements from),
    resolved against the including file's directory. ``content_hash``: a lock records the hash
    of the manifest it was made from. ``generator``: the tool that wrote the file (pip-compile,
    uv, poetry...). ``managers``: dependency tools configured in a pyproject. ``tools``: its
    ``[tool.*]`` tables (or setup.cfg tool sections) -- quality signals such as pytest, ruff,
    mypy, coverage. ``dynamic``: some requirements are computed and could not be read.
    """

    kind: Literal["dep.manifest"] = "dep.manifest"
    modality: Modality = Modality.DEPENDENCIES
    format: ManifestFormat
    is_lock: bool = False
    requirements: int = 0
    pins: dict[str, int] = {}
    groups: tuple[str, ...] = ()
    python_requires: str | None = None
    includes: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    require_hashes: bool = False
    build_backend: str | None = None
    content_hash: bool = False
    lock_version: str | None = None
    generator: str | None = None
    managers: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    coverage_fail_under: float | None = None
    dynamic: bool = False
    channels: tuple[str, ...] = ()
    invalid_lines: int = 0
    project: str | None = None


def make_requirement(
    parsed: Parsed,
    *,
    path: str,
    line: int | None,
    group: str,
    source: DepSource,
    end_line: int | None = None,
    index: str | None = None,
    ecosystem: Literal["pypi", "conda"] = "pypi",
) -> DepRequirement:
    """Place ``parsed`` in a file: normalised name, final pin state, masked URL, graph edge."""
    name = normalise_name(parsed.raw_name)
    pin: PinState = "hashed" if parsed.pin == "pinned" and parsed.hashes else parsed.pin
    links = (Link(src=f"file:{path}", dst=f"package:{name}", rel="declares"),) if name else ()
    return DepRequirement(
        path=path,
        line=line,
        end_line=end_line if end_line != line else None,
        name=name,
        raw_name=parsed.raw_name,
        specifier=parsed.specifier,
        pin=pin,
        version=parsed.version,
        hashes=parsed.hashes,
        extras=parsed.extras,
        marker=parsed.marker,
        group=group,
        source=source,
        url=mask_credentials(parsed.url) if parsed.url else None,
        vcs_ref=parsed.vcs_ref,
        vcs_commit=is_commit(parsed.vcs_ref),
        editable=parsed.editable,
        index=mask_credentials(index) if index else None,
        ecosystem=ecosystem,
        links=links,
    )


def invalid_line(
    *, path: str, line: int | None, source: DepSource, reason: str, content: str = ""
) -> DepInvalidLine:
    return DepInvalidLine(
        path=path,
        line=line,
        source=source,
        reason=reason[:300],
        content=mask_credentials(content.strip())[:200],
    )


def make_locked(
    *,
    path: str,
    line: int | None,
    raw_name: str,
    version: str | None,
    hashes: int,
    source: DepSource,
    origin: LockOrigin = "registry",
    url: str | None = None,
    vcs_ref: str | None = None,
    groups: Iterable[str] = (),
    marker: str | None = None,
) -> DepLocked:
    """A lock entry. Registry packages are pinned (hashed when hashes are recorded); VCS, URL
    and local-path entries are ``url``, as for declared requirements."""
    name = normalise_name(raw_name)
    pin: PinState = "url" if origin != "registry" else "hashed" if hashes else "pinned"
    return DepLocked(
        path=path,
        line=line,
        name=name,
        raw_name=raw_name,
        version=version,
        pin=pin,
        hashes=hashes,
        source=source,
        origin=origin,
        url=mask_credentials(url) if url else None,
        vcs_ref=vcs_ref,
        vcs_commit=is_commit(vcs_ref),
        groups=tuple(groups),
        marker=marker,
        links=(Link(src=f"file:{path}", dst=f"package:{name}", rel="locks"),) if name else (),
    )


def make_manifest(
    path: str, fmt: ManifestFormat, items: Sequence[Evidence], **fields: Any
) -> DepManifest:
    """The per-file summary: pin counts and groups computed from ``items``, include edges from
    ``includes``/``constraints``; every other field is passed through."""
    pins = dict.fromkeys(PIN_STATES, 0)
    groups: set[str] = set()
    total = invalid = 0
    for item in items:
        if isinstance(item, DepRequirement):
            groups.add(item.group)
        elif isinstance(item, DepLocked):
            groups.update(item.groups)
        elif isinstance(item, DepInvalidLine):
            invalid += 1
            continue
        else:
            continue
        total += 1
        pins[item.pin] += 1
    for key in ("includes", "constraints", "index_urls", "find_links", "channels", "tools"):
        if key in fields:
            fields[key] = tuple(dict.fromkeys(fields[key]))
    targets = dict.fromkeys([*fields.get("includes", ()), *fields.get("constraints", ())])
    links = tuple(
        Link(src=f"file:{path}", dst=f"file:{target}", rel="includes")
        for target in targets
        if resolve_include("", target) == target  # a path inside the project, not a URL
    )
    return DepManifest(
        path=path,
        name=fmt,
        format=fmt,
        requirements=total,
        pins=pins,
        groups=tuple(sorted(groups)),
        invalid_lines=invalid,
        links=links,
        **fields,
    )

"""The curated knowledge-base corpus: schema, loading and validation.

Entries are short texts as they would appear in a project (a sentence of a README, a line of
code, a CI step) labelled ``current`` (a practice we would recommend today), ``outdated``
(deprecated or retired: TF1 sessions, Python 2, travis-ci.org), ``anti-pattern`` (harmful in
any era) or ``boilerplate`` (template and tutorial text left unadapted). Novelty is the share
of a project's evidence that is *not* close to an outdated, anti-pattern or boilerplate entry,
so the labels carry the meaning and the schema keeps them honest: unknown labels or dimensions,
duplicate ids and empty texts are load errors, never silent skips.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CORPUS_PACKAGE = "hyperscore.evaluators.knowledge"


class Label(StrEnum):
    CURRENT = "current"
    OUTDATED = "outdated"
    ANTI_PATTERN = "anti-pattern"
    BOILERPLATE = "boilerplate"


class Dimension(StrEnum):
    """The catalogue's practice dimensions, plus ``general`` for user entries without one."""

    AUTOMATION = "automation"
    DATA = "data"
    DEPLOYMENT = "deployment"
    GOVERNANCE = "governance"
    MONITORING = "monitoring"
    REPRODUCIBILITY = "reproducibility"
    TESTING = "testing"
    TRACKING = "tracking"
    GENERAL = "general"


class Origin(StrEnum):
    CORPUS = "corpus"
    USER = "user"


class KbEntry(BaseModel):
    """One labelled example. ``source`` is our note on where the practice comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:/-]+$")
    text: str = Field(min_length=3, max_length=2000)
    label: Label
    dimension: Dimension
    source: str = Field(min_length=1, max_length=500)
    origin: Origin = Origin.CORPUS


class CorpusFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[KbEntry]


class CorpusError(ValueError):
    """The corpus does not match its schema (bad field, duplicate id)."""


def parse_entries(docs: Iterable[tuple[str, str]]) -> list[KbEntry]:
    """Entries from ``(name, yaml_text)`` pairs, with duplicate ids rejected across files."""
    entries: list[KbEntry] = []
    seen: dict[str, str] = {}
    for name, text in docs:
        try:
            parsed = CorpusFile.model_validate(yaml.safe_load(text) or {"entries": []})
        except ValidationError as exc:
            raise CorpusError(f"{name}: {exc}") from exc
        for entry in parsed.entries:
            if entry.id in seen:
                raise CorpusError(f"{name}: duplicate id {entry.id!r} (also in {seen[entry.id]})")
            seen[entry.id] = name
            entries.append(entry)
    return entries


def load_corpus_dir(directory: Path) -> list[KbEntry]:
    """A corpus from a folder of ``*.yaml`` files (a user's own, or a test's)."""
    files = sorted(directory.glob("*.yaml"))
    return parse_entries((f.name, f.read_text(encoding="utf-8")) for f in files)


@cache
def _bundled() -> tuple[KbEntry, ...]:
    folder = resources.files(CORPUS_PACKAGE).joinpath("corpus")
    docs = sorted(
        (item.name, item.read_text(encoding="utf-8"))
        for item in folder.iterdir()
        if item.name.endswith(".yaml")
    )
    return tuple(parse_entries(docs))


def load_corpus() -> list[KbEntry]:
    """The shipped corpus (validated once per process)."""
    return list(_bundled())

"""What detectors see: the ingested evidence, indexed once, with small query helpers.

Detectors are pure functions of a :class:`DetectionContext`; indexing by kind and path happens
here, once per assessment, so sixty-odd detectors cost one pass over the evidence.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.model import Evidence, FileInfo, IngestResult

E = TypeVar("E", bound=Evidence)


def cite(item: Evidence, what: str) -> Citation:
    return Citation(
        path=item.path, line=item.line, end_line=item.end_line, what=what, evidence_id=item.id
    )


def cite_file(path: str, what: str) -> Citation:
    return Citation(path=path, what=what)


@dataclass
class DetectionContext:
    """Indexed evidence of one project."""

    result: IngestResult
    claims: dict[str, list[Citation]] = field(default_factory=dict)

    @cached_property
    def by_kind(self) -> dict[str, list[Evidence]]:
        index: dict[str, list[Evidence]] = defaultdict(list)
        for item in self.result.evidence:
            index[item.kind].append(item)
        return dict(index)

    @cached_property
    def files(self) -> dict[str, FileInfo]:
        return {e.path: e for e in self.result.evidence if isinstance(e, FileInfo)}

    @cached_property
    def lower_paths(self) -> list[str]:
        return sorted(p.lower() for p in self.files)

    def kind(self, *kinds: str) -> list[Evidence]:
        out: list[Evidence] = []
        for k in kinds:
            out.extend(self.by_kind.get(k, ()))
        return out

    def typed(self, cls: type[E]) -> list[E]:
        """All evidence of one class (by its registered kind)."""
        kind = cls.model_fields["kind"].default
        return [e for e in self.by_kind.get(str(kind), ()) if isinstance(e, cls)]

    def where(self, kinds: Sequence[str], pred: Callable[[Any], bool]) -> list[Evidence]:
        """Evidence of ``kinds`` for which ``pred`` holds (exceptions count as False)."""
        out = []
        for item in self.kind(*kinds):
            try:
                if pred(item):
                    out.append(item)
            except (AttributeError, KeyError, TypeError, ValueError):
                continue
        return out

    def paths_matching(self, *globs: str) -> list[str]:
        """Relative paths matching any glob (case-insensitive; ``*`` crosses ``/``)."""
        pats = [re.compile(fnmatch.translate(g.lower())) for g in globs]
        return [p for p in sorted(self.files) if any(r.match(p.lower()) for r in pats)]

    def text_matches(self, pattern: re.Pattern[str], kinds: Iterable[str]) -> list[Evidence]:
        """Evidence whose ``text`` or ``name`` matches ``pattern``."""
        out = []
        for item in self.kind(*kinds):
            blob = f"{item.name}\n{item.text or ''}"
            if pattern.search(blob):
                out.append(item)
        return out

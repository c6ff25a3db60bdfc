"""Claim obligations: what the documentation claims is backed by an artefact.

Detectors record a practice as ``claimed-only`` when prose claims it (semantic parser or
keyword claims) but no artefact evidences it, and ``present`` with claims when both exist.
Each claimed practice is one membership fact ``backed(practice)``: proved when an artefact
backs the claim, refuted ("docs claim X, no artefact backs it") otherwise. Practices nobody
claims are not obligations -- absence of a practice is the baseline score's business.
"""

from __future__ import annotations

from hyperscore.evaluators.assessment import PracticeResult, PracticeState
from hyperscore.evaluators.stages.logic.obligations import Fact, Obligation, membership


def obligations(practices: list[PracticeResult]) -> list[Obligation]:
    out = []
    for p in sorted(practices, key=lambda r: r.id):
        if not p.claims:
            continue
        backed = p.state == PracticeState.PRESENT and bool(p.evidence)
        claim = p.claims[0]
        note = (
            f"artefact: {p.evidence[0].location}"
            if backed
            else f"docs claim '{p.title}', no artefact backs it"
        )
        out.append(
            membership(
                f"claims.backed:{p.id}",
                "claims.backed",
                f"the documented claim of '{p.title}' is backed by an artefact",
                [Fact(p.id, backed, claim, note)],
                evidence=[*p.claims[:3], *p.evidence[:3]],
                missing_word="unbacked claim",
            )
        )
    return out

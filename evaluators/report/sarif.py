"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

One run; ``tool.driver.rules`` lists every registered finding rule (the engine's metadata, so
the rules are described even when they did not fire) plus any rule a finding names that is
not registered. Severity maps to SARIF ``level`` (critical/high -> error, medium -> warning,
low -> note) and to GitHub's ``security-severity`` (9.0/7.0/5.0/3.0). Locations are relative
to ``%SRCROOT%``; ``partialFingerprints`` is a stable hash of rule, path, line and message, so
code scanning tracks an alert across runs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any
from urllib.parse import quote, urlsplit

from hyperscore.evaluators.assessment import Assessment, Finding, Severity
from hyperscore.evaluators.report import INFORMATION_URI, sorted_findings, text_blocks

log = logging.getLogger(__name__)

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "hyperscoreFindingHash/v1"
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.0",
    Severity.HIGH: "7.0",
    Severity.MEDIUM: "5.0",
    Severity.LOW: "3.0",
}


def rule_name(rule_id: str) -> str:
    """``ci-action-unpinned`` -> ``CiActionUnpinned`` (SARIF names are identifiers)."""
    return "".join(part.capitalize() for part in rule_id.replace("_", "-").split("-") if part)


def _help_markdown(title: str, remediation: str) -> str:
    parts = [f"**{title}**", "", "**Remediation**", ""]
    for kind, body in text_blocks(remediation):
        if kind == "p":
            parts += [body, ""]
        else:
            parts += ["```", body, "```", ""]
    return "\n".join(parts).rstrip() + "\n"


def _descriptor(
    rule_id: str,
    *,
    title: str,
    severity: Severity,
    remediation: str,
    dimension: str | None,
    tags: list[str],
) -> dict[str, Any]:
    all_tags = list(dict.fromkeys([*tags, "mlops", *([dimension] if dimension else [])]))
    full = f"{title} ({severity.value} severity"
    full += f", {dimension} dimension)." if dimension else ")."
    return {
        "id": rule_id,
        "name": rule_name(rule_id),
        "shortDescription": {"text": title},
        "fullDescription": {"text": full},
        "help": {
            "text": " ".join(body for _, body in text_blocks(remediation)) or title,
            "markdown": _help_markdown(title, remediation),
        },
        "helpUri": f"{INFORMATION_URI}#findings",
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": all_tags,
            "problem.severity": "recommendation" if severity == Severity.LOW else LEVEL[severity],
        },
    }


def _registered_rules() -> list[dict[str, Any]]:
    try:
        from hyperscore.evaluators.findings.engine import all_rules

        registry = all_rules()
    except (
        ImportError,
        SyntaxError,
        ValueError,
    ) as exc:  # a rule module mid-edit must not cost the whole report
        log.warning("finding rules unavailable for SARIF rule metadata: %s", exc)
        return []
    return [
        _descriptor(
            r.id,
            title=r.title,
            severity=r.severity,
            remediation=r.remediation,
            dimension=r.dimension.value if r.dimension else None,
            tags=list(r.tags),
        )
        for r in sorted(registry.values(), key=lambda r: r.id)
    ]


def fingerprint(finding: Finding) -> str:
    key = "\x1f".join(
        [finding.rule_id, finding.path, str(finding.line or 0), " ".join(finding.message.split())]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def artifact_uri(path: str) -> str:
    """A relative URI reference for a POSIX path relative to the source root."""
    clean = path.replace("\\", "/").lstrip("/")
    while clean.startswith("./"):
        clean = clean[2:]
    return quote(clean, safe="/") or "."


def _result(finding: Finding, index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": SRCROOT},
    }
    if finding.line is not None and finding.line >= 1:
        physical["region"] = {"startLine": finding.line}
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": LEVEL[finding.severity],
        "message": {"text": " ".join(finding.message.split()) or finding.title},
        "locations": [{"physicalLocation": physical}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {
            "severity": finding.severity.value,
            **({"dimension": finding.dimension.value} if finding.dimension else {}),
        },
    }


def build_sarif(
    assessment: Assessment, rules: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The SARIF log as a dict; ``rules`` defaults to every registered finding rule."""
    descriptors = list(_registered_rules() if rules is None else rules)
    index = {rule["id"]: i for i, rule in enumerate(descriptors)}
    findings = sorted_findings(assessment.findings)
    for finding in findings:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(descriptors)
            descriptors.append(
                _descriptor(
                    finding.rule_id,
                    title=finding.title,
                    severity=finding.severity,
                    remediation=finding.remediation,
                    dimension=finding.dimension.value if finding.dimension else None,
                    tags=finding.tags,
                )
            )
    source = assessment.source
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "HyperScore",
                "version": assessment.tool_version,
                "semanticVersion": assessment.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "automationDetails": {"id": "hyperscore/"},
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The root of the assessed project."}}
        },
        "results": [_result(f, index[f.rule_id]) for f in findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "score": assessment.score,
            "level": assessment.level,
            "dimensions": dict(assessment.dimensions),
        },
    }
    url = urlsplit(source.location)
    if source.revision and url.scheme in ("https", "http") and not url.username:
        run["versionControlProvenance"] = [
            {"repositoryUri": source.location, "revisionId": source.revision}
        ]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(assessment: Assessment) -> str:
    return json.dumps(build_sarif(assessment), indent=2, ensure_ascii=False) + "\n"

"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

One run; ``tool.driver.rules`` lists every registered finding rule (the engine's metadata, so
the rules are described even when they did not fire) plus any rule a finding names that is
not registered. Severity maps to SARIF ``level`` (critical/high -> error, medium -> warning,
low -> note) and to GitHub's ``security-severity`` (9.0/7.0/5.0/3.0). Locations are relative
to ``%SRCROOT%``; ``partialFingerprints`` is a stable hash of rule, path, line and message, so
code scanning tracks an alert across runs.

Stage checks become results too (:func:`stage_results`): each refuted logic obligation (rule
``logic/<kind>``, one per obligation kind, at the check's first evidence citation, the
counterexample in the message) and each failed sandbox run (rule ``sandbox/<kind>``). They carry
no ``security-severity``: an inconsistency or a red test run is not a vulnerability, and code
scanning files rules with that property under security.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any
from urllib.parse import quote, urlsplit

from hyperscore.evaluators.assessment import Assessment, Check, Finding, Severity
from hyperscore.evaluators.report import INFORMATION_URI, sections, sorted_findings, text_blocks

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


# Which checks of which stage become results, and at what level.
STAGE_RESULTS: dict[str, tuple[frozenset[str], str]] = {
    "logic": (frozenset({"refuted"}), "warning"),
    "sandbox": (frozenset({"failed", "error"}), "error"),
}
STAGE_HELP = {
    "logic": "A proof obligation derived from the project's files was refuted by z3: the "
    "files contradict each other. The message gives the counterexample; docs/logic.md lists "
    "every obligation kind.",
    "sandbox": "One of the project's own test commands failed when HyperScore ran it in an "
    "isolated sandbox. The message gives the exit status and the test counts.",
}


def stage_rule_id(stage: str, kind: str) -> str:
    """``logic/dag.acyclic``, ``sandbox/pytest`` (a check kind already starts with its stage)."""
    return f"{stage}/{kind.removeprefix(stage + '.')}"


def _stage_descriptor(stage: str, kind: str, level: str) -> dict[str, Any]:
    rule_id = stage_rule_id(stage, kind)
    title = (
        f"Logic obligation {kind} refuted" if stage == "logic" else f"Sandboxed run {kind} failed"
    )
    return {
        "id": rule_id,
        "name": rule_name(rule_id.replace("/", "-").replace(".", "-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": STAGE_HELP[stage]},
        "help": {"text": STAGE_HELP[stage], "markdown": f"**{title}**\n\n{STAGE_HELP[stage]}\n"},
        "helpUri": f"{INFORMATION_URI}#stages",
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["mlops", stage], "problem.severity": level},
    }


def _stage_message(stage: str, check: Check) -> str:
    text = " ".join(check.statement.split())
    if stage == "logic":
        text = f"Refuted: {text}"
    elif sections.is_run(check):
        text = f"Failed: {text} ({', '.join(sections.run_facts(check))})"
    if check.counterexample:
        text += f". Counterexample: {' '.join(check.counterexample.split())}"
    return text


def _stage_result(stage: str, check: Check, level: str, index: int) -> dict[str, Any]:
    rule_id = stage_rule_id(stage, check.kind)
    message = _stage_message(stage, check)
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": index,
        "level": level,
        "message": {"text": message},
    }
    cite = next((c for c in check.evidence if c.path), None)
    if cite is not None:
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": artifact_uri(cite.path), "uriBaseId": SRCROOT}
        }
        if cite.line is not None and cite.line >= 1:
            physical["region"] = {"startLine": cite.line}
        result["locations"] = [{"physicalLocation": physical}]
    key = "\x1f".join(
        [rule_id, check.id, cite.location if cite else "", check.counterexample or ""]
    )
    result["partialFingerprints"] = {
        FINGERPRINT_KEY: hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    }
    result["properties"] = {"stage": stage, "check": check.id, "result": check.result}
    return result


def stage_results(
    assessment: Assessment, descriptors: list[dict[str, Any]], index: dict[str, int]
) -> list[dict[str, Any]]:
    """Results for refuted obligations and failed sandbox runs; adds their rules in place.

    Every logic obligation kind the stage checked gets a rule (so a rule exists before it
    ever fires); a sandbox rule is added when a run of that kind fails.
    """
    results: list[dict[str, Any]] = []
    for stage, (bad, level) in STAGE_RESULTS.items():
        result = assessment.stages.get(stage)
        if result is None:
            continue
        kinds = [c.kind for c in result.checks if stage == "logic" or c.result in bad]
        for kind in sorted(set(kinds)):
            rule_id = stage_rule_id(stage, kind)
            if rule_id not in index:
                index[rule_id] = len(descriptors)
                descriptors.append(_stage_descriptor(stage, kind, level))
        for check in result.checks:
            if check.result in bad:
                rule_id = stage_rule_id(stage, check.kind)
                results.append(_stage_result(stage, check, level, index[rule_id]))
    return results


def _run_properties(assessment: Assessment) -> dict[str, Any]:
    props: dict[str, Any] = {
        "score": assessment.score,
        "level": assessment.level,
        "dimensions": dict(assessment.dimensions),
    }
    if assessment.hyper_score is not None:
        props["hyperScore"] = assessment.hyper_score
    if assessment.score_interval is not None:
        props["scoreInterval"] = list(assessment.score_interval)
    if assessment.stages:
        props["stages"] = {
            name: {"status": s.status, "score": s.score} for name, s in assessment.stages.items()
        }
    return props


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
    results = [_result(f, index[f.rule_id]) for f in findings]
    results += stage_results(assessment, descriptors, index)
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
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": _run_properties(assessment),
    }
    url = urlsplit(source.location)
    if source.revision and url.scheme in ("https", "http") and not url.username:
        run["versionControlProvenance"] = [
            {"repositoryUri": source.location, "revisionId": source.revision}
        ]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(assessment: Assessment) -> str:
    return json.dumps(build_sarif(assessment), indent=2, ensure_ascii=False) + "\n"

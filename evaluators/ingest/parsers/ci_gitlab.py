"""GitLab CI: ``.gitlab-ci.yml`` and included fragments (``*.gitlab-ci.yml``, ``.gitlab/ci/``).

Jobs are resolved the way GitLab does before they are read: ``extends`` chains are deep-merged
(mappings merge, lists are replaced), ``!reference [.tpl, script]`` tags are expanded and the
``default:``/top-level ``image``, ``services``, ``before_script`` and ``after_script`` are
inherited unless ``inherit: default: false``. Each script section becomes one step. Jobs without
``needs`` wait for every job of the previous stage, recorded as ``needs_source="stage-order"``
(the nearest earlier stage that has jobs; earlier ones follow transitively).
"""

from __future__ import annotations

import re
from typing import Any

from hyperscore.evaluators.ingest.parsers.ci_build import (
    JobDraft,
    PipelineDraft,
    StepDraft,
    add_matrix_values,
    build_evidence,
    order_by_stages,
    stage_links,
)
from hyperscore.evaluators.ingest.parsers.ci_common import (
    ActionRef,
    classify_ref,
    versioned_ref,
)
from hyperscore.evaluators.ingest.parsers.ci_shell import redact
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    Budget,
    LineDict,
    LineList,
    end_of,
    key_line,
    load_yaml_lines,
    mapping,
    parse_duration_minutes,
    scalar,
    seq,
    strings,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

_RESERVED = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache",
     "before_script", "after_script", "types", "spec"}
)  # fmt: skip
_DEFAULT_STAGES = ["build", "test", "deploy"]
_SCRIPT_SECTIONS = ("before_script", "script", "after_script")
_INHERITED = ("image", "services", "before_script", "after_script", "timeout", "tags")
_SOURCE_RE = re.compile(r"\$CI_PIPELINE_SOURCE\s*[=!]=\s*[\"']?(\w+)")
_BRANCH_RE = re.compile(
    r"\$CI_COMMIT_(?:BRANCH|REF_NAME)\s*==\s*(?:[\"']([^\"']+)[\"']|(\$CI_DEFAULT_BRANCH))"
)
#: GitLab pipeline sources and ``only:`` keywords -> the shared trigger vocabulary.
_SOURCES = {
    "push": "push", "branches": "push", "merge_request_event": "merge_request",
    "merge_requests": "merge_request", "schedule": "schedule", "schedules": "schedule",
    "web": "manual", "chat": "manual", "api": "webhook", "trigger": "webhook",
    "triggers": "webhook", "pipeline": "pipeline", "pipelines": "pipeline",
    "parent_pipeline": "pipeline", "external_pull_request_event": "pull_request",
    "external_pull_requests": "pull_request", "tags": "tag",
}  # fmt: skip
_MAX_DEPTH = 11


def _is_gitlab_ci(path: str) -> bool:
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    if name.endswith((".gitlab-ci.yml", ".gitlab-ci.yaml")) or name in {
        "gitlab-ci.yml",
        "gitlab-ci.yaml",
    }:
        return True
    return low.startswith(".gitlab/ci/") and name.endswith((".yml", ".yaml"))


def _deep_merge(base: dict[Any, Any], extra: dict[Any, Any], budget: Budget) -> dict[Any, Any]:
    """GitLab's ``extends`` merge: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    budget.spend(len(extra))
    for key, value in extra.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = _deep_merge(current, value, budget)
        else:
            merged[key] = value
    return merged


class _Resolver:
    """``extends`` and ``!reference`` resolution over one document (cycles are cut)."""

    def __init__(self, doc: LineDict) -> None:
        self.doc = doc
        self.cache: dict[str, tuple[dict[Any, Any], dict[Any, int | None]]] = {}
        self.visiting: set[str] = set()
        self.budget = Budget(200_000, "GitLab extends/!reference resolution")

    def job(self, name: str) -> tuple[dict[Any, Any], dict[Any, int | None]]:
        """The merged job body and, per key, the line where the winning value is written."""
        if name in self.cache:
            return self.cache[name]
        body = mapping(self.doc.get(name))
        merged: dict[Any, Any] = {}
        lines: dict[Any, int | None] = {}
        self.visiting.add(name)
        for parent in strings(body.get("extends"))[:_MAX_DEPTH]:
            if parent in self.doc and parent not in self.visiting:
                parent_body, parent_lines = self.job(parent)
                merged = _deep_merge(merged, parent_body, self.budget)
                lines.update(parent_lines)
        self.visiting.discard(name)
        own = {k: v for k, v in body.items() if k != "extends"}
        merged = _deep_merge(merged, own, self.budget)
        lines.update({k: key_line(body, k) for k in own})
        self.cache[name] = (merged, lines)
        return merged, lines

    def expand(self, value: Any, depth: int = 0) -> list[str]:
        """Script lines with ``!reference`` tags and nested lists flattened."""
        is_reference = isinstance(value, LineList) and value.tag == "!reference"
        out: list[str] = []
        for item in [value] if is_reference else seq(value):
            self.budget.spend()
            if isinstance(item, LineList) and item.tag == "!reference":
                if depth < _MAX_DEPTH:
                    out += self.expand(self._lookup(item), depth + 1)
            elif isinstance(item, list):
                if depth < _MAX_DEPTH:
                    out += self.expand(item, depth + 1)
            else:
                text = scalar(item)
                if text is not None:
                    out.append(text)
        return out

    def _lookup(self, path: list[Any]) -> Any:
        target: Any = self.doc
        for part in path:
            target = target.get(str(part)) if isinstance(target, dict) else None
        return target


def _variables(value: Any) -> dict[str, str]:
    """``variables:`` as name -> value text (the long form keeps its ``value``)."""
    out: dict[str, str] = {}
    for key, raw in mapping(value).items():
        text = scalar(raw.get("value")) if isinstance(raw, dict) else scalar(raw)
        out[str(key)] = text or ""
    return out


def _image(value: Any) -> str | None:
    return scalar(value.get("name")) if isinstance(value, dict) else scalar(value)


def _conditions(body: dict[Any, Any]) -> tuple[str | None, list[str], bool]:
    """(condition text, pipeline-source/only keywords seen, whether a rule makes it manual)."""
    parts: list[str] = []
    keywords: list[str] = []
    manual = False
    for rule in seq(body.get("rules")):
        rule_map = mapping(rule)
        condition = scalar(rule_map.get("if"))
        if condition:
            parts.append(condition)
        manual = manual or scalar(rule_map.get("when")) == "manual"
    for key in ("only", "except"):
        value = body.get(key)
        refs = strings(mapping(value).get("refs")) if isinstance(value, dict) else strings(value)
        if refs:
            parts.append(f"{key}: {', '.join(refs)}")
            if key == "only":
                keywords += refs
    return (" || ".join(parts) or None), keywords, manual


def _includes(draft: PipelineDraft, doc: LineDict, path: str) -> None:
    entries = doc.get("include")
    for idx, item in enumerate(seq(entries)):
        line = (
            entries.item_lines[idx] if isinstance(entries, LineList) else key_line(doc, "include")
        )
        if isinstance(item, str):
            entry: dict[Any, Any] = {"remote": item} if "://" in item else {"local": item}
        else:
            entry = item if isinstance(item, dict) else {}
        local, template, remote = (
            scalar(entry.get("local")),
            scalar(entry.get("template")),
            scalar(entry.get("remote")),
        )
        project, component = scalar(entry.get("project")), scalar(entry.get("component"))
        if local:
            draft.includes.append(f"local:{local}")
            target = local.lstrip("/")
            if "*" not in target and "$" not in target:
                draft.links.append(Link(src=f"file:{path}", dst=f"file:{target}", rel="includes"))
        elif template:
            draft.includes.append(f"template:{template}")
            draft.uses.append(
                ActionRef(action=f"template:{template}", pin="none", owner="gitlab", line=line)
            )
        elif remote:
            remote = redact(remote)  # a URL may carry credentials
            draft.includes.append(f"remote:{remote}")
            draft.uses.append(ActionRef(action=remote, pin="none", third_party=True, line=line))
        elif project:
            ref = scalar(entry.get("ref"))
            for file in strings(entry.get("file")):
                draft.includes.append(f"project:{project}:{file}" + (f"@{ref}" if ref else ""))
                draft.uses.append(versioned_ref(f"{project}:{file}", ref, line))
        elif component:
            name, _, ref = component.partition("@")
            parts = name.split("/")
            draft.includes.append(f"component:{component}")
            owner = parts[1] if len(parts) > 1 else ""
            draft.uses.append(
                ActionRef(
                    action=name,
                    ref=ref or None,
                    pin=classify_ref(ref or None),
                    owner=owner,
                    third_party=True,
                    line=line,
                )
            )


def _job(
    name: str, resolver: _Resolver, doc: LineDict, defaults: dict[str, Any]
) -> JobDraft | None:
    body, lines = resolver.job(name)
    if not any(k in body for k in ("script", "trigger", "run")):
        return None
    raw = doc.get(name)
    job = JobDraft(job_id=name, line=key_line(doc, name), end_line=end_of(raw))
    inherit = mapping(body.get("inherit")).get("default", True)
    inherited = {
        k: v
        for k, v in defaults.items()
        if inherit is True or (isinstance(inherit, list) and k in inherit)
    }
    job.stage = scalar(body.get("stage")) or "test"
    job.image = _image(body.get("image", inherited.get("image")))
    job.services = [
        s for s in (_image(v) for v in seq(body.get("services", inherited.get("services")))) if s
    ]
    environment = body.get("environment")
    job.environment = _image(environment)
    job.runs_on = strings(body.get("tags", inherited.get("tags")))
    job.condition, _, rule_manual = _conditions(body)
    job.manual_approval = rule_manual or scalar(body.get("when")) == "manual"
    if "needs" in body:
        job.needs_source = "explicit"
        for need in seq(body["needs"]):
            dep = scalar(need) if not isinstance(need, dict) else scalar(need.get("job"))
            if dep:
                job.needs.append(dep)
    job.timeout_minutes = parse_duration_minutes(body.get("timeout", inherited.get("timeout")))
    job.continue_on_error = body.get("allow_failure") not in (None, False)
    for combo in seq(mapping(body.get("parallel")).get("matrix")):
        for key, values in mapping(combo).items() if isinstance(combo, dict) else ():
            add_matrix_values(job, str(key), values)
    job.env = _variables(body.get("variables"))
    job.secrets |= (
        {str(k) for k in mapping(body.get("secrets"))}
        if isinstance(body.get("secrets"), dict)
        else set()
    )
    trigger = body.get("trigger")
    if trigger is not None:
        target = (
            scalar(trigger) if not isinstance(trigger, dict) else scalar(trigger.get("project"))
        )
        job.downstream = target or _image(mapping(trigger).get("include")) or "child-pipeline"
    for section in _SCRIPT_SECTIONS:
        value = body.get(section, inherited.get(section))
        if value is None:
            continue
        commands = resolver.expand(value)
        line = lines.get(section) if section in body else defaults.get(f"{section}:line")
        job.steps.append(
            StepDraft(
                name=section,
                line=line,
                end_line=end_of(value) if section in body else None,
                run="\n".join(commands),
                commands=commands,
            )
        )
    return job


def _defaults(doc: LineDict) -> dict[str, Any]:
    """``default:`` settings (or the deprecated top-level forms) with the line of each."""
    default = mapping(doc.get("default"))
    out: dict[str, Any] = {}
    for key in _INHERITED:
        if key in default:
            out[key], out[f"{key}:line"] = default[key], key_line(default, key)
        elif key in doc and key not in {"timeout", "tags"}:
            out[key], out[f"{key}:line"] = doc[key], key_line(doc, key)
    return out


def _triggers(
    draft: PipelineDraft, doc: LineDict, jobs: list[tuple[dict[Any, Any], JobDraft]]
) -> None:
    texts: list[str] = []
    keywords: list[str] = []
    workflow_condition, workflow_keywords, _ = _conditions(mapping(doc.get("workflow")))
    texts.append(workflow_condition or "")
    keywords += workflow_keywords
    for body, job in jobs:
        texts.append(job.condition or "")
        keywords += _conditions(body)[1]
    text = "\n".join(texts)
    sources = _SOURCE_RE.findall(text)
    draft.events = list(dict.fromkeys(sources))
    draft.triggers = ["push"]
    for word in [*sources, *keywords]:
        if word in _SOURCES:
            draft.triggers.append(_SOURCES[word])
        elif word not in {"branches", "tags"} and re.fullmatch(r"[\w./*-]+", word):
            draft.branches.append(word)
    if "$CI_COMMIT_TAG" in text:
        draft.triggers.append("tag")
    if any(job.manual_approval for _, job in jobs):
        draft.triggers.append("manual")
    for literal, default_branch in _BRANCH_RE.findall(text):
        draft.branches.append(literal or default_branch)


@parser("ci-gitlab", Modality.CI, _is_gitlab_ci)
def parse_gitlab_ci(source: ParseInput) -> list[Evidence]:
    """Jobs (resolved), stages and their order, includes, rules/only-derived triggers."""
    docs = [d for d in load_yaml_lines(source.text) if d is not None]
    if docs and isinstance(docs[0], dict) and set(docs[0]) == {"spec"} and len(docs) > 1:
        docs = docs[1:]  # a CI/CD component: the spec header precedes the content
    if not docs:
        return []
    doc = docs[0]
    if not isinstance(doc, LineDict):
        raise ValueError(f"GitLab CI file: top level is {type(doc).__name__}, expected a mapping")
    name = source.name.lower()
    draft = PipelineDraft(system="gitlab-ci", name=source.path, end_line=len(source.lines) or None)
    draft.fragment = name not in {".gitlab-ci.yml", ".gitlab-ci.yaml"}
    draft.env = _variables(doc.get("variables"))
    draft.image = _image(mapping(doc.get("default")).get("image", doc.get("image")))
    declared = strings(doc.get("stages"))
    draft.stages = declared or list(_DEFAULT_STAGES)
    order = [".pre", *[s for s in draft.stages if s not in {".pre", ".post"}], ".post"]
    _includes(draft, doc, source.path)
    resolver = _Resolver(doc)
    defaults = _defaults(doc)
    resolved: list[tuple[dict[Any, Any], JobDraft]] = []
    for key in doc:
        job_name = str(key)
        if job_name in _RESERVED or job_name.startswith(".") or not isinstance(doc[key], dict):
            continue
        job = _job(job_name, resolver, doc, defaults)
        if job is not None:
            resolved.append((resolver.job(job_name)[0], job))
    jobs = [job for _, job in resolved]
    order_by_stages(jobs, order)
    _triggers(draft, doc, resolved)
    stage_links(source.path, draft, jobs)
    return build_evidence(source.path, draft, jobs)

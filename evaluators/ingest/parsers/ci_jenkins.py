"""Jenkins pipelines (``Jenkinsfile*``, ``*.jenkinsfile``, ``*.groovy`` under jenkins folders).

Groovy cannot be parsed safely without running it, so this is a lexical reader: one pass finds
string literals, comments and matching braces; regexes then match only in code. Each
``stage('Name') { ... }`` is a job; ``sh``/``bat``/``powershell`` calls inside it (not inside a
nested stage) are its steps. Ordering: sibling stages run in sequence (each needs the previous
one, ``needs_source="stage-order"``) unless they sit in a ``parallel`` block. Also read:
``agent`` images and labels, ``triggers`` (``cron``/``pollSCM``/``upstream``), ``parameters``
(manual runs), ``when`` conditions, ``input`` approval gates, ``timeout``, ``environment``
names, credentials (``credentials('id')``, ``withCredentials`` ids and the variables bound to
them) and shared libraries (``@Library('lib@ref')`` as pinned references). Calls outside every
stage form a job named ``pipeline``.
"""

from __future__ import annotations

import bisect
import re
import textwrap
from dataclasses import dataclass, field

from hyperscore.evaluators.ingest.parsers.ci_build import (
    JobDraft,
    PipelineDraft,
    StepDraft,
    build_evidence,
)
from hyperscore.evaluators.ingest.parsers.ci_common import (
    versioned_ref,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Modality

_TOKEN_RE = re.compile(r"'''|\"\"\"|'|\"|//|/\*|[{}()]")
_QUOTE_END = {"'": re.compile(r"(?:[^'\\\n]|\\.)*'"), '"': re.compile(r'(?:[^"\\\n]|\\.)*"')}
_STAGE_RE = re.compile(r"\bstage\s*\(\s*(?:name\s*:\s*)?(['\"])((?:(?!\1).){1,200})\1\s*\)\s*\{")
_SHELL_RE = re.compile(r"\b(sh|bat|powershell|pwsh)\b\s*\(?\s*")
_SCRIPT_ARG_RE = re.compile(r"[^\n]{0,300}?\bscript\s*:\s*")
_IMAGE_RE = re.compile(
    r"\bdocker\s*\{[^{}]*?\bimage\s+['\"]([^'\"]+)['\"]|\bdocker\s+['\"]([^'\"]+)['\"]"
    r"|\bdocker\.image\(\s*['\"]([^'\"]+)['\"]"
)
_LABEL_RE = re.compile(
    r"\blabel\s*(?:\(|\s)\s*['\"]([^'\"]+)['\"]|\bnode\s*\(\s*['\"]([^'\"]+)['\"]"
)
_CRON_RE = re.compile(r"\bcron\s*\(\s*(?:spec\s*:\s*)?['\"]([^'\"]+)['\"]")
_UPSTREAM_RE = re.compile(r"\bupstream\s*\(\s*(?:upstreamProjects\s*:\s*)?['\"]([^'\"]+)['\"]")
_INPUT_RE = re.compile(r"\binput\s*(?:\(|\{|['\"]|message\s*:)")
_WHEN_RE = re.compile(r"\bwhen\s*\{")
_BRANCH_RE = re.compile(r"\bbranch\s*(?:\(\s*)?['\"]([^'\"]+)['\"]")
_TIMEOUT_RE = re.compile(
    r"\btimeout\s*\(\s*(?:time\s*:\s*)?(\d+)(?:\s*,\s*unit\s*:\s*['\"](\w+)['\"])?"
)
_CREDENTIAL_RE = re.compile(
    r"\bcredentials\s*(?:\(|:)\s*['\"]([^'\"]+)['\"]|\bcredentialsId\s*:\s*['\"]([^'\"]+)['\"]"
    r"|\bsshagent\s*\(\s*(?:credentials\s*:\s*)?\[?\s*['\"]([^'\"]+)['\"]"
)
_CREDENTIAL_VAR_RE = re.compile(
    r"\b(?:variable|usernameVariable|passwordVariable|keyFileVariable|passphraseVariable"
    r"|tokenVariable)\s*:\s*['\"](\w+)['\"]|\b(\w+)\s*=\s*credentials\s*\("
)
_ENV_BLOCK_RE = re.compile(r"\benvironment\s*\{")
_ENV_ASSIGN_RE = re.compile(r"^[ \t]*(\w+)[ \t]*=", re.MULTILINE)
_LIBRARY_RE = re.compile(
    r"@Library\s*\(\s*\[?\s*['\"]([^'\"]+)['\"]|\blibrary\s*\(?\s*['\"]([^'\"]+)['\"]"
)
_DOWNSTREAM_RE = re.compile(r"\bbuild\s*\(?\s*job\s*:\s*['\"]([^'\"]+)['\"]")
_UNIT_MINUTES = {"SECONDS": 1 / 60, "MINUTES": 1.0, "HOURS": 60.0, "DAYS": 1440.0}


def _is_jenkins(path: str) -> bool:
    low = path.lower()
    parts = low.split("/")
    name = parts[-1]
    if name.startswith("jenkinsfile") or name.endswith(".jenkinsfile"):
        return True
    return name.endswith(".groovy") and any(
        p in {"jenkins", ".jenkins", "jenkinsfiles"} for p in parts[:-1]
    )


@dataclass
class _Source:
    """Lexical structure of a Groovy file: literals, non-code spans and brace pairs."""

    text: str
    literals: dict[int, tuple[int, int]] = field(default_factory=dict)
    skipped: list[tuple[int, int]] = field(default_factory=list)
    braces: dict[int, int] = field(default_factory=dict)
    parent: dict[int, int | None] = field(default_factory=dict)
    line_starts: list[int] = field(default_factory=list)

    def scan(self) -> _Source:
        text, pos = self.text, 0
        stack: list[tuple[str, int]] = []
        while (match := _TOKEN_RE.search(text, pos)) is not None:
            lexeme, start, pos = match.group(), match.start(), match.end()
            if lexeme in {"'''", '"""'}:
                close = text.find(lexeme, pos)
                end = len(text) if close < 0 else close + 3
                self.literals[start] = (pos, end - 3 if close >= 0 else end)
            elif lexeme in {"'", '"'}:
                quoted = _QUOTE_END[lexeme].match(text, pos)
                if quoted is not None:
                    end = quoted.end()
                    self.literals[start] = (pos, end - 1)
                else:  # unterminated: the literal runs to the end of the line
                    newline = text.find("\n", pos)
                    end = len(text) if newline < 0 else newline
                    self.literals[start] = (pos, end)
            elif lexeme == "//":
                newline = text.find("\n", pos)
                end = len(text) if newline < 0 else newline
            elif lexeme == "/*":
                close = text.find("*/", pos)
                end = len(text) if close < 0 else close + 2
            else:
                if lexeme in "{(":
                    if lexeme == "{":
                        self.parent[start] = next((o for t, o in reversed(stack) if t == "{"), None)
                    stack.append((lexeme, start))
                elif stack and stack[-1][0] == ("{" if lexeme == "}" else "("):
                    opened = stack.pop()[1]
                    if lexeme == "}":
                        self.braces[opened] = start
                continue
            self.skipped.append((start, max(end, pos)))
            pos = max(end, pos)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        return self

    def in_code(self, pos: int) -> bool:
        idx = bisect.bisect_right(self.skipped, (pos, len(self.text) + 1)) - 1
        return idx < 0 or not self.skipped[idx][0] <= pos < self.skipped[idx][1]

    def line(self, pos: int) -> int:
        """1-based line of ``pos`` (the end of the text counts as the last line)."""
        last = len(self.line_starts) - (1 if self.text.endswith("\n") else 0)
        return max(1, min(bisect.bisect_right(self.line_starts, pos), last))

    def literal_at(self, pos: int) -> str | None:
        span = self.literals.get(pos)
        return self.text[span[0] : span[1]] if span else None

    def opener(self, brace: int) -> str:
        """The word before a ``{`` (skipping one ``(...)``): ``parallel``, ``stages``, ``steps``."""
        text, low, idx = self.text, max(0, brace - 200), brace - 1
        while idx >= low and text[idx].isspace():
            idx -= 1
        if idx >= low and text[idx] == ")":
            paren = text.rfind("(", low, idx)
            if paren < 0 or text.find(")", paren + 1, idx) >= 0:
                return ""
            idx = paren - 1
            while idx >= low and text[idx].isspace():
                idx -= 1
        end = idx + 1
        while idx >= low and (text[idx].isalnum() or text[idx] == "_"):
            idx -= 1
        return text[idx + 1 : end]


@dataclass
class _Stage:
    name: str
    start: int
    open: int
    close: int
    job: JobDraft


class _Owners:
    """Innermost stage around each position, for positions queried in increasing order.

    Stage bodies come from matched braces, so they nest; a sweep with a stack answers each
    query in amortised constant time (scanning every stage per match would be quadratic).
    """

    def __init__(self, stages: list[_Stage]) -> None:
        self.stages = sorted(stages, key=lambda s: s.open)
        self.next = 0
        self.stack: list[_Stage] = []

    def at(self, pos: int) -> _Stage | None:
        while self.next < len(self.stages) and self.stages[self.next].open < pos:
            stage = self.stages[self.next]
            self.next += 1
            while self.stack and self.stack[-1].close <= stage.open:
                self.stack.pop()
            self.stack.append(stage)
        while self.stack and self.stack[-1].close <= pos:
            self.stack.pop()
        return self.stack[-1] if self.stack else None


def _stages(src: _Source) -> list[_Stage]:
    stages: list[_Stage] = []
    seen: dict[str, int] = {}
    for match in _STAGE_RE.finditer(src.text):
        if not src.in_code(match.start()):
            continue
        brace = match.end() - 1
        name = match.group(2)
        seen[name] = seen.get(name, 0) + 1
        job_id = name if seen[name] == 1 else f"{name}#{seen[name]}"
        close = src.braces.get(brace, len(src.text))
        job = JobDraft(job_id=job_id, line=src.line(match.start()), end_line=src.line(close))
        job.display_name = name if job_id != name else None
        stages.append(_Stage(name, match.start(), brace, close, job))
    last_in_container: dict[int | None, _Stage] = {}
    for stage in stages:
        container = src.parent.get(stage.open)
        if container is not None and src.opener(container) == "parallel":
            continue
        previous = last_in_container.get(container)
        if previous is not None:
            stage.job.needs, stage.job.needs_source = [previous.job.job_id], "stage-order"
        last_in_container[container] = stage
    return stages


def _shell_steps(src: _Source, stages: list[_Stage], fallback: JobDraft) -> None:
    owners = _Owners(stages)
    for match in _SHELL_RE.finditer(src.text):
        if not src.in_code(match.start()):
            continue
        pos = match.end()
        script = src.literal_at(pos)
        if script is None:
            named = _SCRIPT_ARG_RE.match(src.text, pos)
            script = src.literal_at(named.end()) if named else None
        if script is None:
            continue
        owner = owners.at(match.start())
        job = owner.job if owner else fallback
        line = src.line(match.start())
        run = textwrap.dedent(script).strip("\n")
        job.steps.append(
            StepDraft(
                name="",
                line=line,
                end_line=src.line(pos + len(script)),
                run=run,
                shell=match.group(1),
            )
        )


def _assign(
    src: _Source, pattern: re.Pattern[str], stages: list[_Stage], fallback: JobDraft
) -> list[tuple[JobDraft, re.Match[str], bool]]:
    """Matches in code with the job they belong to (innermost stage, else the fallback)."""
    out = []
    owners = _Owners(stages)
    for match in pattern.finditer(src.text):
        if src.in_code(match.start()):
            owner = owners.at(match.start())
            out.append((owner.job if owner else fallback, match, owner is None))
    return out


@parser("ci-jenkins", Modality.CI, _is_jenkins)
def parse_jenkinsfile(source: ParseInput) -> list[Evidence]:
    """Stages as jobs, shell steps, agents, triggers, approvals, credentials, libraries."""
    text = source.text
    if not re.search(r"\b(pipeline|node|stage)\b", text):
        return []
    src = _Source(text).scan()
    draft = PipelineDraft(system="jenkins", name=source.path, end_line=len(source.lines) or None)
    fallback = JobDraft(job_id="pipeline", line=1, end_line=len(source.lines) or None)
    stages = _stages(src)
    _shell_steps(src, stages, fallback)
    jobs = [s.job for s in stages]
    default_image: str | None = None
    default_labels: list[str] = []
    for job, match, top in _assign(src, _IMAGE_RE, stages, fallback):
        image = next(g for g in match.groups() if g)
        default_image = image if top and default_image is None else default_image
        job.image = job.image or image
    for job, match, top in _assign(src, _LABEL_RE, stages, fallback):
        label = next(g for g in match.groups() if g)
        (default_labels if top else job.runs_on).append(label)
    for job, match, _ in _assign(src, _CREDENTIAL_RE, stages, fallback):
        job.secrets.add(next(g for g in match.groups() if g))
    for _, match, _ in _assign(src, _CREDENTIAL_VAR_RE, stages, fallback):
        draft.secret_vars.add(next(g for g in match.groups() if g))
    for job, match, _ in _assign(src, _DOWNSTREAM_RE, stages, fallback):
        job.downstream = match.group(1)
    for _, match, _ in _assign(src, _LIBRARY_RE, stages, fallback):
        name, _, ref = next(g for g in match.groups() if g).partition("@")
        draft.uses.append(versioned_ref(name, ref or None, src.line(match.start())))
    for job, _, _ in _assign(src, _INPUT_RE, stages, fallback):
        job.manual_approval = True
    for job, match, _ in _assign(src, _TIMEOUT_RE, stages, fallback):
        job.timeout_minutes = int(match.group(1)) * _UNIT_MINUTES.get(
            (match.group(2) or "MINUTES").upper(), 1.0
        )
    for job, match, _ in _assign(src, _WHEN_RE, stages, fallback):
        close = src.braces.get(match.end() - 1, match.end())
        body = " ".join(text[match.end() : close].split())
        job.condition = body[:300] or None
        draft.branches += [b.group(1) for b in _BRANCH_RE.finditer(body)]
    for job, match, top in _assign(src, _ENV_BLOCK_RE, stages, fallback):
        close = src.braces.get(match.end() - 1, match.end())
        names = {m.group(1): "" for m in _ENV_ASSIGN_RE.finditer(text, match.end(), close)}
        (draft.env if top else job.env).update(names)
    crons = [m for _, m, _ in _assign(src, _CRON_RE, stages, fallback)]
    draft.schedules = [m.group(1) for m in crons]
    draft.triggers = ["schedule"] if crons else []
    if re.search(r"\bpollSCM\s*\(|\bgithubPush\s*\(", text):
        draft.triggers.append("push")
    upstream = [m.group(1) for _, m, _ in _assign(src, _UPSTREAM_RE, stages, fallback)]
    if upstream:
        draft.triggers.append("pipeline")
        draft.upstream = upstream
    if re.search(r"\bGenericTrigger\s*\(|\bgitlab\s*\(|\bbitbucketPush\s*\(", text):
        draft.triggers.append("webhook")
    if re.search(r"\bparameters\s*[{(]|\bparameters\s*\(\s*\[", text):
        draft.triggers.append("manual")
    for job in jobs:
        job.image = job.image or default_image
        job.runs_on = job.runs_on or list(default_labels)
    if fallback.steps or not jobs:
        fallback.image, fallback.runs_on = default_image, default_labels
        jobs.insert(0, fallback)
    elif fallback.secrets or fallback.manual_approval:
        for job in jobs:
            job.secrets |= fallback.secrets
    return build_evidence(source.path, draft, jobs)

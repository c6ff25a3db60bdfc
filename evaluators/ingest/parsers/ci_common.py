"""Shared vocabulary of every CI/CD parser: the evidence kinds and reference pinning.

Each CI system (GitHub Actions, GitLab CI, Azure Pipelines, CircleCI, Bitbucket, Jenkins,
CodeBuild, Cloud Build, Travis, AppVeyor, Drone, Tekton, Argo Workflows) is read by its own
module into drafts (:mod:`.ci_build`), which are analysed once into the same three evidence
kinds -- ``ci.pipeline``, ``ci.job``, ``ci.step`` -- so rules downstream never need to know
which CI system a project uses. Reusable units pulled in by reference (actions, orbs, pipes,
tasks, templates, includes) are :class:`ActionRef` values with a pin kind.

Vocabulary notes:

* ``triggers`` (normalised): GitHub event names are kept verbatim (``push``, ``pull_request``,
  ``pull_request_target``, ``workflow_run``, ``workflow_dispatch``, ``schedule``, ``release``,
  ``issue_comment``...); other systems map onto ``push``, ``pull_request``, ``merge_request``
  (GitLab), ``tag``, ``schedule``, ``manual`` (web/custom/parameterised runs), ``webhook``
  (API/trigger tokens, event listeners), ``pipeline`` (another pipeline finished). ``events``
  keeps each system's own words. Empty triggers mean "configured outside the file"
  (Cloud Build, CodeBuild, Jenkins without ``triggers``).
* ``needs_source``: ``explicit`` (needs/dependsOn/requires/runAfter/waitFor/dependencies),
  ``stage-order`` (implied by stage or sequence order), ``none``.
* ``secrets``: names only. Plain names are secrets or variables holding them; ``<store>:<name>``
  entries name a secret store (``context:``, ``variable-group:``, ``key-vault:``,
  ``secrets-manager:``, ``parameter-store:``, ``secret-manager:``, ``k8s-secret:``).
* ``roles``: see :data:`.ci_shell.JOB_NAME_ROLES` and the command patterns in :mod:`.ci_shell`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from hyperscore.evaluators.model import Evidence, Modality

CiSystem = Literal[
    "github-actions", "gitlab-ci", "azure-pipelines", "circleci", "bitbucket", "jenkins",
    "aws-codebuild", "cloud-build", "tekton", "argo-workflows", "travis", "appveyor", "drone",
    "taskcluster",
]  # fmt: skip
PinKind = Literal["sha", "tag", "branch", "local", "docker", "none"]
NeedsSource = Literal["explicit", "stage-order", "none"]

#: Triggers meaning "runs for proposed changes", across systems (for downstream rules).
PULL_REQUEST_TRIGGERS = frozenset({"pull_request", "pull_request_target", "merge_request"})
FIRST_PARTY_OWNERS = frozenset({"actions", "github", "circleci", "atlassian", "gitlab"})

_SHA_RE = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|sha256:[0-9a-fA-F]{64}")
_VERSION_RE = re.compile(r"[vV]?\d+(?:\.\d+){0,3}(?:[-+][0-9A-Za-z.+-]+)?")


class ActionRef(BaseModel):
    """A reusable unit pulled in by reference: a GitHub action or reusable workflow, a CircleCI
    orb, a Bitbucket pipe, an Azure task or template, a GitLab include or component, a Tekton
    task or Argo template. ``pin`` says how reproducible the reference is; ``none`` means no ref
    was given (it floats with the default branch or the latest release)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: str
    ref: str | None = None
    pin: PinKind
    owner: str = ""
    third_party: bool = False
    line: int | None = None


class CiPipeline(Evidence):
    """One CI file: when it runs and what it declares globally."""

    kind: Literal["ci.pipeline"] = "ci.pipeline"
    modality: Modality = Modality.CI
    system: CiSystem
    fragment: bool = False
    triggers: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    schedules: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    permissions: str | dict[str, str] | None = None
    concurrency: str | None = None
    env: tuple[str, ...] = ()
    plaintext_secret_env: tuple[str, ...] = ()
    python_versions: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    uses: tuple[ActionRef, ...] = ()
    image: str | None = None
    secrets: tuple[str, ...] = ()
    job_ids: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


class CiJob(Evidence):
    """One job (GitLab/GitHub job, Azure job, Jenkins stage, Tekton/Argo task, Cloud Build step)."""

    kind: Literal["ci.job"] = "ci.job"
    modality: Modality = Modality.CI
    system: CiSystem
    job_id: str
    display_name: str | None = None
    needs: tuple[str, ...] = ()
    needs_source: NeedsSource = "none"
    stage: str | None = None
    stage_index: int | None = None
    runs_on: tuple[str, ...] = ()
    image: str | None = None
    services: tuple[str, ...] = ()
    environment: str | None = None
    permissions: str | dict[str, str] | None = None
    condition: str | None = None
    matrix: dict[str, tuple[str, ...]] = {}
    python_versions: tuple[str, ...] = ()
    float_python_versions: tuple[str, ...] = ()
    timeout_minutes: float | None = None
    continue_on_error: bool = False
    manual_approval: bool = False
    uses: ActionRef | None = None
    inherits_secrets: bool = False
    downstream: str | None = None
    env: tuple[str, ...] = ()
    plaintext_secret_env: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    step_count: int = 0


class CiStep(Evidence):
    """One step of a job: an action/task/pipe use or a script."""

    kind: Literal["ci.step"] = "ci.step"
    modality: Modality = Modality.CI
    system: CiSystem
    job_id: str
    index: int
    step_id: str | None = None
    uses: ActionRef | None = None
    with_inputs: dict[str, str] = {}
    run: str | None = None
    commands: tuple[str, ...] = ()
    shell: str | None = None
    image: str | None = None
    working_directory: str | None = None
    env: tuple[str, ...] = ()
    condition: str | None = None
    continue_on_error: bool = False
    secrets: tuple[str, ...] = ()
    echoes_secret: bool = False
    untrusted_inputs: tuple[str, ...] = ()
    checks_out_pr_head: bool = False
    roles: tuple[str, ...] = ()
    runs: tuple[str, ...] = ()


# --------------------------------------------------------------------------- references


def classify_ref(ref: str | None) -> PinKind:
    """sha (full commit or image digest), tag (a version), branch (any other ref), none."""
    if not ref:
        return "none"
    if _SHA_RE.fullmatch(ref):
        return "sha"
    if _VERSION_RE.fullmatch(ref):
        return "tag"
    return "branch"


def github_action_ref(uses: str, line: int | None) -> ActionRef:
    """Parse ``owner/repo[/path]@ref``, ``./local/path`` or ``docker://image[:tag|@digest]``."""
    uses = uses.strip()
    if uses.startswith(("./", "../")) or uses == ".":
        return ActionRef(action=uses, pin="local", line=line)
    if uses.startswith("docker://"):
        image = uses[len("docker://") :]
        name, ref = split_image(image)
        owner = name.split("/")[-2] if name.count("/") >= 1 else "library"
        return ActionRef(
            action=uses, ref=ref, pin="docker", owner=owner, third_party=True, line=line
        )
    action, _, ref = uses.partition("@")
    return versioned_ref(action, ref or None, line)


def versioned_ref(action: str, ref: str | None, line: int | None) -> ActionRef:
    """An ``owner/name`` reference with a version; owners in FIRST_PARTY_OWNERS are first-party."""
    owner = action.split("/", 1)[0] if "/" in action else ""
    return ActionRef(
        action=action,
        ref=ref,
        pin=classify_ref(ref),
        owner=owner,
        third_party=bool(owner) and owner.lower() not in FIRST_PARTY_OWNERS,
        line=line,
    )


def split_image(image: str) -> tuple[str, str | None]:
    """``repo[:tag][@digest]`` -> (repo, tag or digest)."""
    if "@" in image:
        name, _, digest = image.partition("@")
        return name, digest
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        name, _, tag = image.rpartition(":")
        return name, tag
    return image, None


def clean_image(image: str | None) -> str | None:
    """An image reference usable as a graph node (None when it is an unresolved expression)."""
    if not image:
        return None
    image = image.strip()
    if not image or "${{" in image or "$(" in image or " " in image:
        return None
    return image

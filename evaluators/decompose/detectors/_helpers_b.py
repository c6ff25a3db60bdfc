"""Private helpers of the automation, deployment, monitoring and governance detectors.

Everything is a plain function of typed evidence; the few indexes (CI jobs by file, pipeline
stages by pipeline) are built once per :class:`DetectionContext` and memoised on it, so every
detector stays O(evidence). Roles of CI steps are recomputed from their *commands and actions
only* (never from job or step names): a step called "deploy to staging" that only runs
``pip install`` is not a deployment.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.ingest.parsers.ci_common import ActionRef, CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.ci_shell import classify_roles, split_commands
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDefinition,
    PipelineStage,
    name_tokens,
)

T = TypeVar("T")

_MEMO_KEY = "_hyperscore_helpers_b"

TEST_DIRS = frozenset(
    {"test", "tests", "testing", "__tests__", "unittests", "unit_tests", "fixtures", "testdata"}
)
VENDOR_DIRS = frozenset(
    {"node_modules", "site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", "vendor",
     "vendored", "third_party", "third-party", "3rdparty", "_vendor"}
)  # fmt: skip
_TEST_FILE = re.compile(r"^(?:test_.*|.*_test|conftest|tests?)\.py$")

#: Triggers that start a CI pipeline for a proposed or pushed change.
CHANGE_TRIGGERS = frozenset({"push", "pull_request", "pull_request_target", "merge_request"})
#: Triggers that start a pipeline without a person pressing a button.
AUTOMATIC_TRIGGERS = CHANGE_TRIGGERS | frozenset(
    {"schedule", "repository_dispatch", "workflow_run", "tag", "release", "pipeline", "webhook",
     "create", "deployment", "registry_package", "check_suite"}
)  # fmt: skip
#: Triggers fired by another system (a monitor, a webhook, another pipeline).
EXTERNAL_EVENT_TRIGGERS = frozenset({"repository_dispatch", "workflow_run", "webhook", "pipeline"})

# --------------------------------------------------------------------------- commands
_ARG = r"[^\s|;&]+"  # one shell word (stops at pipes and command separators)
#: Commands that change a running environment. Image pushes, package publishing and
#: documentation deploys (``mkdocs gh-deploy``) are deliberately not deployments.
DEPLOY_COMMAND = re.compile(
    rf"\b(?:kubectl\s+(?:{_ARG}\s+)*(?:apply|create|replace|set\s+image|rollout\s+(?:restart|undo))"
    rf"|helm\s+(?:{_ARG}\s+)*(?:install|upgrade|rollback)|helmfile\s+(?:{_ARG}\s+)*(?:apply|sync)"
    rf"|(?:terraform|tofu|terragrunt)\s+(?:{_ARG}\s+)*apply|pulumi\s+(?:{_ARG}\s+)*up"
    rf"|gcloud\s+(?:{_ARG}\s+)*deploy(?:-model)?|gcloud\s+ai\s+endpoints\s+(?:create|deploy-model)"
    r"|az\s+ml\s+online-(?:endpoint|deployment)\s+(?:create|update)"
    rf"|az\s+(?:webapp|containerapp|functionapp)\s+(?:{_ARG}\s+)*(?:create|up|update|deploy)"
    rf"|az\s+deployment\s+(?:{_ARG}\s+)*create"
    r"|aws\s+sagemaker\s+(?:create|update)-endpoint|aws\s+ecs\s+update-service"
    r"|aws\s+lambda\s+update-function-code|aws\s+cloudformation\s+(?:deploy|create-stack"
    r"|update-stack)|aws\s+deploy\s+create-deployment"
    r"|(?:serverless|sls|cdk|sam|eb|fly|flyctl|firebase|netlify|vercel|modal|railway)"
    rf"\s+(?:{_ARG}\s+)*deploy|databricks\s+bundle\s+deploy|argocd\s+app\s+sync"
    r"|bentoml\s+deploy|mlflow\s+deployments\s+create|mlflow\s+sagemaker\s+deploy"
    r"|kustomize\s+build\s+\S+\s*\|\s*kubectl|ansible-playbook|skaffold\s+(?:run|deploy)"
    r"|juju\s+deploy|heroku\s+(?:container:release|deploy))"
)
#: Actions/tasks/orbs that deploy (GitHub actions, Azure tasks, CircleCI orbs...).
DEPLOY_ACTION = re.compile(
    r"(?:deploy|webapps|k8s-bake|KubernetesManifest|HelmDeploy|AzureWebApp|AzureFunctionApp"
    r"|AzureContainerApps|AzureRmWebAppDeployment|cloudrun|sagemaker|azure/aml|azure/ml"
    r"|argocd|ecs-deploy|amazon-ecs|appleboy/ssh-action|helm-deploy|kubernetes-action"
    r"|TerraformTask|terraform-apply|cdk-deploy|serverless)",
    re.IGNORECASE,
)
#: References that deploy documentation sites, not software.
PAGES_ACTION = re.compile(r"gh-pages|github-pages|deploy-pages|pages-deploy|ghpages|mkdocs", re.I)
PAGES_COMMAND = re.compile(r"\b(?:mkdocs\s+gh-deploy|ghp-import|gh-pages)\b")

DOCS_WORDS = frozenset({"docs", "doc", "documentation", "pages", "site", "website", "book"})
TRAIN_WORDS = frozenset({"train", "training", "retrain", "retraining", "finetune", "fit"})
EVAL_WORDS = frozenset(
    {"evaluate", "evaluation", "eval", "evals", "validate", "validation", "gate", "gates",
     "quality", "benchmark", "assess", "champion", "challenger"}
)  # fmt: skip
REGISTER_WORDS = frozenset({"register", "registry", "promote", "promotion"})
DEPLOY_WORDS = frozenset({"deploy", "deployment", "rollout", "release", "serve", "serving"})
ENV_ALIASES = {
    "production": "prod", "prod": "prod", "prd": "prod", "live": "prod",
    "staging": "staging", "stage": "staging", "stg": "staging", "preprod": "staging",
    "pre-prod": "staging", "uat": "staging", "qa": "qa", "test": "test", "testing": "test",
    "dev": "dev", "development": "dev", "sandbox": "dev", "canary": "canary",
}  # fmt: skip


# --------------------------------------------------------------------------- memo & paths
def memo(ctx: DetectionContext, key: str, build: Callable[[], T]) -> T:
    """Compute ``build()`` once per context (stored in the context's instance dictionary)."""
    store: dict[str, object] = vars(ctx).setdefault(_MEMO_KEY, {})
    if key not in store:
        store[key] = build()
    return store[key]  # type: ignore[return-value]


def parts(path: str) -> list[str]:
    return [p for p in path.lower().split("/") if p]


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def stem(path: str) -> str:
    name = basename(path)
    return name.rsplit(".", 1)[0] if "." in name[1:] else name


def is_test_path(path: str) -> bool:
    """Test code and test fixtures (``tests/``, ``test_x.py``, ``x_test.py``, ``conftest.py``)."""
    segs = parts(path)
    if not segs:
        return False
    return any(p in TEST_DIRS for p in segs[:-1]) or bool(_TEST_FILE.match(segs[-1]))


def is_vendored(path: str) -> bool:
    return any(p in VENDOR_DIRS for p in parts(path)[:-1])


def is_product_path(path: str) -> bool:
    """Project code or config: neither a test, a fixture nor vendored code."""
    return not is_test_path(path) and not is_vendored(path)


def tokens(*texts: str | None) -> set[str]:
    """Lower-case words of identifiers, paths and commands (snake, kebab, camel case)."""
    out: set[str] = set()
    for text in texts:
        if text:
            out.update(name_tokens(text))
    return out


def normalise_env(name: str | None) -> str | None:
    """``production`` -> ``prod``; unknown names -> None (``build``, ``github-pages``...)."""
    if not name:
        return None
    low = name.strip().lower()
    if low in ENV_ALIASES:
        return ENV_ALIASES[low]
    for word in name_tokens(low):
        if word in ENV_ALIASES:
            return ENV_ALIASES[word]
    return None


# --------------------------------------------------------------------------- CI index
@dataclass
class CiIndex:
    pipelines: dict[str, CiPipeline] = field(default_factory=dict)
    jobs: dict[str, list[CiJob]] = field(default_factory=lambda: defaultdict(list))
    steps: dict[tuple[str, str], list[CiStep]] = field(default_factory=lambda: defaultdict(list))

    def job(self, path: str, job_id: str) -> CiJob | None:
        return next((j for j in self.jobs.get(path, ()) if j.job_id == job_id), None)

    def job_steps(self, job: CiJob) -> list[CiStep]:
        return self.steps.get((job.path, job.job_id), [])

    def downstream(self, path: str, job_id: str) -> set[str]:
        """Job ids of ``path`` that (transitively) need ``job_id``."""
        jobs = self.jobs.get(path, [])
        found: set[str] = set()
        frontier = {job_id}
        while frontier:
            nxt = {j.job_id for j in jobs if set(j.needs) & frontier and j.job_id not in found}
            found |= nxt
            frontier = nxt
        found.discard(job_id)
        return found

    def upstream(self, path: str, job_id: str) -> set[str]:
        """Job ids of ``path`` that ``job_id`` (transitively) needs."""
        by_id = {j.job_id: j for j in self.jobs.get(path, [])}
        found: set[str] = set()
        frontier = set(by_id[job_id].needs) if job_id in by_id else set()
        while frontier:
            found |= frontier
            frontier = {n for f in frontier if f in by_id for n in by_id[f].needs} - found
        found.discard(job_id)
        return found


def ci_index(ctx: DetectionContext) -> CiIndex:
    def build() -> CiIndex:
        index = CiIndex()
        for pipe in ctx.typed(CiPipeline):
            index.pipelines.setdefault(pipe.path, pipe)
        for job in ctx.typed(CiJob):
            index.jobs[job.path].append(job)
        for step in ctx.typed(CiStep):
            index.steps[(step.path, step.job_id)].append(step)
        return index

    return memo(ctx, "ci_index", build)


def step_commands(step: CiStep) -> tuple[str, ...]:
    """The shell commands of a step (inline scripts of tasks included)."""
    if step.commands:
        return step.commands
    if step.run:
        return split_commands(step.run)
    scripts = [v for k, v in step.with_inputs.items() if "script" in k.lower() or k == "command"]
    return tuple(c for s in scripts for c in split_commands(s))


def action_of(ref: ActionRef | None) -> str | None:
    return ref.action if ref is not None else None


def command_roles(step: CiStep, with_action: bool = True) -> set[str]:
    """Roles a step plays judged by its commands (and its action unless ``with_action``)."""
    action = action_of(step.uses) if with_action else None
    return classify_roles((), step_commands(step), action)


def first_match(pattern: re.Pattern[str], commands: Iterable[str]) -> str | None:
    for command in commands:
        match = pattern.search(command)
        if match:
            return command
    return None


def short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def deploy_reason(step: CiStep) -> str | None:
    """What in this step deploys (a command or an action), or None."""
    commands = step_commands(step)
    hit = first_match(DEPLOY_COMMAND, commands)
    if hit and not PAGES_COMMAND.search(hit):
        return f"runs '{short(hit)}'"
    action = action_of(step.uses)
    if action and DEPLOY_ACTION.search(action) and not PAGES_ACTION.search(action):
        return f"uses {action}"
    for target in step.runs:
        kind, _, rest = target.partition(":")
        words = tokens(rest)
        deploys = words & {"deploy", "deployment"} and not words & DOCS_WORDS
        if kind in {"file", "module", "make-target"} and deploys:
            return f"runs {rest}"
    return None


def job_trigger_ok(pipe: CiPipeline | None, triggers: frozenset[str]) -> bool:
    return pipe is not None and bool(set(pipe.triggers) & triggers)


def pipeline_label(pipe: CiPipeline | None, path: str) -> str:
    if pipe is None or not pipe.name or pipe.name == path:
        return path
    return f"{path} ('{pipe.name}')"


def job_label(job: CiJob) -> str:
    return job.display_name or job.job_id


# --------------------------------------------------------------------------- ML pipelines
@dataclass
class StageIndex:
    definitions: dict[tuple[str, str], PipelineDefinition] = field(default_factory=dict)
    stages: dict[tuple[str, str], list[PipelineStage]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def downstream(self, stage: PipelineStage) -> list[PipelineStage]:
        """Stages of the same pipeline that (transitively) come after ``stage``."""
        siblings = self.stages.get((stage.path, stage.pipeline), [])
        found: dict[str, PipelineStage] = {}
        frontier = {stage.name}
        while frontier:
            nxt = {
                s.name: s
                for s in siblings
                if set(s.upstream) & frontier and s.name not in found and s.name != stage.name
            }
            found.update(nxt)
            frontier = set(nxt)
        return list(found.values())


def stage_index(ctx: DetectionContext) -> StageIndex:
    def build() -> StageIndex:
        index = StageIndex()
        for definition in ctx.typed(PipelineDefinition):
            index.definitions.setdefault((definition.path, definition.name), definition)
        for stage in ctx.typed(PipelineStage):
            index.stages[(stage.path, stage.pipeline)].append(stage)
        return index

    return memo(ctx, "stage_index", build)


def is_train_stage(stage: PipelineStage) -> bool:
    return stage.role == "train"


def training_pipelines(
    ctx: DetectionContext,
) -> Iterator[tuple[PipelineStage, list[PipelineStage]]]:
    """(first train stage, all stages) of every product pipeline that has a training stage."""
    index = stage_index(ctx)
    for (path, _name), stages in index.stages.items():
        if not is_product_path(path):
            continue
        train = next((s for s in stages if is_train_stage(s)), None)
        if train is not None:
            yield train, stages


def runs_training(ctx: DetectionContext, step: CiStep) -> str | None:
    """Why a CI step trains a model (command, training script, DVC stage), or None."""
    roles = classify_roles((), step_commands(step), None)
    if "train" in roles:
        hit = next((c for c in step_commands(step) if "train" in classify_roles((), [c], None)), "")
        return f"runs '{short(hit)}'" if hit else "runs a training command"
    index = stage_index(ctx)
    for target in step.runs:
        kind, _, rest = target.partition(":")
        if kind == "stage" and rest.startswith("dvc:"):
            name = rest.split(":", 1)[1]
            for (path, _p), stages in index.stages.items():
                if basename(path) != "dvc.yaml":
                    continue
                stage = next((s for s in stages if s.name == name), None)
                if stage and (
                    is_train_stage(stage)
                    or any(
                        is_train_stage(s)
                        for s in stages
                        if s.name in _upstream_names(stage, stages)
                    )
                ):
                    what = "a training stage" if is_train_stage(stage) else "after training"
                    return f"runs DVC stage '{name}' ({what})"
        elif kind == "file" and basename(rest) == "dvc.yaml":
            stages = [s for (p, _n), ss in index.stages.items() if p == rest for s in ss]
            if any(is_train_stage(s) for s in stages):
                return f"reproduces {rest}, which has a training stage"
        elif kind in {"file", "module", "make-target"} and tokens(rest) & TRAIN_WORDS:
            return f"runs {rest}"
    return None


def _upstream_names(stage: PipelineStage, stages: list[PipelineStage]) -> set[str]:
    by_name = {s.name: s for s in stages}
    found: set[str] = set()
    frontier = set(stage.upstream)
    while frontier:
        found |= frontier
        frontier = {u for f in frontier if f in by_name for u in by_name[f].upstream} - found
    return found


def executed_paths(ctx: DetectionContext) -> set[str]:
    """Project files run automatically: by a CI step or a pipeline stage command, plus the
    files that define Python-framework pipelines (their steps are the functions inside)."""

    def build() -> set[str]:
        from hyperscore.evaluators.ingest.parsers.ci_shell import analyse_commands
        from hyperscore.evaluators.ingest.parsers.code_kinds import CodeModule

        modules = {m.module: m.path for m in ctx.typed(CodeModule) if m.module}
        targets: set[str] = set()
        for step in ctx.typed(CiStep):
            targets.update(step.runs)
        for stage in ctx.typed(PipelineStage):
            if stage.cmd:
                targets.update(t for _rel, t in analyse_commands([stage.cmd]))
        found: set[str] = set()
        for target in targets:
            kind, _, rest = target.partition(":")
            if kind == "file":
                found.add(rest)
            elif kind == "module":
                found.update(
                    path for name, path in modules.items()
                    if name == rest or name.endswith("." + rest)
                )  # fmt: skip
        for definition in ctx.typed(PipelineDefinition):
            if definition.path.endswith(".py"):
                found.add(definition.path)
        return found

    return memo(ctx, "executed_paths", build)

"""Governance: documentation, licence, model cards, secrets, security scanning, pinned CI
actions, code owners, approvals, responsible-AI checks and access control.

Documentation practices cite documents (their artefact *is* a document): README sections and
governance files from the docs parser (``doc.section``, ``doc.governance``). Everything else
cites configuration and code: CI references and secrets, IaC/Kubernetes resources, Python
calls, credential-shaped literals found by the Python and notebook parsers.
"""

from __future__ import annotations

from hyperscore.evaluators.assessment import Citation
from hyperscore.evaluators.decompose.context import DetectionContext, cite, cite_file
from hyperscore.evaluators.decompose.detectors._helpers_b import (
    DEPLOY_WORDS,
    REGISTER_WORDS,
    basename,
    ci_index,
    command_roles,
    deploy_reason,
    executed_paths,
    is_product_path,
    is_test_path,
    is_vendored,
    job_label,
    normalise_env,
    parts,
    short,
    stem,
    tokens,
)
from hyperscore.evaluators.decompose.practices import detects
from hyperscore.evaluators.ingest.parsers.ci_common import ActionRef, CiJob, CiPipeline, CiStep
from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeCall,
    CodeConfig,
    CodeNotebookOutputSecret,
    CodeSecretLiteral,
    CodeTest,
)
from hyperscore.evaluators.ingest.parsers.dependencies import DepManifest
from hyperscore.evaluators.ingest.parsers.docs_kinds import DocCodeBlock, DocGovernance, DocSection
from hyperscore.evaluators.ingest.parsers.infra_docker import (
    ComposeService,
    Dockerfile,
    DockerfileRisk,
)
from hyperscore.evaluators.ingest.parsers.infra_iac import IacResource
from hyperscore.evaluators.ingest.parsers.infra_kubernetes import K8sObject, K8sRbac
from hyperscore.evaluators.ingest.parsers.monitoring_python import MlMonitor
from hyperscore.evaluators.ingest.parsers.pipeline_common import (
    PipelineDataVersion,
    PipelineDefinition,
    PipelineParams,
    PipelineStage,
)

README_MIN_CHARS = 150
USAGE_WORDS = frozenset(
    {"install", "installation", "installing", "setup", "quickstart", "usage", "use", "using",
     "run", "running", "train", "training", "inference", "predict", "prediction", "example",
     "examples", "tutorial", "deploy", "deploying", "deployment", "docker", "commands",
     "reproduce", "reproducing", "reproduction", "start", "started", "requirements", "how"}
)  # fmt: skip
#: Words that on their own do not make a usage heading ("use" in "Intended use"...).
WEAK_USAGE_WORDS = frozenset({"use", "using", "start", "started", "requirements", "how"})
DOCS_SITE_GLOBS = (
    "mkdocs.yml",
    "mkdocs.yaml",
    "docs/conf.py",
    "doc/conf.py",
    "docs/source/conf.py",
    ".readthedocs.yml",
    ".readthedocs.yaml",
    "docusaurus.config.js",
    "docusaurus.config.ts",
    "_toc.yml",
    "docs/_toc.yml",
    "book/_toc.yml",
)
MODEL_CARD_STEMS = ("model_card", "model-card", "modelcard", "datasheet", "data_card", "datacard")
SECURITY_FILES = {
    ".github/dependabot.yml": "Dependabot",
    ".github/dependabot.yaml": "Dependabot",
    "renovate.json": "Renovate",
    "renovate.json5": "Renovate",
    ".renovaterc": "Renovate",
    ".renovaterc.json": "Renovate",
    ".github/renovate.json": "Renovate",
    ".github/renovate.json5": "Renovate",
    ".gitlab/renovate.json": "Renovate",
    ".snyk": "Snyk",
    ".gitleaks.toml": "gitleaks",
    ".bandit": "Bandit",
    ".trivyignore": "Trivy",
    "trivy.yaml": "Trivy",
    ".safety-policy.yml": "Safety",
    ".semgrep.yml": "Semgrep",
    ".secrets.baseline": "detect-secrets",
}
SECURITY_TOOLS = frozenset({"bandit", "safety", "pip-audit", "semgrep", "detect-secrets"})
SECRET_STORE_RESOURCE = (
    "secretsmanager",
    "secret_manager",
    "key_vault",
    "keyvault",
    "ssm_parameter",
    "secretsmanager.secret",
    "kms",
)
SECRET_STORE_KINDS = frozenset(
    {"ExternalSecret", "SealedSecret", "SecretProviderClass", "ClusterSecretStore", "SecretStore"}
)
RBAC_KINDS = frozenset({"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"})
FAIRNESS_WORDS = frozenset(
    {"fairness", "fair", "parity", "disparate", "disparity", "demographic", "equalized",
     "equalised", "bias", "clarify"}
)  # fmt: skip
FAIRNESS_TEST_WORDS = FAIRNESS_WORDS - {"bias"}
APPROVAL_STATUS = "PendingManualApproval"


def _root_first(items: list[DocGovernance]) -> list[DocGovernance]:
    return sorted(items, key=lambda g: (g.path.count("/"), g.path))


def _sections_by_path(ctx: DetectionContext) -> dict[str, list[DocSection]]:
    out: dict[str, list[DocSection]] = {}
    for section in ctx.typed(DocSection):
        out.setdefault(section.path, []).append(section)
    return out


@detects("readme")
def readme(ctx: DetectionContext) -> list[Citation]:
    """A README (root first) with real content: at least ~150 characters of prose, or several
    sections."""
    sections = _sections_by_path(ctx)
    readmes = [g for g in ctx.typed(DocGovernance) if g.doc_type == "readme"]
    for gov in _root_first(readmes):
        body = sections.get(gov.path, [])
        chars = sum(len(s.text or "") for s in body)
        filled = [s for s in body if (s.text or "").strip()]
        if is_product_path(gov.path) and (chars >= README_MIN_CHARS or len(filled) >= 3):
            heads = [s.heading for s in body if s.heading][:5]
            listed = f"; sections {', '.join(heads)}" if heads else ""
            return [
                cite(
                    gov,
                    f"{gov.path}: {chars} characters of prose in {len(body)} section(s){listed}",
                )
            ]
    return []


def _usage_heading(heading: str) -> bool:
    words = tokens(heading)
    strong = words & (USAGE_WORDS - WEAK_USAGE_WORDS)
    if strong:
        return True
    return {"getting", "started"} <= words or {"get", "started"} <= words or {"how", "to"} <= words


@detects("usage-documentation")
def usage_documentation(ctx: DetectionContext) -> list[Citation]:
    """README/docs sections on installation, setup, usage, training, inference or deployment
    with content (prose or commands), or a documentation site (MkDocs, Sphinx, Read the
    Docs, Docusaurus, Jupyter Book)."""
    out: list[Citation] = []
    blocks: set[tuple[str, str]] = {
        (b.path, b.heading_path[-1]) for b in ctx.typed(DocCodeBlock) if b.heading_path
    }
    for section in ctx.typed(DocSection):
        if not section.heading or not is_product_path(section.path):
            continue
        low = section.path.lower()
        if not (
            basename(low).startswith("readme")
            or "docs" in parts(low)[:-1]
            or stem(low)
            in {"usage", "install", "installation", "getting_started", "quickstart", "tutorial"}
        ):
            continue
        if not _usage_heading(section.heading):
            continue
        has_body = (
            len((section.text or "").strip()) >= 40 or (section.path, section.heading) in blocks
        )
        if has_body:
            out.append(cite(section, f"{section.path}: section '{section.heading}'"))
            if len(out) >= 4:
                break
    for path in ctx.paths_matching(*DOCS_SITE_GLOBS):
        out.append(cite_file(path, f"documentation site configuration {path}"))
    return out


@detects("license")
def license_file(ctx: DetectionContext) -> list[Citation]:
    """A LICENSE/COPYING file (SPDX identifier guessed from its text)."""
    out: list[Citation] = []
    for gov in _root_first([g for g in ctx.typed(DocGovernance) if g.doc_type == "license"]):
        if is_product_path(gov.path):
            spdx = f" ({gov.spdx})" if gov.spdx else ""
            out.append(cite(gov, f"licence file {gov.path}{spdx}"))
            break
    for gov in ctx.typed(DocGovernance):
        if gov.doc_type in {"readme", "model-card"} and gov.spdx and gov.path.count("/") == 0:
            out.append(cite(gov, f"licence {gov.spdx} declared in {gov.path} metadata"))
    return out


@detects("model-card")
def model_card(ctx: DetectionContext) -> list[Citation]:
    """A model card or datasheet: MODEL_CARD.md/datasheet.md, Hugging Face card metadata, or a
    model-card file/generator in the project."""
    out: list[Citation] = []
    seen: set[str] = set()
    for gov in ctx.typed(DocGovernance):
        if gov.doc_type in {"model-card", "datasheet"} and is_product_path(gov.path):
            seen.add(gov.path)
            heads = f" (sections {', '.join(gov.headings[1:5])})" if len(gov.headings) > 1 else ""
            out.append(cite(gov, f"{gov.doc_type} {gov.path}{heads}"))
    for path in ctx.files:
        low = stem(path).lower()
        if path not in seen and is_product_path(path) and any(s in low for s in MODEL_CARD_STEMS):
            out.append(cite_file(path, f"model card artefact {path}"))
    return out


def _hardcoded_secrets(ctx: DetectionContext) -> list[Citation]:
    found: list[Citation] = []
    for lit in ctx.typed(CodeSecretLiteral):
        if not is_product_path(lit.path):
            continue
        if lit.rule == "credential-assignment" and lit.masked.startswith("X-"):
            continue  # an HTTP header name ("X-Api-Key") assigned to API_KEY_HEADER
        found.append(cite(lit, f"hard-coded credential ({lit.rule}: {lit.masked})"))
    for out_secret in ctx.typed(CodeNotebookOutputSecret):
        found.append(cite(out_secret, f"credential in a saved notebook output ({out_secret.rule})"))
    for pipe in ctx.typed(CiPipeline):
        if pipe.plaintext_secret_env:
            found.append(
                cite(pipe, f"plain-text secret env {', '.join(pipe.plaintext_secret_env)}")
            )
    for job in ctx.typed(CiJob):
        if job.plaintext_secret_env:
            found.append(cite(job, f"plain-text secret env {', '.join(job.plaintext_secret_env)}"))
    for risk in ctx.typed(DockerfileRisk):
        if risk.risk == "secret-in-env" and risk.severity == "high":
            found.append(cite(risk, f"secret baked into the image ({risk.detail})"))
    for remote in ctx.typed(PipelineDataVersion):
        if remote.credential_keys and not remote.path.endswith(".local"):
            found.append(
                cite(
                    remote,
                    f"DVC remote credentials committed ({', '.join(remote.credential_keys)})",
                )
            )
    return found


def _secret_references(ctx: DetectionContext) -> list[Citation]:
    refs: list[Citation] = []
    for pipe in ctx.typed(CiPipeline):
        names = [s for s in pipe.secrets if s != "GITHUB_TOKEN"]
        if names:
            refs.append(cite(pipe, f"CI reads secrets by reference: {', '.join(names[:5])}"))
    if not refs:
        for job in ctx.typed(CiJob):
            names = [s for s in job.secrets if s != "GITHUB_TOKEN"]
            if names:
                refs.append(
                    cite(job, f"CI job '{job_label(job)}' reads secrets {', '.join(names[:5])}")
                )
                break
    for conf in ctx.typed(CodeConfig):
        if conf.role == "env" and conf.secret_like and is_product_path(conf.path):
            refs.append(
                cite(conf, f"{conf.path} reads credential {conf.option} from the environment")
            )
            break
    for docker in ctx.typed(Dockerfile):
        if docker.secret_names:
            refs.append(cite(docker, f"build secrets mounted: {', '.join(docker.secret_names)}"))
    for service in ctx.typed(ComposeService):
        if service.secret_names or service.env_files:
            what = service.secret_names or service.env_files
            refs.append(
                cite(
                    service,
                    f"compose service '{service.service}' takes secrets from {', '.join(what)}",
                )
            )
    for res in ctx.typed(IacResource):
        rtype = res.resource_type.lower()
        if not res.data_source and any(w in rtype for w in SECRET_STORE_RESOURCE):
            refs.append(cite(res, f"secret store {res.resource_type} '{res.name}'"))
    for obj in ctx.typed(K8sObject):
        if obj.object_kind in SECRET_STORE_KINDS:
            refs.append(cite(obj, f"Kubernetes {obj.object_kind} '{obj.name}'"))
    return refs


@detects("secrets-hygiene")
def secrets_hygiene(ctx: DetectionContext) -> list[Citation]:
    """Secrets are referenced (CI secrets, secret stores, environment variables, build or
    compose secrets) AND no hard-coded credential is found (Python literals outside tests,
    notebook outputs, plain-text CI env, secret ENV in Dockerfiles, committed DVC remote
    credentials)."""
    if _hardcoded_secrets(ctx):
        return []
    return _secret_references(ctx)


def _security_role(step: CiStep) -> bool:
    return "security" in command_roles(step)


@detects("security-scanning")
def security_scanning(ctx: DetectionContext) -> list[Citation]:
    """Dependency/code/image/secret scanning: Dependabot or Renovate config, CI steps running
    CodeQL/Trivy/Snyk/Bandit/pip-audit/Safety/gitleaks/Semgrep, or scanner configuration."""
    out: list[Citation] = []
    for path, tool in SECURITY_FILES.items():
        if path in ctx.files:
            out.append(cite_file(path, f"{tool} configured ({path})"))
    for path in ctx.paths_matching(".github/codeql/*"):
        out.append(cite_file(path, f"CodeQL configuration {path}"))
        break
    for step in ctx.typed(CiStep):
        if _security_role(step):
            what = step.uses.action if step.uses else short(" ".join(step.commands) or step.name)
            out.append(cite(step, f"CI job '{step.job_id}' scans: {what}"))
    for manifest in ctx.typed(DepManifest):
        tools = SECURITY_TOOLS & set(manifest.tools)
        if tools:
            out.append(cite(manifest, f"{', '.join(sorted(tools))} configured in {manifest.path}"))
    return out


def _action_refs(ctx: DetectionContext) -> list[tuple[ActionRef, str, CiPipeline | CiJob | CiStep]]:
    refs: list[tuple[ActionRef, str, CiPipeline | CiJob | CiStep]] = []
    for pipe in ctx.typed(CiPipeline):
        refs.extend((ref, pipe.path, pipe) for ref in pipe.uses)
    for job in ctx.typed(CiJob):
        if job.uses is not None:
            refs.append((job.uses, job.path, job))
    for step in ctx.typed(CiStep):
        if step.uses is not None:
            refs.append((step.uses, step.path, step))
    return [(r, p, e) for r, p, e in refs if r.pin != "local"]


def _sha_pinned(ref: ActionRef) -> bool:
    if ref.pin == "sha":
        return True
    return ref.pin == "docker" and bool(ref.ref) and str(ref.ref).startswith("sha256:")


@detects("pinned-ci-actions")
def pinned_ci_actions(ctx: DetectionContext) -> list[Citation]:
    """Every CI action/orb/pipe/template referenced from outside the repository is pinned to a
    full commit SHA (or image digest); at least one such reference must exist."""
    refs = _action_refs(ctx)
    if not refs or not all(_sha_pinned(r) for r, _p, _e in refs):
        return []
    third = sorted({r.action for r, _p, _e in refs if r.third_party})
    files = sorted({p for _r, p, _e in refs})
    extra = f" ({len(third)} third-party: {', '.join(third[:4])})" if third else ""
    return [
        cite_file(
            path,
            f"all {sum(1 for _r, p, _e in refs if p == path)} action "
            f"reference(s) pinned by commit SHA{extra}",
        )
        for path in files
    ]


@detects("code-owners")
def code_owners(ctx: DetectionContext) -> list[Citation]:
    """A CODEOWNERS file with at least one rule (or a Prow-style OWNERS file)."""
    out: list[Citation] = []
    for gov in ctx.typed(DocGovernance):
        if gov.doc_type == "codeowners" and gov.rules:
            owners = sorted({o for r in gov.rules for o in r.owners})
            out.append(
                cite(gov, f"{gov.path}: {len(gov.rules)} rule(s), owners {', '.join(owners[:4])}")
            )
    for path in ctx.files:
        if basename(path) in {"OWNERS", "OWNERS_ALIASES"} and is_product_path(path):
            out.append(cite_file(path, f"review owners file {path}"))
    return out


def _deploys_or_registers(ctx: DetectionContext, job: CiJob) -> bool:
    steps = ci_index(ctx).job_steps(job)
    if any(deploy_reason(s) or "register" in command_roles(s, with_action=False) for s in steps):
        return True
    return bool(tokens(job.job_id, job.display_name) & (DEPLOY_WORDS | REGISTER_WORDS))


@detects("approval-workflow")
def approval_workflow(ctx: DetectionContext) -> list[Citation]:
    """A person approves before production: a manual approval job (Jenkins input, Azure
    approvals, GitLab manual job, CircleCI approval, Argo suspend) guarding a deploy/register
    job, a GitHub deploy job bound to a production environment (protection rules and
    reviewers live on the environment), or models registered as PendingManualApproval."""
    index = ci_index(ctx)
    out: list[Citation] = []
    for path, jobs in sorted(index.jobs.items()):
        for job in jobs:
            if job.manual_approval:
                later = [j for j in jobs if j.job_id in index.downstream(path, job.job_id)]
                guarded = [j for j in [job, *later] if _deploys_or_registers(ctx, j)]
                if guarded:
                    out.append(
                        cite(
                            job,
                            f"{path}: manual approval '{job_label(job)}' guards "
                            f"'{job_label(guarded[0])}'",
                        )
                    )
            if normalise_env(job.environment) == "prod" and _deploys_or_registers(ctx, job):
                out.append(
                    cite(
                        job,
                        f"{path}: deploy job '{job_label(job)}' runs in protected "
                        f"environment '{job.environment}'",
                    )
                )
    for call in ctx.typed(CodeCall):
        if APPROVAL_STATUS in {str(v) for v in call.literal_kwargs.values()}:
            out.append(cite(call, f"{call.function} registers models as {APPROVAL_STATUS}"))
    for conf in ctx.typed(CodeConfig):
        if conf.default == APPROVAL_STATUS:
            out.append(cite(conf, f"model approval status defaults to {APPROVAL_STATUS}"))
    for definition in ctx.typed(PipelineDefinition):
        if any(p.default and APPROVAL_STATUS in p.default for p in definition.parameters):
            out.append(
                cite(
                    definition,
                    f"pipeline '{definition.name}' registers models as {APPROVAL_STATUS}",
                )
            )
    return out


@detects("responsible-ai-checks")
def responsible_ai_checks(ctx: DetectionContext) -> list[Citation]:
    """Fairness, bias or explainability checks that run automatically: fairlearn/aif360 in
    project code, SHAP/LIME/Captum in tests or pipeline/CI-run code, SageMaker Clarify or bias/
    explainability monitors, fairness gates read by a pipeline stage, or fairness tests."""
    out: list[Citation] = []
    executed = executed_paths(ctx)
    for call in ctx.typed(CodeCall):
        if call.cell is not None or is_vendored(call.path):
            continue
        if call.category == "fairness":
            out.append(cite(call, f"fairness check {call.function} in {call.path}"))
        elif call.category == "explainability" and (
            is_test_path(call.path) or call.path in executed
        ):
            out.append(
                cite(call, f"explainability check {call.function} in automated code {call.path}")
            )
        if len(out) >= 6:
            break
    for mon in ctx.typed(MlMonitor):
        if mon.what in {"bias", "explainability"} and is_product_path(mon.path):
            out.append(cite(mon, f"{mon.library} {mon.what} monitoring ({mon.call})"))
    for stage in ctx.typed(PipelineStage):
        words = tokens(stage.name, stage.step_type)
        if words & {"clarify", "fairness", "explainability", "explain"}:
            out.append(cite(stage, f"pipeline stage '{stage.name}' checks fairness/explainability"))
    stage_params = {p.split("#", 1)[1] for s in ctx.typed(PipelineStage) for p in s.params
                    if "#" in p}  # fmt: skip
    for params in ctx.typed(PipelineParams):
        for key, line in params.keys.items():
            if tokens(key) & (FAIRNESS_WORDS - {"bias"}) and any(
                key == p or key.startswith(p + ".") for p in stage_params
            ):
                out.append(
                    Citation(
                        path=params.path,
                        line=line,
                        what=f"fairness threshold "
                        f"'{key}' in {params.path} is read by a pipeline stage",
                    )
                )
    for test in ctx.typed(CodeTest):
        if test.role in {"function", "method"} and tokens(test.qualname) & FAIRNESS_TEST_WORDS:
            out.append(cite(test, f"fairness test {test.qualname}"))
    return out


def _least_privilege_ci(ctx: DetectionContext) -> list[Citation]:
    index = ci_index(ctx)
    workflows = [p for p in index.pipelines.values()
                 if p.system == "github-actions" and not p.fragment]  # fmt: skip
    if not workflows:
        return []
    cites: list[Citation] = []
    for pipe in workflows:
        perms = (
            [pipe.permissions]
            if pipe.permissions is not None
            else [j.permissions for j in index.jobs.get(pipe.path, [])]
        )
        if not perms or any(p is None or p == "write-all" for p in perms):
            return []
        if any(isinstance(p, dict) and "write-all" in p.values() for p in perms):
            return []
        cites.append(
            cite(
                pipe,
                f"{pipe.path} declares least-privilege token permissions "
                f"{pipe.permissions if pipe.permissions is not None else 'per job'}",
            )
        )
    return cites


@detects("access-control")
def access_control(ctx: DetectionContext) -> list[Citation]:
    """Access is defined as code with least privilege: Kubernetes Role/RoleBinding objects
    (none granting cluster-admin or wildcards), IAM roles/policies/bindings in IaC, or every
    GitHub workflow restricting its token with ``permissions:``."""
    out: list[Citation] = []
    broad = {(r.path, r.name) for r in ctx.typed(K8sRbac)}
    for obj in ctx.typed(K8sObject):
        rbac = obj.object_kind in RBAC_KINDS and (obj.path, obj.name) not in broad
        if rbac and is_product_path(obj.path):
            out.append(cite(obj, f"Kubernetes {obj.object_kind} '{obj.name}'"))
    for res in ctx.typed(IacResource):
        if res.data_source or not is_product_path(res.path):
            continue
        words = tokens(res.resource_type)
        grants = {"assignment", "definition", "binding", "member"}
        if "iam" in words or (words & {"role", "policy"} and words & grants):
            out.append(cite(res, f"{res.tool} {res.resource_type} '{res.name}'"))
            if len(out) >= 6:
                break
    out.extend(_least_privilege_ci(ctx))
    return out

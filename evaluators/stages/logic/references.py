"""Reference obligations: what one file names must exist.

* ``refs.doc-links``: every relative documentation link resolves to a file or folder.
* ``refs.ci-runs``: every script a CI job runs (``runs -> file:``) exists, and every Makefile
  target a job runs (``runs -> make-target:``) is defined -- the latter only when build
  targets were parsed at all (no ``build.target`` evidence and a Makefile present: unknown).
* ``refs.params``: every ``reads-param`` edge (DVC ``params:``) names a key of its params file.
* ``refs.local-actions``: every local action / reusable workflow (``uses: ./...``) exists.
* ``refs.ci-needs``: every job a CI job ``needs`` is defined in the same CI file -- unknown when
  the file ``include``s others (the job may live there).
* ``refs.images``: every image built locally (``docker build``, a compose ``build:``) has its
  Dockerfile, and so its build context, in the project.

All are membership facts (``exists(x)`` with the file set as axioms), one obligation per
referencing file, so the counterexample lists every dangling reference of that file.
"""

from __future__ import annotations

from collections import defaultdict

from hyperscore.evaluators.decompose.context import DetectionContext, cite
from hyperscore.evaluators.model import Evidence
from hyperscore.evaluators.stages.logic.obligations import Fact, Obligation, membership


def _exists(ctx: DetectionContext, path: str) -> bool:
    path = path.strip().removeprefix("./").rstrip("/")
    if not path or path == ".":
        return True
    prefix = path + "/"
    return path in ctx.files or any(p.startswith(prefix) for p in ctx.files)


def doc_links(ctx: DetectionContext) -> list[Obligation]:
    per_file: dict[str, list[Fact]] = defaultdict(list)
    for link in ctx.kind("doc.link"):
        resolved = getattr(link, "resolved", None)
        if resolved is None:  # escapes the root: nothing to check inside the project
            continue
        per_file[link.path].append(
            Fact(str(resolved), _exists(ctx, str(resolved)), cite(link, f"link to {resolved}"))
        )
    return [
        membership(
            f"refs.doc-links:{path}",
            "refs.doc-links",
            f"every relative link in {path} resolves to a project file",
            facts,
            missing_word="broken link",
        )
        for path, facts in sorted(per_file.items())
    ]


def _links(ctx: DetectionContext, rel: str) -> list[tuple[Evidence, str]]:
    return [(e, link.dst) for e in ctx.result.evidence for link in e.links if link.rel == rel]


def ci_runs(ctx: DetectionContext) -> list[Obligation]:
    targets = {str(getattr(t, "node", "")) for t in ctx.kind("build.target")}
    parsed_targets = bool(ctx.kind("build.target"))
    per_file: dict[str, list[Fact]] = defaultdict(list)
    unknown: dict[str, list[str]] = defaultdict(list)
    for item, dst in _links(ctx, "runs"):
        if not item.kind.startswith("ci."):
            continue
        what = dst.split(":", 1)[1] if ":" in dst else dst
        if dst.startswith("file:"):
            per_file[item.path].append(Fact(what, _exists(ctx, what), cite(item, f"runs {what}")))
        elif dst.startswith("make-target:"):
            if parsed_targets:
                per_file[item.path].append(
                    Fact(
                        f"make {what}",
                        dst in targets,
                        cite(item, f"runs make {what}"),
                        "no such build target",
                    )
                )
            else:
                unknown[item.path].append(f"make {what}")
    out = []
    for path in sorted(set(per_file) | set(unknown)):
        statement = f"every script and build target that {path} runs exists"
        if unknown[path]:
            out.append(
                Obligation(
                    id=f"refs.ci-runs:{path}",
                    kind="refs.ci-runs",
                    statement=statement,
                    why_unknown="build targets were not parsed: " + ", ".join(unknown[path]),
                )
            )
        else:
            out.append(
                membership(
                    f"refs.ci-runs:{path}",
                    "refs.ci-runs",
                    statement,
                    per_file[path],
                    missing_word="missing",
                )
            )
    return out


def params(ctx: DetectionContext) -> list[Obligation]:
    keys: dict[str, dict[str, int]] = {}
    for p in ctx.kind("pipeline.params"):
        keys[p.path] = dict(getattr(p, "keys", {}))
    per_file: dict[str, list[Fact]] = defaultdict(list)
    unknown: dict[str, set[str]] = defaultdict(set)
    for item, dst in _links(ctx, "reads-param"):
        ref = dst.removeprefix("param:")
        file, _, key = ref.partition("#")
        if file in keys:
            per_file[item.path].append(
                Fact(ref, not key or key in keys[file], cite(item, f"reads {ref}"), "no such key")
            )
        elif _exists(ctx, file):
            unknown[item.path].add(file)
        else:
            per_file[item.path].append(
                Fact(ref, False, cite(item, f"reads {ref}"), "params file missing")
            )
    out = []
    for path in sorted(set(per_file) | set(unknown)):
        statement = f"every parameter that {path} reads is defined in its params file"
        if unknown[path]:
            out.append(
                Obligation(
                    id=f"refs.params:{path}",
                    kind="refs.params",
                    statement=statement,
                    why_unknown="params not parsed: " + ", ".join(sorted(unknown[path])),
                )
            )
        else:
            out.append(
                membership(
                    f"refs.params:{path}",
                    "refs.params",
                    statement,
                    per_file[path],
                    missing_word="undefined parameter",
                )
            )
    return out


def local_actions(ctx: DetectionContext) -> list[Obligation]:
    per_file: dict[str, list[Fact]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for item in ctx.kind("ci.pipeline", "ci.job", "ci.step"):
        uses = getattr(item, "uses", None)
        refs = uses if isinstance(uses, tuple) else (uses,) if uses is not None else ()
        for ref in refs:
            action = str(getattr(ref, "action", ""))
            if not action.startswith("./") or (item.path, action) in seen:
                continue
            seen.add((item.path, action))
            base = action.removeprefix("./").rstrip("/")
            ok = (
                base in ctx.files
                or f"{base}/action.yml" in ctx.files
                or f"{base}/action.yaml" in ctx.files
            )
            per_file[item.path].append(Fact(action, ok, cite(item, f"uses {action}")))
    return [
        membership(
            f"refs.local-actions:{path}",
            "refs.local-actions",
            f"every local action or reusable workflow that {path} uses exists",
            facts,
            missing_word="missing action",
        )
        for path, facts in sorted(per_file.items())
    ]


def ci_needs(ctx: DetectionContext) -> list[Obligation]:
    """A ``needs`` naming no job of its file: the CI system rejects the whole file."""
    defined: dict[str, set[str]] = defaultdict(set)
    jobs = ctx.kind("ci.job")
    for job in jobs:
        defined[job.path].add(str(getattr(job, "job_id", job.name)))
    includes = {
        p.path
        for p in ctx.kind("ci.pipeline")
        if getattr(p, "includes", ()) or getattr(p, "fragment", False)
    }
    per_file: dict[str, list[Fact]] = defaultdict(list)
    for job in jobs:
        job_id = str(getattr(job, "job_id", job.name))
        for need in getattr(job, "needs", ()):
            per_file[job.path].append(
                Fact(
                    f"{job_id} needs {need}",
                    need in defined[job.path],
                    cite(job, f"job {job_id} needs {need}"),
                    "no such job in this file",
                )
            )
    out = []
    for path, facts in sorted(per_file.items()):
        statement = f"every job that a job of {path} needs is defined in {path}"
        if path in includes and not all(f.holds for f in facts):
            out.append(
                Obligation(
                    id=f"refs.ci-needs:{path}",
                    kind="refs.ci-needs",
                    statement=statement,
                    evidence=[f.cite for f in facts if f.cite is not None and not f.holds],
                    why_unknown="the file includes others, which may define: "
                    + ", ".join(f.label for f in facts if not f.holds),
                )
            )
        else:
            out.append(
                membership(
                    f"refs.ci-needs:{path}",
                    "refs.ci-needs",
                    statement,
                    facts,
                    missing_word="undefined job",
                )
            )
    return out


def images(ctx: DetectionContext) -> list[Obligation]:
    """Every ``builds -> file:<Dockerfile>`` link (CI ``docker build``, compose ``build:``)."""
    per_file: dict[str, list[Fact]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for item, dst in _links(ctx, "builds"):
        dockerfile = dst.removeprefix("file:")
        if not dst.startswith("file:") or (item.path, dockerfile) in seen:
            continue
        seen.add((item.path, dockerfile))
        context = dockerfile.rpartition("/")[0]
        note = (
            f"build context {context}/ missing"
            if context and not _exists(ctx, context)
            else "no such Dockerfile"
        )
        per_file[item.path].append(
            Fact(dockerfile, dockerfile in ctx.files, cite(item, f"builds {dockerfile}"), note)
        )
    return [
        membership(
            f"refs.images:{path}",
            "refs.images",
            f"every image that {path} builds locally has its Dockerfile and build context",
            facts,
            missing_word="unbuildable image",
        )
        for path, facts in sorted(per_file.items())
    ]


def obligations(ctx: DetectionContext) -> list[Obligation]:
    return (
        doc_links(ctx)
        + ci_runs(ctx)
        + params(ctx)
        + local_actions(ctx)
        + ci_needs(ctx)
        + images(ctx)
    )

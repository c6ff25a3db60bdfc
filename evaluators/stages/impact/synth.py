"""Generated projects for training the impact GNN: practice states plus the graph around them.

A generated project draws a latent maturity, then a target level per dimension around it,
then each catalogue practice's state: practices at or below the target level are mostly
present, those above mostly absent, and some absent ones are claimed in prose. That keeps the
practice sets consistent with the catalogue's level ladder, as real projects are, while still
covering odd combinations (a model registry without CI).

The evidence graph is built the way ingestion builds it: files (with modules and imported
packages for Python files) as background, then for each present practice the artefacts that
real parsers emit for it (CI jobs under a workflow file, images under a Dockerfile, pipeline
stages, metrics, services...), and finally ``link_practices`` adds the practice nodes with
``evidences``/``claims`` edges exactly as an assessment does. The label is the rubric
baseline score of the drawn states plus Gaussian noise (expert ratings scatter around it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hyperscore.evaluators.assessment import Citation, PracticeResult, PracticeState
from hyperscore.evaluators.catalogue import load_practices
from hyperscore.evaluators.decompose.graphs import link_practices
from hyperscore.evaluators.decompose.practices import dimension_levels
from hyperscore.evaluators.scoring import baseline_score

DIRS = ("", "src/", "src/model/", "tests/", "notebooks/", "scripts/", "configs/", "docs/", "data/")
EXTS = ("py", "py", "py", "ipynb", "md", "yaml", "json", "txt", "toml", "sh", "csv")
WORDS = ("train", "model", "utils", "data", "eval", "predict", "features", "config", "run", "io")
PACKAGES = ("numpy", "pandas", "torch", "sklearn", "requests", "yaml", "scipy", "matplotlib")

# practice -> (file that evidences it, artefact nodes that file defines: (type, rel, count))
ARTEFACTS: dict[str, tuple[str, tuple[tuple[str, str, int], ...]]] = {
    "ci-pipeline": (".github/workflows/ci.yml", (("ci-job", "defines", 3), ("action", "uses", 3))),
    "ci-tests-on-change": (".github/workflows/ci.yml", (("ci-job", "defines", 1),)),
    "tests-in-ci": (".github/workflows/ci.yml", (("ci-job", "defines", 1),)),
    "continuous-delivery": (".github/workflows/cd.yml", (("ci-job", "defines", 2),)),
    "automated-deployment": (".github/workflows/deploy.yml", (("ci-job", "defines", 2),)),
    "training-pipeline": ("dvc.yaml", (("stage", "defines", 4), ("artifact", "produces", 3))),
    "data-versioning": ("dvc.lock", (("artifact", "versions", 3),)),
    "container-image": ("Dockerfile", (("image", "uses", 2),)),
    "experiment-tracking": ("src/train.py", (("metric", "logs", 3), ("param", "reads-param", 3))),
    "metrics-files": ("metrics.json", (("metric", "defines", 3),)),
    "serving-api": ("src/serve.py", (("service", "exposes", 1), ("serving", "serves", 1))),
    "infrastructure-as-code": ("infra/main.tf", (("iac", "defines", 4), ("k8s", "deploys", 3))),
    "multiple-environments": ("deploy/overlays/prod/kustomization.yaml", (("k8s", "defines", 2),)),
    "alerting": ("monitoring/alerts.yaml", (("alert", "defines", 3),)),
    "dashboards": ("monitoring/dashboard.json", (("dashboard", "defines", 1),)),
    "one-command-reproduce": ("Makefile", (("make-target", "defines", 5),)),
    "model-packaging": ("charts/model/Chart.yaml", (("helm-chart", "defines", 1),)),
    "linting-configured": ("pyproject.toml", (("tool", "configures", 2),)),
}


@dataclass(frozen=True)
class GeneratedProject:
    graph: dict[str, Any]
    practices: list[PracticeResult]
    baseline: float
    label: float


def _background(
    rng: random.Random, nodes: dict[str, dict[str, Any]], edges: list[dict[str, Any]]
) -> list[str]:
    files: list[str] = ["README.md"]
    for _ in range(int(rng.lognormvariate(3.2, 1.1)) + 2):
        ext = rng.choice(EXTS)
        files.append(f"{rng.choice(DIRS)}{rng.choice(WORDS)}_{rng.randrange(100)}.{ext}")
    for path in files:
        nodes[f"file:{path}"] = {"type": "file", "size": int(rng.lognormvariate(7, 1.5))}
        if path.endswith(".py"):
            module = "module:" + path.removesuffix(".py").replace("/", ".")
            nodes[module] = {"type": "module"}
            _edge(edges, f"file:{path}", module, "defines")
            for pkg in rng.sample(PACKAGES, rng.randint(0, 4)):
                nodes.setdefault(f"package:{pkg}", {"type": "package"})
                _edge(edges, module, f"package:{pkg}", "imports")
    return files


def _edge(edges: list[dict[str, Any]], src: str, dst: str, rel: str) -> None:
    edges.append({"source": src, "target": dst, "rel": rel, "key": f"{rel}:{len(edges)}"})


def _states(rng: random.Random) -> dict[str, PracticeState]:
    maturity = rng.betavariate(1.1, 1.3)
    targets = {
        dim: max(0, min(4, round(4 * maturity + rng.gauss(0, 1.0))))
        for dim in {p.dimension for p in load_practices().values()}
    }
    out = {}
    for pid, practice in load_practices().items():
        on_ladder = practice.level <= targets[practice.dimension]
        if rng.random() < (0.88 if on_ladder else 0.07):
            out[pid] = PracticeState.PRESENT
        elif rng.random() < 0.12:
            out[pid] = PracticeState.CLAIMED_ONLY
        else:
            out[pid] = PracticeState.ABSENT
    return out


def generate(rng: random.Random, noise: float = 3.0) -> GeneratedProject:
    """One generated project with its graph (practice nodes linked) and noisy label."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    files = _background(rng, nodes, edges)
    practices = []
    for pid, state in _states(rng).items():
        practice = load_practices()[pid]
        evidence, claims = [], []
        if state == PracticeState.PRESENT:
            path, artefacts = ARTEFACTS.get(pid, (rng.choice(files), ()))
            nodes.setdefault(f"file:{path}", {"type": "file", "size": rng.randint(50, 5000)})
            for kind, rel, count in artefacts:
                for i in range(rng.randint(1, count)):
                    node = f"{kind}:{pid}-{i}"
                    nodes[node] = {"type": kind}
                    _edge(edges, f"file:{path}", node, rel)
            evidence = [Citation(path=path, line=rng.randint(1, 40), what=practice.title)]
            if rng.random() < 0.5:
                evidence.append(Citation(path=rng.choice(files), line=1, what=practice.title))
        elif state == PracticeState.CLAIMED_ONLY:
            claims = [Citation(path="README.md", line=rng.randint(1, 80), what="claim")]
        practices.append(
            PracticeResult(
                id=pid,
                dimension=practice.dimension,
                level=practice.level,
                title=practice.title,
                state=state,
                evidence=evidence,
                claims=claims,
            )
        )
    graph = {
        "directed": True,
        "multigraph": True,
        "graph": {},
        "nodes": [{**attrs, "id": nid} for nid, attrs in nodes.items()],
        "edges": edges,
    }
    base = baseline_score(dimension_levels(practices), practices)
    label = min(100.0, max(0.0, base + rng.gauss(0.0, noise)))
    return GeneratedProject(link_practices(graph, practices), practices, base, label)

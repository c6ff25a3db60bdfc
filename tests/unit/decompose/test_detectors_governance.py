"""Governance detectors: one positive and one negative tiny project per practice, plus the
fixture projects' levels."""

from __future__ import annotations

from hyperscore.evaluators.assessment import Dimension
from tests.unit.decompose.harness import (
    Case,
    dimension_tests,
)

DIMENSION = Dimension.GOVERNANCE

README = (
    "# churn-model\n\nPredicts customer churn from billing and usage data with gradient "
    "boosting. The model is retrained monthly and served behind an internal API.\n\n"
    "## Installation\n\nCreate a virtual environment and install the requirements.\n\n"
    "```bash\npip install -r requirements.txt\n```\n\n"
    "## Usage\n\nTrain the model, then start the API.\n\n"
    "```bash\npython -m churn.train\nuvicorn churn.serve:app\n```\n"
)
README_NO_USAGE = (
    "# churn-model\n\nPredicts customer churn from billing and usage data with gradient "
    "boosting. The model is retrained monthly and served behind an internal API.\n\n"
    "## Results\n\nThe model reaches an AUC of 0.91 on the held-out quarter, which is "
    "better than the previous rules engine.\n"
)
MIT = (
    "MIT License\n\nCopyright (c) 2024 Acme\n\nPermission is hereby granted, free of charge, "
    "to any person obtaining a copy of this software and associated documentation files (the "
    '"Software"), to deal in the Software without restriction.\n'
)


def workflow(*uses: str, run: str = "pytest -q", extra: str = "", job_extra: str = "") -> str:
    steps = "".join(f"      - uses: {u}\n" for u in uses) + f"      - run: {run}\n"
    return (
        f"on: [push]\n{extra}jobs:\n  build:\n    runs-on: ubuntu-latest\n{job_extra}"
        f"    steps:\n{steps}"
    )


SHA = "b4c75782d28e02e6b411f22063d883695ea14f65"


CASES: list[Case] = [
    ("readme", "readme-with-content", {"README.md": README}, True),
    ("readme", "title-only", {"README.md": "# project\n"}, False),
    ("usage-documentation", "install-and-usage-sections", {"README.md": README}, True),
    (
        "usage-documentation",
        "mkdocs-site",
        {"mkdocs.yml": "site_name: churn\n", "docs/index.md": "# churn\n"},
        True,
    ),
    ("usage-documentation", "results-only", {"README.md": README_NO_USAGE}, False),
    ("license", "mit-license", {"LICENSE": MIT}, True),
    ("license", "no-license", {"README.md": README}, False),
    (
        "model-card",
        "model-card-file",
        {"MODEL_CARD.md": "# Model card\n\n## Intended use\n\nChurn scoring.\n"},
        True,
    ),
    ("model-card", "readme-only", {"README.md": README}, False),
    (
        "secrets-hygiene",
        "ci-secret-reference",
        {
            ".github/workflows/ci.yml": workflow(
                run="python train.py",
                job_extra=("    env:\n      HF_TOKEN: ${{ secrets.HF_TOKEN }}\n"),
            )
        },
        True,
    ),
    (
        "secrets-hygiene",
        "reference-but-hardcoded-key",
        {
            ".github/workflows/ci.yml": workflow(
                run="python train.py",
                job_extra=("    env:\n      HF_TOKEN: ${{ secrets.HF_TOKEN }}\n"),
            ),
            "src/client.py": "AWS_KEY = 'AKIAIOSFODNN7EXAMPLQ'\n",
        },
        False,
    ),
    (
        "secrets-hygiene",
        "hardcoded-key-in-tests-is-ignored",
        {
            ".github/workflows/ci.yml": workflow(
                run="python train.py",
                job_extra=("    env:\n      HF_TOKEN: ${{ secrets.HF_TOKEN }}\n"),
            ),
            "tests/test_client.py": "API_TOKEN = 'dummy-token-for-tests-123456'\n",
        },
        True,
    ),
    ("secrets-hygiene", "no-secret-references", {"src/app.py": "x = 1\n"}, False),
    (
        "security-scanning",
        "dependabot",
        {".github/dependabot.yml": "version: 2\nupdates: []\n"},
        True,
    ),
    (
        "security-scanning",
        "pip-audit-in-ci",
        {".github/workflows/sec.yml": workflow(run="pip-audit -r requirements.txt")},
        True,
    ),
    (
        "security-scanning",
        "job-named-security-without-scanner",
        {".github/workflows/sec.yml": workflow(run="echo security")},
        False,
    ),
    (
        "pinned-ci-actions",
        "all-sha-pinned",
        {
            ".github/workflows/ci.yml": workflow(
                f"actions/checkout@{SHA}", f"astral-sh/setup-uv@{SHA}"
            )
        },
        True,
    ),
    (
        "pinned-ci-actions",
        "one-tag-pinned",
        {".github/workflows/ci.yml": workflow(f"actions/checkout@{SHA}", "astral-sh/setup-uv@v3")},
        False,
    ),
    ("pinned-ci-actions", "no-actions", {".github/workflows/ci.yml": workflow()}, False),
    ("code-owners", "codeowners", {".github/CODEOWNERS": "* @acme/ml-team\n"}, True),
    ("code-owners", "empty-codeowners", {".github/CODEOWNERS": "# nobody yet\n"}, False),
    (
        "approval-workflow",
        "production-environment-deploy",
        {
            ".github/workflows/cd.yml": workflow(
                run="kubectl apply -k deploy/production",
                job_extra="    environment: production\n",
            )
        },
        True,
    ),
    (
        "approval-workflow",
        "gitlab-manual-deploy",
        {
            ".gitlab-ci.yml": "stages: [deploy]\ndeploy_prod:\n  stage: deploy\n"
            "  script:\n    - helm upgrade --install api chart/\n  when: manual\n"
        },
        True,
    ),
    (
        "approval-workflow",
        "deploy-without-approval",
        {".github/workflows/cd.yml": workflow(run="kubectl apply -k deploy/production")},
        False,
    ),
    (
        "responsible-ai-checks",
        "fairlearn-in-evaluation",
        {
            "src/evaluate.py": "from fairlearn.metrics import demographic_parity_difference\n\n"
            "gap = demographic_parity_difference([1], [1], sensitive_features=['a'])\n"
        },
        True,
    ),
    (
        "responsible-ai-checks",
        "shap-in-notebook-only",
        {
            "notebooks/explore.ipynb": '{"cells": [{"cell_type": "code", "metadata": {}, '
            '"outputs": [], "execution_count": 1, "source": ["import shap\\n", '
            '"shap.TreeExplainer(model)"]}], "metadata": {}, "nbformat": 4, '
            '"nbformat_minor": 5}\n'
        },
        False,
    ),
    (
        "access-control",
        "least-privilege-workflows",
        {".github/workflows/ci.yml": workflow(extra="permissions:\n  contents: read\n")},
        True,
    ),
    (
        "access-control",
        "k8s-role",
        {
            "deploy/rbac.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n"
            "metadata:\n  name: reader\n  namespace: ml\nrules:\n  - apiGroups: ['']\n"
            "    resources: ['configmaps']\n    verbs: ['get']\n"
        },
        True,
    ),
    (
        "access-control",
        "workflow-without-permissions",
        {".github/workflows/ci.yml": workflow()},
        False,
    ),
    (
        "access-control",
        "write-all-permissions",
        {".github/workflows/ci.yml": workflow(extra="permissions: write-all\n")},
        False,
    ),
]


test_detector, test_both_polarities, test_fixture_projects_levels = dimension_tests(
    DIMENSION, CASES
)

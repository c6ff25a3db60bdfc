"""CI rules: action pinning, privileged triggers, script injection, permissions, leaks."""

from __future__ import annotations

from pathlib import Path

from hyperscore.evaluators.assessment import Severity
from tests.unit.findings import fire

SHA = "b4c75782d28e02e6b411f22063d883695ea14f65"
WF = ".github/workflows/ci.yml"


READ_ONLY = "permissions:\n  contents: read\n"


def workflow(steps: str, on: str = "push", permissions: str = READ_ONLY) -> str:
    """A one-job workflow; ``steps`` is the YAML of the steps list, indented six spaces."""
    job = "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
    return f"on: {on}\n{permissions}{job}{steps}"


# --------------------------------------------------------------------------- pinning


def test_third_party_action_on_branch_is_high(tmp_path: Path) -> None:
    steps = "      - uses: actions/checkout@v4\n      - uses: iterative/setup-dvc@main\n"
    found = fire(tmp_path, {WF: workflow(steps)}, "ci-action-unpinned")
    assert [(f.path, f.line, f.severity) for f in found] == [(WF, 9, Severity.HIGH)]
    assert "iterative/setup-dvc@main" in found[0].message


def test_sha_pins_and_first_party_branches_are_not_unpinned(tmp_path: Path) -> None:
    steps = (
        "      - uses: actions/checkout@main\n"
        f"      - uses: iterative/setup-dvc@{SHA}\n"
        "      - uses: ./.github/actions/local\n"
    )
    assert fire(tmp_path, {WF: workflow(steps)}, "ci-action-unpinned") == []


def test_third_party_action_by_tag_is_medium(tmp_path: Path) -> None:
    steps = "      - uses: actions/setup-python@v5\n      - uses: codecov/codecov-action@v4\n"
    found = fire(tmp_path, {WF: workflow(steps)}, "ci-third-party-action-pinned-by-tag")
    assert [(f.line, f.severity) for f in found] == [(9, Severity.MEDIUM)]
    assert "codecov/codecov-action@v4" in found[0].message


def test_first_party_tags_and_sha_pins_are_not_flagged_by_tag(tmp_path: Path) -> None:
    steps = f"      - uses: actions/setup-python@v5\n      - uses: codecov/codecov-action@{SHA}\n"
    assert fire(tmp_path, {WF: workflow(steps)}, "ci-third-party-action-pinned-by-tag") == []


# --------------------------------------------------------------------------- privileged triggers


def test_pull_request_target_checking_out_head_is_critical(tmp_path: Path) -> None:
    steps = (
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
        "      - run: make test\n"
    )
    found = fire(tmp_path, {WF: workflow(steps, on="pull_request_target")}, "ci-pr-target-checkout")
    assert [(f.line, f.severity) for f in found] == [(8, Severity.CRITICAL)]


def test_head_checkout_is_fine_on_pull_request_or_with_same_repo_guard(tmp_path: Path) -> None:
    steps = (
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n"
    )
    plain = workflow(steps, on="pull_request")
    guarded = workflow(steps, on="pull_request_target").replace(
        "    runs-on:",
        "    if: github.event.pull_request.head.repo.full_name == github.repository\n    runs-on:",
    )
    assert fire(tmp_path / "a", {WF: plain}, "ci-pr-target-checkout") == []
    assert fire(tmp_path / "b", {WF: guarded}, "ci-pr-target-checkout") == []


def test_script_injection_is_critical_for_outsider_events(tmp_path: Path) -> None:
    steps = '      - run: echo "${{ github.event.issue.title }}"\n'
    found = fire(tmp_path, {WF: workflow(steps, on="issues")}, "ci-script-injection")
    assert [f.severity for f in found] == [Severity.CRITICAL]
    assert "github.event.issue.title" in found[0].message


def test_script_injection_on_pull_request_is_high(tmp_path: Path) -> None:
    steps = '      - run: echo "${{ github.event.pull_request.title }}"\n'
    found = fire(tmp_path, {WF: workflow(steps, on="pull_request")}, "ci-script-injection")
    assert [f.severity for f in found] == [Severity.HIGH]


def test_untrusted_text_through_env_is_not_injection(tmp_path: Path) -> None:
    steps = (
        "      - env:\n"
        "          TITLE: ${{ github.event.issue.title }}\n"
        '        run: echo "$TITLE" "${{ github.sha }}"\n'
    )
    assert fire(tmp_path, {WF: workflow(steps, on="issues")}, "ci-script-injection") == []


# --------------------------------------------------------------------------- permissions


def test_missing_permissions_is_low(tmp_path: Path) -> None:
    found = fire(
        tmp_path,
        {WF: workflow("      - run: make\n", permissions="")},
        "ci-missing-permissions",
    )
    assert [(f.path, f.severity) for f in found] == [(WF, Severity.LOW)]


def test_permissions_on_every_job_or_reusable_only_workflow_is_fine(tmp_path: Path) -> None:
    per_job = (
        "on: push\njobs:\n  a:\n    permissions:\n      contents: read\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
    )
    reusable = (
        "on: workflow_call\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: make\n"
    )
    files = {".github/workflows/a.yml": per_job, ".github/workflows/b.yml": reusable}
    assert fire(tmp_path, files, "ci-missing-permissions") == []


def test_write_all_is_medium(tmp_path: Path) -> None:
    found = fire(
        tmp_path,
        {WF: workflow("      - run: make\n", permissions="permissions: write-all\n")},
        "ci-write-all-permissions",
    )
    assert [(f.line, f.severity) for f in found] == [(1, Severity.MEDIUM)]


def test_scoped_write_is_not_write_all(tmp_path: Path) -> None:
    perms = "permissions:\n  contents: write\n  packages: write\n"
    found = fire(
        tmp_path,
        {WF: workflow("      - run: make\n", permissions=perms)},
        "ci-write-all-permissions",
    )
    assert found == []


# --------------------------------------------------------------------------- leaks


def test_echoed_secret_is_high(tmp_path: Path) -> None:
    steps = '      - run: echo "token is ${{ secrets.HF_TOKEN }}"\n'
    found = fire(tmp_path, {WF: workflow(steps)}, "ci-secret-echoed")
    assert [f.severity for f in found] == [Severity.HIGH]
    assert "HF_TOKEN" in found[0].message


def test_secret_passed_to_a_tool_or_file_is_not_echoed(tmp_path: Path) -> None:
    steps = (
        "      - env:\n          HF_TOKEN: ${{ secrets.HF_TOKEN }}\n"
        "        run: |\n"
        '          huggingface-cli login --token "$HF_TOKEN"\n'
        '          echo "$HF_TOKEN" > ~/.token\n'
        '          echo "::add-mask::$HF_TOKEN"\n'
    )
    assert fire(tmp_path, {WF: workflow(steps)}, "ci-secret-echoed") == []


def test_workflow_run_checking_out_head_sha_is_critical(tmp_path: Path) -> None:
    steps = (
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          ref: ${{ github.event.workflow_run.head_sha }}\n"
    )
    on = "\n  workflow_run:\n    workflows: [CI]\n    types: [completed]"
    found = fire(tmp_path, {WF: workflow(steps, on=on)}, "ci-pr-target-checkout")
    assert [f.severity for f in found] == [Severity.CRITICAL]


def test_echoed_non_credential_secret_is_low(tmp_path: Path) -> None:
    steps = '      - run: echo "image ${{ secrets.DOCKER_USERNAME }}/app"\n'
    found = fire(tmp_path, {WF: workflow(steps)}, "ci-secret-echoed")
    assert [f.severity for f in found] == [Severity.LOW]

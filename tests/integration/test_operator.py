"""The operator (``hyperscore operator run``, a real subprocess) against the real control plane.

What only the whole loop shows: an applied assessment gets a score, level and conditions from
the controller; spec updates and schedules re-score it; suspend stops it; deletion takes the
owned children with it (the real garbage collector); a restart in the middle of a sandboxed run
resumes it without a second Job (the test plays the kubelet); git sources come from a loopback
smart-HTTP server with credentials that must appear nowhere; and the engine runs in an external
Ray cluster started on loopback.

Tests named ``test_shared_*`` get namespaces ``test-shared-*`` that one module-wide operator
watches (by kopf namespace glob); the others start their own operator for their own namespace.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hyperscore.operator.api.models import SOURCE_MESSAGE

from .controlplane import ControlPlane, free_port
from .jobs import finish_job_pods
from .operator_harness import (
    NO_MODELS,
    RECONCILE_SECONDS,
    ROOT,
    TINY_PROJECT,
    Operator,
    apply,
    assessment,
    conditions,
    config_map,
    get,
    install_crds,
    report_of,
    series,
    start_operator,
    wait_for,
    wait_scored,
)

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def crds(control_plane: ControlPlane) -> ControlPlane:
    return install_crds(control_plane)


@pytest.fixture(scope="module")
def shared_operator(
    crds: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Operator]:
    operator = start_operator(
        crds,
        tmp_path_factory.mktemp("operator"),
        "--namespace",
        "test-shared-*",
        "--metrics-port",
        str(free_port()),
    )
    yield operator
    operator.stop()


# --------------------------------------------------------------------------- shared operator


def test_shared_apply_scores_a_configmap_project(
    crds: ControlPlane, shared_operator: Operator, namespace: str
) -> None:
    applied = apply(
        crds,
        namespace,
        config_map("tiny", TINY_PROJECT),
        assessment("tiny", {"configMapRef": {"name": "tiny"}}),
    )
    assert applied.returncode == 0, applied.stderr
    obj = wait_scored(crds, namespace, "tiny", shared_operator)
    status = obj["status"]
    assert 0 <= status["score"] <= 100
    assert 0 <= status["level"] <= 4
    assert status["observedGeneration"] == obj["metadata"]["generation"] == 1
    assert {d["name"] for d in status["dimensions"]} >= {"tracking", "reproducibility"}
    conds = conditions(obj)
    assert conds["Ready"]["status"] == "True"
    assert conds["Scored"]["status"] == "True"
    assert conds["SourceAvailable"]["status"] == "True"
    assert conds["Degraded"]["status"] == "False"
    assert all(c["observedGeneration"] == 1 for c in conds.values())
    # The full report, in an owned ConfigMap, is the same assessment as the status summary.
    report = report_of(crds, namespace, obj)
    assert report["score"] == pytest.approx(status["score"], abs=0.01)
    assert report["level"] == status["level"]
    assert report["source"]["location"] == "configmap/tiny"
    first = get(crds, namespace, "configmap", status["report"]["configMaps"][0])
    owner = first["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"]) == (
        "MaturityAssessment",
        "tiny",
        obj["metadata"]["uid"],
    )
    # Printer columns: kubectl shows the score, the level and Ready from the status.
    row = crds.kubectl("get", "ma", "tiny", "-n", namespace, "--no-headers").stdout.split()
    assert (
        row[0] == "tiny"
        and float(row[1]) == pytest.approx(status["score"])
        and row[2] == str(status["level"])
        and row[3] == "True"
    )
    # Prometheus sees the same score.
    [score] = series(shared_operator, "hyperscore_assessment_score", namespace, "tiny")
    assert float(score.rsplit(" ", 1)[1]) == pytest.approx(status["score"], abs=0.01)
    [runs] = series(shared_operator, "hyperscore_assessment_runs_total", namespace, "tiny")
    assert 'result="success"' in runs and runs.endswith(" 1.0")
    reasons = {e["reason"] for e in get(crds, namespace, "events")["items"]}
    assert "Scored" in reasons
    assert "Traceback" not in shared_operator.log()


def test_shared_invalid_spec_is_rejected_with_the_cel_message(
    crds: ControlPlane, namespace: str
) -> None:
    both = {"configMapRef": {"name": "a"}, "pvc": {"claimName": "b"}}
    rejected = apply(crds, namespace, assessment("both", both))
    assert rejected.returncode != 0
    assert SOURCE_MESSAGE in rejected.stderr


def test_shared_an_invalid_cron_degrades_with_its_reason(
    crds: ControlPlane, shared_operator: Operator, namespace: str
) -> None:
    """The CRD bounds the cron's length only; the controller says what is wrong with it."""
    source = {"configMapRef": {"name": "cron"}}
    late = assessment("cron", source, schedule={"cron": "0 25 * * *"})
    assert apply(crds, namespace, config_map("cron", TINY_PROJECT), late).returncode == 0

    def degraded() -> dict[str, Any] | None:
        obj = get(crds, namespace, "ma", "cron")
        found = conditions(obj)
        return obj if found.get("Degraded", {}).get("status") == "True" else None

    obj = wait_for("the invalid cron to degrade", degraded, 60, shared_operator)
    found = conditions(obj)
    assert found["Degraded"]["reason"] == "InvalidSpec"
    assert "cron hour field: 25 is outside 0-23" in found["Degraded"]["message"]
    assert found["Ready"]["status"] == "False"
    assert obj["status"]["observedGeneration"] == 1 and "score" not in obj["status"]


def test_shared_spec_update_is_rescored(
    crds: ControlPlane, shared_operator: Operator, namespace: str
) -> None:
    apply(
        crds,
        namespace,
        config_map("proj", TINY_PROJECT),
        assessment("proj", {"configMapRef": {"name": "proj"}}),
    )
    first = wait_scored(crds, namespace, "proj", shared_operator)
    assert first["status"]["observedGeneration"] == 1
    stages = {**NO_MODELS, "logic": {"enabled": False}}
    apply(crds, namespace, assessment("proj", {"configMapRef": {"name": "proj"}}, stages=stages))
    second = wait_scored(crds, namespace, "proj", shared_operator, run=2)
    assert second["metadata"]["generation"] == 2
    assert second["status"]["observedGeneration"] == 2
    assert conditions(second)["Ready"]["observedGeneration"] == 2
    # Scored stayed True across the update: its lastTransitionTime did not move. Ready went
    # through Unknown ("generation 2 awaits scoring") and back, so its time moved.
    before, after = conditions(first), conditions(second)
    assert after["Scored"]["lastTransitionTime"] == before["Scored"]["lastTransitionTime"]
    assert after["Ready"]["lastTransitionTime"] >= before["Ready"]["lastTransitionTime"]
    assert after["Ready"]["status"] == "True"
    assert "logic" not in report_of(crds, namespace, second)["stages"]


def _age_last_scored(cp: ControlPlane, namespace: str, name: str, hours: int = 2) -> str:
    """Pretend the last run was ``hours`` ago (status subresource), as if time had passed."""
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cp.kubectl(
        "patch",
        "ma",
        name,
        "-n",
        namespace,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": {"lastScoredTime": old}}),
    )
    return old


def test_shared_schedule_rescores_and_suspend_stops_it(
    crds: ControlPlane, shared_operator: Operator, namespace: str
) -> None:
    source = {"configMapRef": {"name": "sched"}}
    apply(
        crds,
        namespace,
        config_map("sched", TINY_PROJECT),
        assessment("sched", source, schedule={"intervalSeconds": 3600}),
    )
    wait_scored(crds, namespace, "sched", shared_operator)
    old = _age_last_scored(crds, namespace, "sched")
    rescored = wait_scored(crds, namespace, "sched", shared_operator, run=2, after=old)
    assert rescored["status"]["lastScoredTime"] > old
    assert rescored["metadata"]["generation"] == 1  # a scheduled run, not a spec change
    # Suspended: a due schedule no longer runs.
    apply(
        crds,
        namespace,
        assessment("sched", source, schedule={"intervalSeconds": 3600}, suspend=True),
    )
    old = _age_last_scored(crds, namespace, "sched")
    time.sleep(6 * float(RECONCILE_SECONDS))
    after = get(crds, namespace, "ma", "sched")
    assert after["status"]["lastScoredTime"] == old
    assert after["metadata"]["annotations"]["hyperscore.dev/completed-run"] == "2"


def test_shared_deleting_an_assessment_removes_its_children(
    crds: ControlPlane, shared_operator: Operator, namespace: str
) -> None:
    apply(
        crds,
        namespace,
        config_map("gone", TINY_PROJECT),
        assessment("gone", {"configMapRef": {"name": "gone"}}),
    )
    obj = wait_scored(crds, namespace, "gone", shared_operator)
    children = obj["status"]["report"]["configMaps"]
    assert children
    assert series(shared_operator, "hyperscore_assessment_score", namespace, "gone")
    crds.kubectl("delete", "ma", "gone", "-n", namespace, "--wait=true", "--timeout=60s")

    def left() -> bool:
        return not any(
            crds.kubectl("get", "configmap", cm, "-n", namespace, check=False).returncode == 0
            for cm in children
        )

    wait_for("the garbage collector to delete the report", left, 60)
    # ...and its metric series go with it.
    for metric in ("hyperscore_assessment_score", "hyperscore_findings"):
        assert series(shared_operator, metric, namespace, "gone") == []
    # The user's own ConfigMap (not owned) stays.
    assert crds.kubectl("get", "configmap", "gone", "-n", namespace, check=False).returncode == 0


# --------------------------------------------------------------------------- own operators

TESTED_PROJECT = {
    "README.md": "# Tiny model\n",
    "test_model.py": "def test_ok():\n    assert 1 + 1 == 2\n",
    "conftest.py": "",
    "requirements.txt": "pytest==8.3.3\n",
}


def jobs_of(cp: ControlPlane, namespace: str, uid: str) -> list[dict[str, Any]]:
    selector = f"hyperscore.dev/assessment-uid={uid}"
    return get(cp, namespace, "jobs", "-l", selector)["items"]  # type: ignore[no-any-return]


def test_restart_in_the_middle_of_a_run_resumes_without_a_duplicate_job(
    crds: ControlPlane, api_client: Any, namespace: str, tmp_path: Path
) -> None:
    from kubernetes import client

    operator = start_operator(
        crds, tmp_path, "--namespace", namespace, "--sandbox-image", "python:3.12-slim"
    )
    try:
        stages = {**NO_MODELS, "sandbox": {"enabled": True}}
        apply(
            crds,
            namespace,
            config_map("tested", TESTED_PROJECT),
            assessment("tested", {"configMapRef": {"name": "tested"}}, stages=stages),
        )
        uid = get(crds, namespace, "ma", "tested")["metadata"]["uid"]
        jobs = wait_for("the sandbox Job", lambda: jobs_of(crds, namespace, uid), 120, operator)
        assert len(jobs) == 1
        job = jobs[0]
        # The Job is the sandbox builder's: no token, one attempt, deny-all network policy.
        pod = job["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert job["spec"]["backoffLimit"] == 0
        assert pod["containers"][0]["command"][-6:] == [
            "python",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        policy = get(crds, namespace, "networkpolicy", f"{job['metadata']['name']}-deny-egress")
        assert not policy["spec"].get("egress") and "Egress" in policy["spec"]["policyTypes"]
        snapshot = pod["volumes"][-1]["configMap"]["name"]
        assert (
            crds.kubectl("get", "configmap", snapshot, "-n", namespace, check=False).returncode == 0
        )

        operator.kill()  # mid-run: the Job exists, its result does not
        annotations = get(crds, namespace, "ma", "tested")["metadata"]["annotations"]
        assert annotations["hyperscore.dev/run"] == "1"
        assert "hyperscore.dev/completed-run" not in annotations
        # Restarted as plain kopf this time: the same handlers, configured by the environment.
        operator.command = [
            str(Path(sys.executable).parent / "kopf"),
            "run",
            "-m",
            "hyperscore.operator.controller.handlers",
            "--standalone",
            "--verbose",
            "--namespace",
            namespace,
        ]
        operator.env = {
            "HYPERSCORE_EXECUTOR": "in-process",
            "HYPERSCORE_RECONCILE_SECONDS": RECONCILE_SECONDS,
            "HYPERSCORE_SANDBOX_IMAGE": "python:3.12-slim",
        }
        before = len(operator.log())
        operator.start()
        wait_for(
            "the restarted operator to resume run 1",
            lambda: "run 1 was started and did not finish" in operator.log()[before:],
            120,
            operator,
        )
        time.sleep(3 * float(RECONCILE_SECONDS))
        assert [j["metadata"]["name"] for j in jobs_of(crds, namespace, uid)] == [
            job["metadata"]["name"]
        ]

        core, batch = client.CoreV1Api(api_client), client.BatchV1Api(api_client)
        finish_job_pods(
            core,
            batch,
            namespace,
            job["metadata"]["name"],
            message='{"exitCode": 0, "passed": 1, "failed": 0}',
        )
        obj = wait_scored(crds, namespace, "tested", operator)
        sandbox = report_of(crds, namespace, obj)["stages"]["sandbox"]
        assert sandbox["status"] == "ok" and sandbox["score"] == 1.0
        assert sandbox["details"]["passed"] == 1
        assert len(jobs_of(crds, namespace, uid)) == 1
        assert obj["metadata"]["annotations"]["hyperscore.dev/completed-run"] == "1"
        # The run's source snapshot is gone once the Job has reported.
        wait_for(
            "the snapshot ConfigMap to go",
            lambda: (
                crds.kubectl("get", "configmap", snapshot, "-n", namespace, check=False).returncode
                != 0
            ),
            30,
        )
    finally:
        operator.stop()


def _served_repository(base: Path) -> str:
    from tests.unit.ingest.conftest import GitRepo

    repo = GitRepo(base / "model.git.src")
    for path, text in TINY_PROJECT.items():
        repo.write(path, text)
    repo.write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n",
    )
    commit = repo.commit("initial")
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(repo.path), str(base / "model.git")], check=True
    )
    return commit


def test_shared_git_source_with_credentials_never_shows_them(
    crds: ControlPlane, shared_operator: Operator, namespace: str, tmp_path: Path
) -> None:
    from tests.unit.ingest.conftest import GitHTTPServer

    password = "s3cr3t-Pa55-" + namespace[-6:]
    served = tmp_path / "served"
    served.mkdir()
    commit = _served_repository(served)
    server = GitHTTPServer(served, "alice", password)
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    operator = shared_operator
    try:
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "git-creds"},
            "stringData": {"username": "alice", "password": password},
        }
        broken = {**secret, "metadata": {"name": "no-keys"}, "stringData": {"user": "alice"}}
        url = f"http://127.0.0.1:{server.port}/model.git"
        git = {"url": url, "revision": "main", "credentialsSecretRef": {"name": "git-creds"}}
        bad = {"url": url, "credentialsSecretRef": {"name": "no-keys"}}
        applied = apply(
            crds,
            namespace,
            secret,
            broken,
            assessment("private", {"git": git}),
            assessment("badsecret", {"git": bad}),
        )
        assert applied.returncode == 0, applied.stderr
        obj = wait_scored(crds, namespace, "private", operator)
        assert obj["status"]["sourceRevision"] == commit
        assert server.rejected >= 1  # git asked without credentials first, then with them
        report = report_of(crds, namespace, obj)
        assert report["source"] == {
            "type": "git",
            "location": url,
            "revision": commit,
            "ref": "main",
        }

        def degraded() -> dict[str, Any] | None:
            found = conditions(get(crds, namespace, "ma", "badsecret"))
            return found if found.get("Degraded", {}).get("status") == "True" else None

        conds = wait_for("the Secret without keys to degrade", degraded, 60, operator)
        assert (
            "Secret no-keys must have keys username and password, or token"
            in conds["Degraded"]["message"]
        )
        assert "found: user" in conds["Degraded"]["message"]
        assert conds["Ready"]["status"] == "False"
        # The credentials appear nowhere: status, events, report, operator log (debug level).
        everything = [
            crds.kubectl("get", "ma", "-n", namespace, "-o", "json").stdout,
            crds.kubectl("get", "events", "-n", namespace, "-o", "json").stdout,
            json.dumps(report),
            operator.log(),
        ]
        for text in everything:
            assert password not in text
            assert base64.b64encode(password.encode()).decode() not in text
        assert "Traceback" not in operator.log()
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def ray_cluster() -> Iterator[str]:
    """A Ray head on loopback (``ray start --head --block`` of this venv) in its own process
    group, which teardown ends: never ``ray stop``, which would stop every Ray on the machine."""
    import shutil
    import socket
    import tempfile

    ray = str(Path(sys.executable).parent / "ray")
    port = free_port()
    temp = tempfile.mkdtemp(prefix="hsray-", dir="/tmp")  # AF_UNIX paths must stay short
    # Explicit: Ray 2.60 turns token auth on by itself when ~/.ray/auth_token exists (any earlier
    # local Ray writes one), and the test must not depend on that file.
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    log = Path(temp) / "head.log"
    with log.open("wb") as out:
        head = subprocess.Popen(
            [
                ray,
                "start",
                "--head",
                "--block",
                "--node-ip-address",
                "127.0.0.1",
                "--port",
                str(port),
                "--num-cpus",
                "1",
                "--include-dashboard",
                "false",
                "--disable-usage-stats",
                "--temp-dir",
                temp,
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert head.poll() is None, log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the Ray head did not listen in 120s"
            time.sleep(0.5)
        yield f"127.0.0.1:{port}"
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(head.pid, sig)
                head.wait(timeout=5)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        shutil.rmtree(temp, ignore_errors=True)


def test_external_ray_cluster_scores_an_assessment(
    crds: ControlPlane, namespace: str, tmp_path: Path, ray_cluster: str
) -> None:
    operator = Operator(
        crds,
        tmp_path / "operator.log",
        "--namespace",
        namespace,
        "--executor",
        "ray",
        "--ray-address",
        ray_cluster,
        "--reconcile-seconds",
        RECONCILE_SECONDS,
        env={"RAY_AUTH_MODE": "disabled"},
    ).start()
    try:
        apply(
            crds,
            namespace,
            config_map("viaray", TINY_PROJECT),
            assessment("viaray", {"configMapRef": {"name": "viaray"}}),
        )
        obj = wait_scored(crds, namespace, "viaray", operator, timeout=240)
        assert "engine executor: ray" in operator.log()
        # The actor ran in the cluster: the same score as the engine in this process.
        from hyperscore.evaluators import pipeline

        project = tmp_path / "project"
        project.mkdir()
        for path, text in TINY_PROJECT.items():
            (project / path).write_text(text)
        local, _ = pipeline.assess(
            str(project),
            pipeline.Options(semantic=False, stages=("logic", "repro"), use_cache=False),
        )
        assert obj["status"]["score"] == pytest.approx(local.score, abs=0.01)
        # ...and the actor lives in the external cluster (a second driver finds it by name).
        probe = (
            f"import ray; ray.init(address={ray_cluster!r}, namespace='hyperscore', "
            "log_to_driver=False); ray.get_actor('hyperscore-scorer'); print('found')"
        )
        found = subprocess.run(
            [sys.executable, "-c", probe],
            env={**os.environ, "RAY_AUTH_MODE": "disabled"},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert found.stdout.strip().endswith("found"), found.stderr[-2000:]
    finally:
        operator.stop()


RBAC_KINDS = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "RoleBinding")


def test_operator_runs_under_the_charts_rbac_with_a_service_account_token(
    crds: ControlPlane, helm: Path, namespace: str, tmp_path: Path
) -> None:
    """Not as admin: the chart's least-privilege RBAC (watching one namespace) must be enough
    for a whole run -- status, annotations, report ConfigMaps, events."""
    release = f"hs{namespace[-6:]}"
    rendered = subprocess.run(
        [
            str(helm),
            "template",
            release,
            str(ROOT / "charts" / "hyperscore"),
            "--namespace",
            namespace,
            "--set",
            f"watchNamespaces={{{namespace}}}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    rbac = [d for d in yaml.safe_load_all(rendered) if d and d["kind"] in RBAC_KINDS]
    assert {d["kind"] for d in rbac} == set(RBAC_KINDS)
    crds.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump_all(rbac))
    try:
        [account] = [d["metadata"]["name"] for d in rbac if d["kind"] == "ServiceAccount"]
        token = crds.kubectl("create", "token", account, "-n", namespace).stdout.strip()
        kubeconfig = crds.token_kubeconfig(tmp_path / "sa.kubeconfig", token)
        who = crds.kubectl(
            "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}", kubeconfig=kubeconfig
        )
        assert who.stdout == f"system:serviceaccount:{namespace}:{account}"
        operator = start_operator(
            crds, tmp_path, "--namespace", namespace, env={"KUBECONFIG": str(kubeconfig)}
        )
        try:
            apply(
                crds,
                namespace,
                config_map("rbac", TINY_PROJECT),
                assessment("rbac", {"configMapRef": {"name": "rbac"}}),
            )
            obj = wait_scored(crds, namespace, "rbac", operator)
            assert report_of(crds, namespace, obj)["score"] == pytest.approx(
                obj["status"]["score"], abs=0.01
            )
            assert "Scored" in {e["reason"] for e in get(crds, namespace, "events")["items"]}
            # (log timestamps end in milliseconds such as ",403]": strip them first)
            body = re.sub(r"^\[[^\]]*\]", "", operator.log(), flags=re.M)
            assert not re.search(r"\b403\b", body) and "Forbidden" not in body
        finally:
            operator.stop()
    finally:
        cluster_scoped = [d for d in rbac if d["kind"].startswith("Cluster")]
        crds.kubectl(
            "delete",
            "--ignore-not-found",
            "-f",
            "-",
            input=yaml.safe_dump_all(cluster_scoped),
            check=False,
        )

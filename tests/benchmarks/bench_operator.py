"""The operator at scale (issue 8): N MaturityAssessments (default 200) on the real control plane.

A :class:`~tests.integration.controlplane.ControlPlane` (etcd + kube-apiserver +
kube-controller-manager on loopback, as the integration fixtures start it) gets the CRDs from
crds/, one namespace, N ConfigMaps each holding a tiny project as one ``project.tar.gz``
(README, requirements.txt, train.py, .github/workflows/ci.yml; the README carries the index so
no two share an engine-cache fingerprint) and N assessments on those ConfigMaps with the model
stages off (``semantic``/``novelty``, as tests/integration/test_operator.py) and
``schedule.intervalSeconds: 86400`` (nothing is due again during the bench). The operator is
``hyperscore operator run --executor in-process --max-concurrent 1 -n NS --metrics-port P`` as a
subprocess in its own session, with its defaults otherwise (``--reconcile-seconds 10``,
``--log-level info``). One run at a time because the in-process executor runs the engine in
worker threads and the logic stage's z3 (one global context) is not thread-safe: with the
default ``--max-concurrent 2`` the operator died with SIGSEGV (z3 "ASSERTION VIOLATION", ast.cpp)
after 128 of 200 runs. ``HYPERSCORE_BENCH_MAX_CONCURRENT`` overrides it.

Measured:

* time from the first create until every assessment has ``Ready=True`` for its generation
  (polled once a second with one LIST), and the throughput;
* operator CPU (utime+stime+cutime+cstime from /proc of every process in its session) from just
  before the first create until all are Ready, per assessment; the engine's share from the
  operator's own ``hyperscore_stage_duration_seconds{stage="engine"}`` (wall clock of the worker
  thread, so an upper bound of its CPU) and, for comparison, the engine's CPU per project
  measured alone in a fresh interpreter (warm median; the first, cold run apart);
* the operator's peak RSS (VmHWM, summed over the processes of its session);
* API requests at steady state: the kube-apiserver's own ``apiserver_request_total`` (scraped
  with the admin client certificate) at the start and end of a quiet window after all are Ready,
  minus the same window measured before the operator started (kube-controller-manager and the
  apiserver's own loops), extrapolated to requests per assessment per hour; counted over every
  resource request, and separately over the operator's resources (group hyperscore.dev,
  configmaps, events, jobs). The bench itself makes no API calls inside either window.

``HYPERSCORE_BENCH_ASSESSMENTS`` (default 200) and ``HYPERSCORE_BENCH_STEADY_SECONDS``
(default 60) size it; without the control-plane binaries it prints one line (``make k8s-bins``).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import signal
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from tests.benchmarks.common import child_env, load_line, record, run_child

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "bench-operator"
GROUP, VERSION, PLURAL = "hyperscore.dev", "v1alpha1", "maturityassessments"
OPERATOR_RESOURCES = frozenset({"configmaps", "events", "jobs"})
NO_MODELS = {"semantic": {"enabled": False}, "novelty": {"enabled": False}}
CI_WORKFLOW = """\
name: ci
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.11"}
      - run: pip install -r requirements.txt
      - run: python -m pytest -q
"""


def project_files(i: int) -> dict[str, str]:
    return {
        "README.md": f"# Tiny model {i}\nTrains a logistic regression on data/train.csv.\n",
        "requirements.txt": "mlflow==2.17.0\nscikit-learn==1.5.2\npytest==8.3.3\n",
        "train.py": (
            "import mlflow\nfrom sklearn.linear_model import LogisticRegression\n\n"
            "mlflow.autolog()\n\n\ndef train(x, y):\n    return LogisticRegression().fit(x, y)\n"
        ),
        ".github/workflows/ci.yml": CI_WORKFLOW,
    }


def project_archive(i: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in project_files(i).items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# ------------------------------------------------------------------ the operator's process


def session_pids(sid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:  # field 6 of stat: the session id
                pids.append(int(entry.name))
    return pids


def session_cpu(sid: int) -> float:
    """CPU seconds of every process in the session, waited-for children included."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in session_pids(sid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def session_hwm_mb(sid: int) -> tuple[float, int]:
    """Summed VmHWM (peak RSS) of the session's processes, and how many there are."""
    kib, pids = 0, session_pids(sid)
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    kib += int(line.split()[1])
    return kib / 1024, len(pids)


class OperatorProcess:
    def __init__(self, cp: Any, workdir: Path, metrics_port: int, concurrency: int) -> None:
        self.metrics_port = metrics_port
        self.log_path = workdir / "operator.log"
        command = [
            sys.executable,
            "-m",
            "hyperscore.operator",
            "operator",
            "run",
            "--executor",
            "in-process",
            "--namespace",
            NAMESPACE,
            "--metrics-port",
            str(metrics_port),
            "--max-concurrent",
            str(concurrency),
        ]
        env = cp.env({"HYPERSCORE_CACHE_DIR": str(workdir / "cache"), "PYTHONUNBUFFERED": "1"})
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=child_env(env),
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode())

    def wait_healthy(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"operator exited with {self.proc.returncode}:\n{self.tail()}")
            with contextlib.suppress(OSError):
                url = f"http://127.0.0.1:{self.metrics_port}/healthz"
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            time.sleep(0.2)
        raise RuntimeError(f"operator not healthy in {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def histogram(text: str, name: str, stage: str) -> tuple[float, float]:
    """(sum, count) of one stage of a histogram in Prometheus text."""
    from prometheus_client.parser import text_string_to_metric_families

    total = count = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("stage") != stage:
                continue
            if sample.name == f"{name}_sum":
                total = sample.value
            elif sample.name == f"{name}_count":
                count = sample.value
    return total, count


# ------------------------------------------------------------------ the apiserver's counters


def apiserver_requests(server: str, ctx: ssl.SSLContext) -> Counter[tuple[str, str, str, str]]:
    """``apiserver_request_total`` summed by (group, resource, subresource, verb); resource
    requests only (our own scrape of /metrics is a non-resource request)."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"{server}/metrics", timeout=30, context=ctx) as response:
        text = response.read().decode()
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for family in text_string_to_metric_families(text):
        if family.name != "apiserver_request":
            continue
        for sample in family.samples:
            if sample.name != "apiserver_request_total" or not sample.labels.get("resource"):
                continue
            labels = sample.labels
            key = (
                labels.get("group", ""),
                labels["resource"],
                labels.get("subresource", ""),
                labels.get("verb", ""),
            )
            counts[key] += int(sample.value)
    return counts


def open_watches(server: str, ctx: ssl.SSLContext) -> int:
    """WATCH requests open now on the operator's resources (``apiserver_longrunning_requests``):
    a WATCH enters ``apiserver_request_total`` only when it closes."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"{server}/metrics", timeout=30, context=ctx) as response:
        text = response.read().decode()
    total = 0
    for family in text_string_to_metric_families(text):
        if family.name != "apiserver_longrunning_requests":
            continue
        for sample in family.samples:
            labels = sample.labels
            ours = labels.get("group") == GROUP or labels.get("resource") in OPERATOR_RESOURCES
            if labels.get("verb") == "WATCH" and ours:
                total += int(sample.value)
    return total


def delta(
    after: Counter[tuple[str, str, str, str]], before: Counter[tuple[str, str, str, str]]
) -> Counter[tuple[str, str, str, str]]:
    out: Counter[tuple[str, str, str, str]] = Counter()
    for key, value in after.items():
        if value - before.get(key, 0):
            out[key] = value - before.get(key, 0)
    return out


def operators_share(counts: Counter[tuple[str, str, str, str]]) -> int:
    return sum(v for (g, r, _, _), v in counts.items() if g == GROUP or r in OPERATOR_RESOURCES)


def quiet_window(
    cp: Any, ctx: ssl.SSLContext, seconds: float, operator: OperatorProcess | None = None
) -> tuple[Counter[tuple[str, str, str, str]], float, float]:
    """Requests counted by the apiserver over ``seconds`` of the bench doing nothing, and the
    operator's CPU seconds over the same window."""
    cpu0 = session_cpu(operator.pid) if operator else 0.0
    before = apiserver_requests(cp.server, ctx)
    t0 = time.monotonic()
    time.sleep(seconds)
    after = apiserver_requests(cp.server, ctx)
    elapsed = time.monotonic() - t0
    cpu = session_cpu(operator.pid) - cpu0 if operator else 0.0
    return delta(after, before), elapsed, cpu


# ------------------------------------------------------------------ the engine alone

ENGINE_ALONE = """
def main(workdir, n):
    import time
    from pathlib import Path
    from tests.benchmarks.bench_operator import project_files
    from hyperscore.operator.controller.executors import run_engine

    cpu = []
    for i in range(int(n)):
        root = Path(workdir) / f"p{i}"
        for name, text in project_files(100000 + i).items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        t0 = time.process_time()
        run_engine(str(root), False, ("logic", "repro"))
        cpu.append(time.process_time() - t0)
    return {"cpu": cpu}
"""


def engine_alone(workdir: Path, runs: int = 11) -> tuple[float, float]:
    """(cold first-run CPU, warm median CPU) of the engine on distinct tiny projects."""
    out = run_child(
        ENGINE_ALONE,
        str(workdir),
        str(runs),
        env={"HYPERSCORE_CACHE_DIR": str(workdir / "cache")},
    )
    cpu = sorted(out["cpu"][1:])
    return out["cpu"][0], cpu[len(cpu) // 2]


# ------------------------------------------------------------------ the bench


def _ready(obj: dict[str, Any]) -> bool:
    generation = obj["metadata"].get("generation")
    for cond in obj.get("status", {}).get("conditions", []):
        if cond.get("type") == "Ready":
            return bool(
                cond.get("status") == "True" and cond.get("observedGeneration") == generation
            )
    return False


def run() -> list[str]:
    from tests.integration.controlplane import BinariesMissingError, ControlPlane, find_bin_dir

    try:
        bin_dir = find_bin_dir()
    except BinariesMissingError:
        return ["skipped: the control-plane binaries are missing; build them with `make k8s-bins`"]
    n = int(os.environ.get("HYPERSCORE_BENCH_ASSESSMENTS", "200"))
    window = float(os.environ.get("HYPERSCORE_BENCH_STEADY_SECONDS", "60"))
    lines = [load_line()]
    with tempfile.TemporaryDirectory(prefix="hs-bench-operator-") as tmp:
        workdir = Path(tmp)
        engine_cold, engine_warm = engine_alone(workdir / "engine")
        cp = ControlPlane(bin_dir=bin_dir)
        operators: list[OperatorProcess] = []  # stopped here whatever happens in _bench
        try:
            cp.start()
            lines.append(f"control plane up in {cp.startup_seconds:.1f} s")
            _bench(cp, workdir, n, window, (engine_cold, engine_warm), lines, operators)
        finally:
            for operator in operators:
                operator.stop()
            cp.stop()
    return lines


def _bench(
    cp: Any,
    workdir: Path,
    n: int,
    window: float,
    engine: tuple[float, float],
    lines: list[str],
    operators: list[OperatorProcess],
) -> None:
    from kubernetes import client

    from tests.integration.controlplane import free_port

    engine_cold, engine_warm = engine

    cp.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
    cp.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{PLURAL}.{GROUP}")
    api = cp.api_client()
    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    core.create_namespace({"metadata": {"name": NAMESPACE}})
    ctx = cp.ssl_context()

    time.sleep(5)  # let the controller manager's start-up work (namespace, tokens) settle
    base, base_s, _ = quiet_window(cp, ctx, window)
    base_watches = open_watches(cp.server, ctx)

    concurrency = int(os.environ.get("HYPERSCORE_BENCH_MAX_CONCURRENT", "1"))
    operator = OperatorProcess(cp, workdir, free_port(), concurrency)
    operators.append(operator)
    operator.wait_healthy()
    time.sleep(3)  # kopf's initial LIST and watch of the (empty) namespace
    cpu_idle = session_cpu(operator.pid)

    archives = [base64.b64encode(project_archive(i)).decode() for i in range(n)]
    rush_before = apiserver_requests(cp.server, ctx)
    t0 = time.monotonic()
    for i in range(n):
        name = f"tiny-{i:04d}"
        core.create_namespaced_config_map(
            NAMESPACE,
            {"metadata": {"name": name}, "binaryData": {"project.tar.gz": archives[i]}},
        )
        custom.create_namespaced_custom_object(
            GROUP,
            VERSION,
            NAMESPACE,
            PLURAL,
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "MaturityAssessment",
                "metadata": {"name": name},
                "spec": {
                    "source": {"configMapRef": {"name": name}},
                    "schedule": {"intervalSeconds": 86400},
                    "stages": NO_MODELS,
                },
            },
        )
    created_s = time.monotonic() - t0
    deadline = t0 + max(600.0, n * 10.0)
    polls = 0
    while True:
        polls += 1
        items = custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL)["items"]
        ready = sum(_ready(obj) for obj in items)
        if ready == n:
            break
        if operator.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"{ready}/{n} Ready after {time.monotonic() - t0:.0f} s, operator exit code "
                f"{operator.proc.returncode}; log tail:\n{operator.tail()}"
            )
        time.sleep(1.0)
    total_s = time.monotonic() - t0
    cpu_rush = session_cpu(operator.pid) - cpu_idle
    rush = delta(apiserver_requests(cp.server, ctx), rush_before)
    # the bench's own requests: n ConfigMap and n assessment creates, one LIST per poll
    rush[("", "configmaps", "", "POST")] -= n
    rush[(GROUP, PLURAL, "", "POST")] -= n
    rush[(GROUP, PLURAL, "", "LIST")] -= polls
    rush = Counter({k: v for k, v in rush.items() if v > 0})
    text = operator.metrics()
    engine_sum, engine_count = histogram(text, "hyperscore_stage_duration_seconds", "engine")
    fetch_sum, _ = histogram(text, "hyperscore_stage_duration_seconds", "fetch")
    scores = [obj["status"].get("score") for obj in items]

    time.sleep(10)  # trailing events and kopf's own annotation clean-up
    steady, steady_s, steady_cpu = quiet_window(cp, ctx, window, operator)
    hwm_mb, procs = session_hwm_mb(operator.pid)
    watches = open_watches(cp.server, ctx) - base_watches
    api.close()

    per_hour = 3600.0 / n
    all_op = sum(steady.values()) / steady_s - sum(base.values()) / base_s
    ours_op = operators_share(steady) / steady_s - operators_share(base) / base_s
    engine_mean = engine_sum / engine_count if engine_count else 0.0
    per_cpu = cpu_rush / n
    lines += [
        f"{n} assessments (tiny ConfigMap projects, semantic/novelty off, in-process executor, "
        f"--max-concurrent {concurrency}): created in {created_s:.1f} s, "
        f"all Ready after {total_s:.1f} s "
        f"= {n / total_s * 60:.1f} assessments/min ({total_s / n:.2f} s each)",
        f"operator CPU while scoring: {cpu_rush:.1f} s = {per_cpu * 1000:.0f} ms/assessment; "
        f"stage histogram (wall clock): engine "
        f"{engine_mean * 1000:.0f} ms/run, fetch {fetch_sum / max(engine_count, 1) * 1000:.0f} "
        f"ms/run over {engine_count:.0f} runs",
        f"engine alone (fresh interpreter): cold first run {engine_cold:.2f} s CPU, warm median "
        f"{engine_warm * 1000:.0f} ms CPU -> operator overhead "
        f"~ {(per_cpu - engine_warm - engine_cold / n) * 1000:.0f} ms CPU/assessment",
        f"API requests while scoring (the bench's own creates and polls removed): "
        f"{sum(rush.values()) / n:.1f}/assessment: "
        + ", ".join(
            f"{v / n:.1f} {verb} {g or 'core'}/{r}{'/' + s if s else ''}"
            for (g, r, s, verb), v in sorted(rush.items(), key=lambda kv: -kv[1])[:6]
        ),
        f"operator peak RSS (VmHWM, {procs} process(es)): {hwm_mb:.0f} MB",
        f"steady state ({steady_s:.0f} s window, nothing due): operator CPU "
        f"{steady_cpu / steady_s * 100:.1f}% of a core = "
        f"{steady_cpu / steady_s * 3600 / n:.2f} CPU-s/assessment/h",
        f"API requests/s over the window: all resources {sum(steady.values()) / steady_s:.2f} "
        f"(baseline without operator {sum(base.values()) / base_s:.2f}); "
        f"hyperscore.dev+configmaps+events+jobs {operators_share(steady) / steady_s:.2f} "
        f"(baseline {operators_share(base) / base_s:.2f})",
        f"-> per assessment per hour: {max(all_op, 0) * per_hour:.2f} (all, minus baseline), "
        f"{max(ours_op, 0) * per_hour:.2f} (operator's resources, minus baseline); "
        f"the operator's open WATCHes on them: {watches}",
    ]
    top = sorted(steady.items(), key=lambda kv: -kv[1])[:6]
    if top:
        lines.append(
            "steady-window requests: "
            + ", ".join(
                f"{v} {verb} {g or 'core'}/{r}{'/' + s if s else ''}" for (g, r, s, verb), v in top
            )
        )
    record(
        "operator_scale",
        assessments=n,
        max_concurrent=concurrency,
        create_s=created_s,
        all_ready_s=total_s,
        per_min=n / total_s * 60,
        cpu_s=cpu_rush,
        cpu_ms_per_assessment=per_cpu * 1000,
        engine_ms_per_run_wall=engine_mean * 1000,
        engine_alone_warm_ms=engine_warm * 1000,
        engine_alone_cold_s=engine_cold,
        rush_requests_per_assessment=sum(rush.values()) / n,
        rush=json.dumps({"/".join(k): v for k, v in rush.items()}),
        peak_rss_mb=hwm_mb,
        steady_window_s=steady_s,
        steady_cpu_s=steady_cpu,
        open_watches=watches,
        requests_per_s_all=sum(steady.values()) / steady_s,
        requests_per_s_baseline=sum(base.values()) / base_s,
        requests_per_assessment_hour_all=max(all_op, 0) * per_hour,
        requests_per_assessment_hour_ours=max(ours_op, 0) * per_hour,
        steady=json.dumps({"/".join(k): v for k, v in steady.items()}),
        scores=sorted({s for s in scores if s is not None}),
    )

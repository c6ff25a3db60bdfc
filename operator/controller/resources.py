"""Pure builders of the child objects of an assessment: report ConfigMaps, the source snapshot
and the sandbox Job. Nothing here talks to a cluster, so every manifest is unit-tested as data.

Names are deterministic: a function of the assessment's uid, the run number and the stage. An
operator restarted in the middle of a run therefore computes the same names, finds the objects
it already created (HTTP 409 on create) and adopts them instead of starting duplicates.
Every child carries an ownerReference to the assessment (controller, blockOwnerDeletion), so the
garbage collector deletes them with it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hyperscore.evaluators.assessment import Check, StageResult
from hyperscore.evaluators.stages.sandbox.jobs import build_job
from hyperscore.evaluators.stages.sandbox.limits import SandboxLimits
from hyperscore.operator.api.models import API_VERSION, ReportRef

UID_LABEL = "hyperscore.dev/assessment-uid"
PART_LABEL = "hyperscore.dev/part"
RUN_LABEL = "hyperscore.dev/run"
REPORT_KEY = "report.json"
SOURCE_KEY = "source.tar.gz"
# A ConfigMap holds at most 1 MiB in total (names, keys and values); leave room for metadata.
CONFIG_MAP_CHUNK_BYTES = 900 * 1024
MAX_REPORT_CHUNKS = 64  # ReportRef.config_maps' bound


class TooLarge(ValueError):
    """A child object would exceed what the API server stores."""


def owner_reference(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body["metadata"]
    return {
        "apiVersion": body.get("apiVersion", API_VERSION),
        "kind": body.get("kind", "MaturityAssessment"),
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def child_name(uid: str, stage: str, run: int | None = None) -> str:
    """``hs-<uid[:8]>-<stage>[-r<run>]``: a DNS-1123 label (< 63 chars) unique per
    assessment, stage and run."""
    suffix = f"-r{run}" if run is not None else ""
    return f"hs-{uid[:8].lower()}-{stage}{suffix}"


def _labels(uid: str, part: str, run: int | None = None) -> dict[str, str]:
    labels = {
        UID_LABEL: uid,
        PART_LABEL: part,
        "app.kubernetes.io/managed-by": "hyperscore",
    }
    if run is not None:
        labels[RUN_LABEL] = str(run)
    return labels


def report_config_maps(
    report_json: str, *, namespace: str, uid: str, owner: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], ReportRef]:
    """The full JSON report split over as many ConfigMaps as it needs (read them in name order
    and concatenate the ``report.json`` values), and the status' reference to them."""
    data = report_json.encode()
    chunks = [
        data[i : i + CONFIG_MAP_CHUNK_BYTES] for i in range(0, len(data), CONFIG_MAP_CHUNK_BYTES)
    ] or [b""]
    if len(chunks) > MAX_REPORT_CHUNKS:
        raise TooLarge(f"the report is {len(data)} bytes, over {MAX_REPORT_CHUNKS} ConfigMaps")
    maps: list[dict[str, Any]] = []
    for index, chunk in enumerate(chunks):
        maps.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": f"{child_name(uid, 'report')}-{index}",
                    "namespace": namespace,
                    "labels": _labels(uid, "report"),
                    "ownerReferences": [dict(owner)],
                },
                # A chunk boundary may split a UTF-8 sequence: chunks go in binaryData then.
                **(
                    {"data": {REPORT_KEY: chunk.decode()}}
                    if _is_utf8(chunk)
                    else {"binaryData": {REPORT_KEY: base64.b64encode(chunk).decode()}}
                ),
            }
        )
    ref = ReportRef(
        config_maps=[m["metadata"]["name"] for m in maps],
        key=REPORT_KEY,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return maps, ref


def _is_utf8(chunk: bytes) -> bool:
    try:
        chunk.decode()
    except UnicodeDecodeError:
        return False
    return True


def source_archive(directory: Path, max_bytes: int = CONFIG_MAP_CHUNK_BYTES) -> bytes:
    """The fetched project as a deterministic .tar.gz (sorted, no owners or times)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()):
            info = tar.gettarinfo(str(path), arcname=path.relative_to(directory).as_posix())
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            info.mode = 0o644
            with path.open("rb") as handle:
                tar.addfile(info, handle)
            if buffer.tell() > max_bytes:  # early exit; the final size is checked below
                break
    if buffer.tell() > max_bytes:
        raise TooLarge(f"the project is larger than {max_bytes} bytes compressed")
    return buffer.getvalue()


def source_snapshot(
    archive: bytes, *, namespace: str, uid: str, run: int, owner: Mapping[str, Any]
) -> dict[str, Any]:
    """The ConfigMap a sandbox Job reads its source from: the trusted fetch's result, so the
    Job itself needs no network (its NetworkPolicy denies all egress, DNS included)."""
    if len(archive) > CONFIG_MAP_CHUNK_BYTES:
        raise TooLarge(f"the source archive is {len(archive)} bytes, over one ConfigMap")
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": child_name(uid, "source", run),
            "namespace": namespace,
            "labels": _labels(uid, "source", run),
            "ownerReferences": [dict(owner)],
        },
        "binaryData": {SOURCE_KEY: base64.b64encode(archive).decode()},
    }


# Runs inside the sandbox Pod (python3 of the sandbox image): unpack the snapshot, run the
# project's command, write a small JSON summary to the termination log. Exit 0 whatever the
# project's command did: the Job reports that *we* finished; the verdict is in the message.
SANDBOX_RUNNER = """\
import json, re, subprocess, sys, tarfile
with tarfile.open("/src/source.tar.gz") as t:
    t.extractall("/work/src", filter="data")
try:
    p = subprocess.run(sys.argv[2:], cwd="/work/src", capture_output=True,
                       timeout=float(sys.argv[1]))
    code, out = p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
except subprocess.TimeoutExpired:
    code, out = 124, ""
def count(word):
    m = re.findall(r"(\\d+) " + word, out)
    return int(m[-1]) if m else None
summary = {"exitCode": code, "passed": count("passed"), "failed": count("failed")}
with open("/dev/termination-log", "w") as f:
    json.dump(summary, f)
"""


def sandbox_job(
    argv: Sequence[str],
    *,
    namespace: str,
    uid: str,
    run: int,
    image: str,
    owner: Mapping[str, Any],
    limits: SandboxLimits | None = None,
) -> list[dict[str, Any]]:
    """``[Job, NetworkPolicy]`` running ``argv`` on the run's source snapshot, built by the
    sandbox stage's own pure builder (restricted Pod Security, no token, deny-all network)."""
    limits = limits or SandboxLimits()
    command = ["python3", "-c", SANDBOX_RUNNER, str(limits.wall_seconds), *argv]
    objects = build_job(
        child_name(uid, "sandbox", run),
        namespace,
        image,
        command,
        limits,
        source_configmap=child_name(uid, "source", run),
        owner=dict(owner),
    )
    for obj in objects:
        obj["metadata"]["labels"].update(_labels(uid, "sandbox", run))
    return objects


def sandbox_result(message: str | None, job_state: str, command: Sequence[str]) -> StageResult:
    """The sandbox stage's result from the Pod's termination message (untrusted text: parsed
    as JSON with expected types only, anything else is an error result, never an exception)."""
    shown = " ".join(command)[:200]
    if job_state != "Complete":
        return StageResult(
            stage="sandbox", status="error", summary=f"the sandbox Job {job_state.lower()}"
        )
    try:
        summary = json.loads(message or "")
    except ValueError:
        summary = None
    if not isinstance(summary, dict) or not isinstance(summary.get("exitCode"), int):
        return StageResult(
            stage="sandbox", status="error", summary="no readable result in the termination log"
        )
    code = summary["exitCode"]
    detail = {
        key: summary[key]
        for key in ("exitCode", "passed", "failed")
        if isinstance(summary.get(key), int)
    }
    check = Check(
        id="sandbox:job",
        kind="command",
        statement=f"`{shown}` succeeds in an isolated Job",
        result="passed" if code == 0 else "failed",
        detail=detail,
    )
    return StageResult(
        stage="sandbox",
        status="ok",
        score=1.0 if code == 0 else 0.0,
        summary=f"`{shown}` exited {code}",
        checks=[check],
        details={"backend": "kubernetes-job", **detail},
    )

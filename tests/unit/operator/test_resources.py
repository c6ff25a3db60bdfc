"""The pure child-object builders: deterministic names, owner references, the report split
over ConfigMaps, the source snapshot, the sandbox Job and reading its termination message."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from hyperscore.operator.controller import resources

UID = "504c68fb-70bd-4398-9428-d459197d4066"
BODY = {
    "apiVersion": "hyperscore.dev/v1alpha1",
    "kind": "MaturityAssessment",
    "metadata": {"name": "tiny", "namespace": "ml", "uid": UID},
}
OWNER = resources.owner_reference(BODY)


def test_owner_reference_makes_the_assessment_the_controller() -> None:
    assert OWNER == {
        "apiVersion": "hyperscore.dev/v1alpha1",
        "kind": "MaturityAssessment",
        "name": "tiny",
        "uid": UID,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def test_child_names_are_deterministic_and_distinct() -> None:
    assert resources.child_name(UID, "sandbox", 3) == "hs-504c68fb-sandbox-r3"
    assert resources.child_name(UID, "sandbox", 3) == resources.child_name(UID, "sandbox", 3)
    names = {resources.child_name(UID, s, r) for s in ("sandbox", "source") for r in (1, 2)}
    assert len(names) == 4
    assert resources.child_name("AB", "report") == "hs-ab-report"


def _joined(maps: list[dict[str, object]]) -> bytes:
    out = b""
    for cm in maps:
        if "data" in cm:
            out += cm["data"][resources.REPORT_KEY].encode()  # type: ignore[index]
        else:
            out += base64.b64decode(cm["binaryData"][resources.REPORT_KEY])  # type: ignore[index]
    return out


def test_a_small_report_is_one_owned_config_map() -> None:
    maps, ref = resources.report_config_maps('{"score": 1}', namespace="ml", uid=UID, owner=OWNER)
    assert len(maps) == 1
    assert maps[0]["metadata"]["ownerReferences"] == [OWNER]
    assert maps[0]["metadata"]["labels"][resources.UID_LABEL] == UID
    assert ref.config_maps == ["hs-504c68fb-report-0"]
    assert ref.sha256 == hashlib.sha256(b'{"score": 1}').hexdigest()


def test_a_large_report_is_split_and_joins_back_even_inside_a_utf8_character() -> None:
    text = json.dumps({"notes": "é" * resources.CONFIG_MAP_CHUNK_BYTES}, ensure_ascii=False)
    maps, ref = resources.report_config_maps(text, namespace="ml", uid=UID, owner=OWNER)
    assert len(maps) == 3 and ref.config_maps == [m["metadata"]["name"] for m in maps]
    assert any("binaryData" in m for m in maps)  # a chunk boundary split a character
    assert _joined(maps).decode() == text
    assert ref.sha256 == hashlib.sha256(text.encode()).hexdigest()


def test_a_report_over_64_config_maps_is_refused() -> None:
    with pytest.raises(resources.TooLarge, match="over 64 ConfigMaps"):
        resources.report_config_maps(
            "x" * (resources.CONFIG_MAP_CHUNK_BYTES * 64 + 1), namespace="ml", uid=UID, owner=OWNER
        )


def test_source_archive_is_deterministic_and_snapshot_is_owned(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "README.md").write_text("# t\n")
    first = resources.source_archive(tmp_path)
    (tmp_path / "README.md").touch()  # a new mtime changes nothing
    assert resources.source_archive(tmp_path) == first
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        assert tar.getnames() == ["README.md", "pkg/a.py"]
    snapshot = resources.source_snapshot(first, namespace="ml", uid=UID, run=2, owner=OWNER)
    assert snapshot["metadata"]["name"] == "hs-504c68fb-source-r2"
    assert base64.b64decode(snapshot["binaryData"][resources.SOURCE_KEY]) == first
    with pytest.raises(resources.TooLarge):
        resources.source_archive(tmp_path, max_bytes=10)


def test_sandbox_job_runs_the_command_on_the_snapshot_without_network() -> None:
    job, policy = resources.sandbox_job(
        ["python", "-m", "pytest", "-q"],
        namespace="ml",
        uid=UID,
        run=2,
        image="img@sha256:" + "a" * 64,
        owner=OWNER,
    )
    assert (
        job
        == resources.sandbox_job(
            ["python", "-m", "pytest", "-q"],
            namespace="ml",
            uid=UID,
            run=2,
            image="img@sha256:" + "a" * 64,
            owner=OWNER,
        )[0]
    )
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["command"][:2] == ["python3", "-c"]
    assert container["command"][-4:] == ["python", "-m", "pytest", "-q"]
    assert {"name": "src", "configMap": {"name": "hs-504c68fb-source-r2"}} in pod["volumes"]
    assert pod["automountServiceAccountToken"] is False
    assert job["metadata"]["ownerReferences"] == [OWNER] == policy["metadata"]["ownerReferences"]
    assert job["metadata"]["labels"][resources.RUN_LABEL] == "2"
    assert policy["spec"]["egress"] == [] and policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    compile(resources.SANDBOX_RUNNER, "runner", "exec")  # the in-Pod script is valid Python


@pytest.mark.parametrize(
    ("message", "state", "status", "score"),
    [
        ('{"exitCode": 0, "passed": 4, "failed": 0}', "Complete", "ok", 1.0),
        ('{"exitCode": 1, "passed": 3, "failed": 1}', "Complete", "ok", 0.0),
        ("Traceback (most recent call last): ...", "Complete", "error", None),
        ('{"exitCode": "0"}', "Complete", "error", None),
        (None, "Failed", "error", None),
        (None, "TimedOut", "error", None),
    ],
)
def test_sandbox_result_from_the_termination_message(
    message: str | None, state: str, status: str, score: float | None
) -> None:
    result = resources.sandbox_result(message, state, ["pytest"])
    assert (result.stage, result.status, result.score) == ("sandbox", status, score)
    if status == "ok":
        assert result.details["passed"] == json.loads(message or "")["passed"]
        assert result.checks[0].result == ("passed" if score else "failed")


def test_the_archive_a_ray_actor_receives_assesses_like_the_directory(tmp_path: Path) -> None:
    """What travels to the actor (source_archive) is read by the engine's archive reader to the
    same result as the fetched directory itself (the in-process executor's input)."""
    from hyperscore.operator.controller.executors import _assess_archive, run_engine

    (tmp_path / "README.md").write_text("# Tiny model\n")
    (tmp_path / "train.py").write_text("import mlflow\nmlflow.autolog()\n")
    (tmp_path / "test_train.py").write_text("def test_ok():\n    assert True\n")
    (tmp_path / "requirements.txt").write_text("mlflow==2.17.0\npytest==8.3.3\n")
    direct = run_engine(str(tmp_path), False, ("repro",))
    shipped = _assess_archive(resources.source_archive(tmp_path), False, ("repro",))
    for key in ("score", "level", "dimensions"):
        assert shipped["assessment"][key] == direct["assessment"][key]
    assert shipped["commands"] == direct["commands"] != []

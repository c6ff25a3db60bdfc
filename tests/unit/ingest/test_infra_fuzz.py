"""Property tests: infrastructure parsers read hostile text without hanging or escaping.

Random text and mutated valid documents either yield Evidence for the right path with in-range
lines, or raise an ``Exception`` (which the walker records as unparseable).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest.parsers.infra_docker import parse_compose, parse_dockerfile
from hyperscore.evaluators.ingest.parsers.infra_iac import (
    parse_bicep,
    parse_cdk_code,
    parse_cdk_json,
    parse_cloud_template,
    parse_terraform,
    parse_tfvars,
)
from hyperscore.evaluators.ingest.parsers.infra_kubernetes import (
    parse_helm_chart,
    parse_helm_values,
    parse_helm_values_schema,
    parse_kubernetes,
    parse_kustomization,
)
from hyperscore.evaluators.ingest.parsers.infra_serving import (
    parse_bentofile,
    parse_bentoml_python,
    parse_mlserver_settings,
    parse_triton_config,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence

Parse = Callable[[ParseInput], Iterable[Evidence]]

SAMPLES: dict[str, tuple[Parse, str]] = {
    "Dockerfile": (
        parse_dockerfile,
        "# syntax=docker/dockerfile:1\nARG BASE=python:3.11\nFROM ${BASE} AS b\n"
        "RUN pip install a \\\n  b==1 && curl -s x | sh\nRUN <<EOF\nchmod 777 /x\nEOF\n"
        'FROM b\nENV API_TOKEN=x\nUSER 1000\nHEALTHCHECK CMD true\nCMD ["python", "a.py"]\n',
    ),
    "docker-compose.yml": (
        parse_compose,
        "services:\n  api:\n    build: {context: ., dockerfile: D}\n    ports: ['80:80']\n"
        "    environment: {DB_PASSWORD: x}\n    depends_on: [db]\n    volumes: ['./a:/a']\n"
        "  db:\n    image: postgres:16\n    healthcheck: {test: [NONE]}\n",
    ),
    "deploy/app.yaml": (
        parse_kubernetes,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: n}\nspec:\n"
        "  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: c\n"
        "        image: a:1\n        resources: {limits: {cpu: 1}}\n        livenessProbe: {}\n"
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n"
        "rules: [{verbs: ['*'], resources: ['*']}]\n---\napiVersion: serving.kserve.io/v1beta1\n"
        "kind: InferenceService\nmetadata: {name: m}\nspec:\n  predictor:\n"
        "    canaryTrafficPercent: 10\n    model: {storageUri: 's3://b/m'}\n",
    ),
    "charts/c/templates/d.yaml": (
        parse_kubernetes,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n"
        '  labels:\n    {{- include "l" . | nindent 4 }}\nspec:\n  ports: [{port: 80}]\n',
    ),
    "charts/c/Chart.yaml": (
        parse_helm_chart,
        "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - {name: r, version: 1.2.3}\n",
    ),
    "charts/c/values.yaml": (
        parse_helm_values,
        "image:\n  repository: a/b\n  tag: '1'\nsidecar:\n  image: c:latest\n",
    ),
    "kustomization.yaml": (
        parse_kustomization,
        "resources: [../base, a.yaml]\nimages: [{name: a, newTag: '1'}]\n"
        "patches: [{path: p.yaml}]\n",
    ),
    "bentofile.yaml": (
        parse_bentofile,
        "service: 's:svc'\npython: {packages: [a, b==1]}\ndocker: {base_image: 'python:3.11'}\n",
    ),
    "config.pbtxt": (
        parse_triton_config,
        'name: "m"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n'
        "instance_group [ { count: 1 kind: KIND_GPU } ]\ndynamic_batching { }\n",
    ),
    "main.tf": (
        parse_terraform,
        "terraform {\n  required_providers {\n"
        '    aws = { source = "hashicorp/aws", version = "5.0.0" }\n'
        '  }\n  backend "s3" {}\n}\nresource "aws_s3_bucket" "b" {\n  tags = { a = "${var.x}" }\n'
        '}\nmodule "m" {\n  source = "git::https://g/r?ref=v1"\n}\n',
    ),
    "main.tf.json": (
        parse_terraform,
        '{"resource": {"aws_s3_bucket": {"b": {"bucket": "x"}}},\n "data": {"aws_ami": {"a": {}}}}',
    ),
    "prod.tfvars": (parse_tfvars, 'a = "1"\nb = {\n  c = 2\n}\n'),
    "main.bicep": (
        parse_bicep,
        "resource s 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'x'\n}\n"
        "module m './m.bicep' = {\n  name: 'm'\n}\n",
    ),
    "template.yaml": (
        parse_cloud_template,
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  B:\n    Type: AWS::S3::Bucket\n"
        "    Properties: {BucketName: !Sub '${AWS::StackName}'}\n",
    ),
    "azuredeploy.json": (
        parse_cloud_template,
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
        'deploymentTemplate.json#",\n "resources": [{"type": "Microsoft.Web/sites", '
        '"name": "w",\n "resources": [{"type": "config", "name": "c"}]}]}\n',
    ),
    "cdk.json": (parse_cdk_json, '{"app": "npx ts-node bin/app.ts", "context": {}}'),
    "values.schema.json": (
        parse_helm_values_schema,
        '{"properties": {"a": {}}, "required": ["a"]}',
    ),
    "model-settings.json": (
        parse_mlserver_settings,
        '{"name": "m", "implementation": "x.Y", "parameters": {"uri": "./m.bin"}}',
    ),
    "service.py": (
        parse_bentoml_python,
        "import bentoml\n@bentoml.service()\nclass S:\n    pass\nsvc = bentoml.Service('s')\n",
    ),
    "app.py": (
        parse_cdk_code,
        "import aws_cdk as cdk\nfrom aws_cdk import aws_s3 as s3\ns3.Bucket(self, 'B')\n",
    ),
}


def check(fn: Parse, path: str, text: str) -> None:
    """The property: Evidence with this path and in-range lines, or an ordinary exception."""
    started = time.perf_counter()
    try:
        items = list(fn(ParseInput(path, text)))
    except Exception:
        return
    finally:
        assert time.perf_counter() - started < 5, "parser took more than 5 s"
    last_line = max(1, len(text.splitlines()))
    for item in items:
        assert isinstance(item, Evidence)
        assert item.path == path
        if item.line is not None:
            assert 1 <= item.line <= last_line, (item.kind, item.line, last_line)
        if item.end_line is not None:
            assert item.line is not None and item.line <= item.end_line <= last_line
        item.model_dump_json()


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` after a few random deletions, insertions and line duplications."""
    alphabet = st.sampled_from([*"[]{}=\"'#\\:;,@-.|$ \n\t<>*!&`", "{{", "}}", "\u2028", "é"])
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "junk"]))
        if action == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        elif action == "insert":
            text = text[:pos] + "".join(draw(st.lists(alphabet, max_size=10))) + text[pos:]
        elif action == "duplicate":
            lines = text.splitlines(keepends=True)
            if lines:
                idx = draw(st.integers(0, len(lines) - 1))
                lines.insert(idx, lines[idx])
            text = "".join(lines)
        else:
            text = text[:pos] + draw(st.text(max_size=15)) + text[pos:]
    return text


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_samples_yield_evidence(path: str) -> None:
    fn, text = SAMPLES[path]
    items = list(fn(ParseInput(path, text)))
    assert items
    check(fn, path, text)


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documents(path: str, data: st.DataObject) -> None:
    fn, text = SAMPLES[path]
    check(fn, path, data.draw(mutated(text)))


@pytest.mark.parametrize("path", sorted(SAMPLES))
@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300))
def test_random_text(path: str, text: str) -> None:
    fn, _ = SAMPLES[path]
    check(fn, path, text)


# Sized so that anything quadratic in the input would take minutes, linear work well under 5 s.
ADVERSARIAL = [
    "{{" * 20_000,
    "{{ a }}" * 10_000 + "x",
    "apiVersion: v1\nkind: X\n" + "kind: Y\n" * 10_000,
    "# escape=x" + " " * 100_000 + "y\n",
    "FROM a\nRUN " + "curl " * 30_000 + "\n",
    "FROM a\nRUN x \\\n" * 10_000,
    '"' + "${a}" * 10_000,
    "resource " * 20_000 + "{",
    "\n" * 100_000,
    "a." * 50_000 + "aws_cdk",
    "?" * 100_000 + "https://",
    "k: [" * 2_000,
    '{"$schema": "deploymentTemplate.json", "resources": ' + "[" * 90 + "]" * 90 + "}",
]


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_adversarial_inputs_finish_quickly(path: str) -> None:
    fn, _ = SAMPLES[path]
    for text in ADVERSARIAL:
        check(fn, path, text)

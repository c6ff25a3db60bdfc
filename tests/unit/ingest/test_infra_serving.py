"""Serving configurations (KServe, Seldon, BentoML, Triton, MLServer) and traffic shifting."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.ingest.parsers.infra_common import (
    ImageRef,
    ServingConfig,
    load_yaml_located,
    ymap,
)
from hyperscore.evaluators.ingest.parsers.infra_serving import (
    ProgressiveDelivery,
    parse_bentofile,
    parse_bentoml_python,
    parse_mlserver_settings,
    parse_pbtxt,
    parse_triton_config,
    serving_from_manifest,
)
from hyperscore.evaluators.ingest.registry import ParseInput
from hyperscore.evaluators.model import Evidence


def manifest(text: str, path: str = "serving.yaml") -> list[Evidence]:
    (doc,) = load_yaml_located(text)
    doc = ymap(doc)
    return serving_from_manifest(path, doc, str(doc["apiVersion"]), str(doc["kind"]))


def test_kserve_inference_service() -> None:
    text = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
  annotations: {serving.kserve.io/deploymentMode: RawDeployment}
spec:
  predictor:
    minReplicas: 1
    maxReplicas: 4
    canaryTrafficPercent: 10
    logger: {mode: all, url: http://logger}
    batcher: {maxBatchSize: 32}
    model:
      modelFormat: {name: sklearn}
      runtime: kserve-sklearnserver
      storageUri: https://acct.blob.core.windows.net/m/iris?sv=1&sig=SECRET
  explainer:
    alibi: {type: AnchorTabular}
"""
    config, delivery = manifest(text)
    assert isinstance(config, ServingConfig) and isinstance(delivery, ProgressiveDelivery)
    assert (config.framework, config.model_name, config.model_format, config.runtime) == (
        "kserve",
        "iris",
        "sklearn",
        "kserve-sklearnserver",
    )
    assert config.storage_uri == "https://acct.blob.core.windows.net/m/iris?sv=1&sig=***"
    assert (config.canary_percent, config.batching, config.max_batch_size) == (10, True, 32)
    assert (config.min_replicas, config.max_replicas, config.line) == (1, 4, 8)
    assert config.settings == {
        "deployment_mode": "RawDeployment",
        "logger": "all",
        "explainer": "alibi",
    }
    assert (delivery.tool, delivery.strategy, delivery.weights, delivery.line) == (
        "kserve",
        "canary",
        (10,),
        10,
    )


def test_kserve_legacy_framework_key() -> None:
    text = (
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: x}\n"
        "spec:\n  predictor:\n    tensorflow: {storageUri: 's3://b/m'}\n"
    )
    (config,) = manifest(text)
    assert isinstance(config, ServingConfig)
    assert (config.model_format, config.storage_uri, config.canary_percent) == (
        "tensorflow",
        "s3://b/m",
        None,
    )


def test_seldon_v2_experiment_and_model() -> None:
    experiment = """\
apiVersion: mlops.seldon.io/v1alpha1
kind: Experiment
metadata: {name: ab}
spec:
  default: iris
  candidates:
  - {name: iris, weight: 50}
  - {name: iris2, weight: 50}
"""
    config, delivery = manifest(experiment)
    assert isinstance(config, ServingConfig) and isinstance(delivery, ProgressiveDelivery)
    assert config.traffic == {"iris": 50, "iris2": 50} and config.canary_percent == 50
    assert (delivery.strategy, delivery.target, delivery.weights) == (
        "experiment",
        "iris",
        (50, 50),
    )
    model = (
        "apiVersion: mlops.seldon.io/v1alpha1\nkind: Model\nmetadata: {name: iris}\n"
        "spec: {storageUri: gs://b/iris, requirements: [sklearn], replicas: 2}\n"
    )
    (config,) = manifest(model)
    assert isinstance(config, ServingConfig)
    assert (config.framework, config.model_format, config.min_replicas) == (
        "seldon-v2",
        "sklearn",
        2,
    )


@pytest.mark.parametrize(
    ("text", "tool", "strategy", "weights"),
    [
        (
            "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: api}\nspec:\n"
            "  targetRef: {kind: Deployment, name: api}\n"
            "  analysis: {stepWeight: 10, maxWeight: 50, metrics: [{name: success-rate}]}\n",
            "flagger",
            "canary",
            (10, 50),
        ),
        (
            "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: m}\n"
            "spec:\n  http:\n  - route:\n    - {destination: {host: v1}, weight: 90}\n"
            "    - {destination: {host: v2}, weight: 10}\n",
            "istio",
            "traffic-split",
            (90, 10),
        ),
        (
            "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: m}\nspec:\n"
            "  traffic:\n  - {revisionName: m-1, percent: 80}\n"
            "  - {latestRevision: true, percent: 20}\n",
            "knative",
            "traffic-split",
            (80, 20),
        ),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: api}\nspec:\n"
            "  strategy:\n    blueGreen: {activeService: a, previewService: p, "
            "autoPromotionEnabled: false, prePromotionAnalysis: {templates: []}}\n",
            "argo-rollouts",
            "blueGreen",
            (),
        ),
    ],
)
def test_progressive_delivery_resources(
    text: str, tool: str, strategy: str, weights: tuple[int, ...]
) -> None:
    (delivery,) = manifest(text)
    assert isinstance(delivery, ProgressiveDelivery)
    assert (delivery.tool, delivery.strategy, delivery.weights) == (tool, strategy, weights)


def test_flagger_target_and_analysis() -> None:
    text = (
        "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: api}\nspec:\n"
        "  targetRef: {kind: Deployment, name: api}\n"
        "  analysis: {iterations: 10, metrics: [{name: latency}]}\n"
    )
    (delivery,) = manifest(text)
    assert isinstance(delivery, ProgressiveDelivery)
    assert (delivery.strategy, delivery.target, delivery.analysis) == (
        "blueGreen",
        "Deployment/api",
        True,
    )


def test_single_route_is_not_progressive_and_plain_service_is_ignored() -> None:
    single = (
        "apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: m}\n"
        "spec:\n  http:\n  - route:\n    - destination: {host: v1}\n"
    )
    assert manifest(single) == []
    assert manifest("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n") == []


BENTOFILE = """\
service: "service:IrisClassifier"
labels: {owner: ml}
include: ["*.py", "config/*.yaml"]
python:
  packages: [scikit-learn==1.4.2, pandas]
  lock_packages: true
docker:
  distro: debian
  python_version: "3.11"
  base_image: python:3.11-slim@sha256:abcd
models: ["iris_clf:latest", {tag: "fraud:v3"}]
envs: [{name: HF_TOKEN, value: xyz}]
"""


def test_bentofile() -> None:
    items = list(parse_bentofile(ParseInput("bentofile.yaml", BENTOFILE)))
    config = next(i for i in items if isinstance(i, ServingConfig))
    assert (config.framework, config.model_name, config.line) == (
        "bentoml",
        "service:IrisClassifier",
        1,
    )
    assert config.settings == {
        "include": "*.py,config/*.yaml",
        "python_packages": "2",
        "unpinned_packages": "pandas",
        "lock_packages": "true",
        "models": "iris_clf:latest,fraud:v3",
        "env_names": "HF_TOKEN",
        "docker_distro": "debian",
        "python_version": "3.11",
    }
    (image,) = [i for i in items if isinstance(i, ImageRef)]
    assert (image.pin, image.source, image.line) == ("digest", "bentoml", 10)
    assert "xyz" not in "".join(i.model_dump_json() for i in items)


TRITON = """\
name: "resnet50"
platform: "onnxruntime_onnx"
max_batch_size: 64
input [
  { name: "input" data_type: TYPE_FP32 dims: [ 3, 224, 224 ] }
]
output [
  { name: "output" data_type: TYPE_FP32 dims: [ 1000 ] }
]
instance_group [ { count: 2 kind: KIND_GPU }, { kind: KIND_CPU } ]
dynamic_batching {
  preferred_batch_size: [ 8, 16 ]
  max_queue_delay_microseconds: 100
}
# a comment
model_warmup [{ name: "warm" batch_size: 1 }]
"""


def test_triton_config() -> None:
    (config,) = parse_triton_config(ParseInput("models/resnet50/config.pbtxt", TRITON))
    assert isinstance(config, ServingConfig)
    assert (config.model_name, config.runtime, config.max_batch_size, config.batching) == (
        "resnet50",
        "onnxruntime_onnx",
        64,
        True,
    )
    assert config.settings == {
        "instance_group": "2xKIND_GPU,1xKIND_CPU",
        "inputs": "1",
        "outputs": "1",
        "model_warmup": "true",
    }


def test_triton_name_from_directory_and_ensemble() -> None:
    text = (
        'platform: "ensemble"\nensemble_scheduling {\n  step [\n'
        '    { model_name: "pre" model_version: -1 },\n    { model_name: "clf" }\n  ]\n}\n'
    )
    (config,) = parse_triton_config(ParseInput("repo/pipeline/config.pbtxt", text))
    assert isinstance(config, ServingConfig)
    assert (config.model_name, config.batching, config.settings["ensemble_models"]) == (
        "pipeline",
        False,
        "pre,clf",
    )


@pytest.mark.parametrize("text", ["name: {", "instance_group [ { count: 1 ", "} x", ": y", "a: ]"])
def test_malformed_pbtxt_raises(text: str) -> None:
    with pytest.raises(ValueError):
        parse_pbtxt(text)


def test_pbtxt_depth_limit() -> None:
    with pytest.raises(ValueError, match="deeply"):
        parse_pbtxt("a " + "{ b " * 100 + "}" * 100)


def test_mlserver_settings() -> None:
    text = (
        '{"name": "iris", "implementation": "mlserver_sklearn.SKLearnModel", '
        '"max_batch_size": 8, "parameters": {"uri": "./model.joblib", "version": "v1"}}'
    )
    (config,) = parse_mlserver_settings(ParseInput("models/iris/model-settings.json", text))
    assert isinstance(config, ServingConfig)
    assert (config.framework, config.runtime, config.storage_uri, config.batching) == (
        "mlserver",
        "mlserver_sklearn.SKLearnModel",
        "./model.joblib",
        True,
    )
    assert config.settings == {"version": "v1"}


def test_bentoml_services_in_python() -> None:
    text = """\
import bentoml


@bentoml.service(
    resources={"gpu": 1},
    traffic={"timeout": 10},
)
class Summarizer:
    @bentoml.api
    def summarize(self, text: str) -> str:
        return text


svc = bentoml.Service("iris_classifier", runners=[])
"""
    found = [
        (c.model_name, c.line, c.framework)
        for c in parse_bentoml_python(ParseInput("service.py", text))
        if isinstance(c, ServingConfig)
    ]
    assert found == [("Summarizer", 4, "bentoml"), ("iris_classifier", 14, "bentoml")]
    assert list(parse_bentoml_python(ParseInput("x.py", "import numpy\n"))) == []

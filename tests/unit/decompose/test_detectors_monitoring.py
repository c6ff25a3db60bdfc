"""Monitoring detectors: one positive and one negative tiny project per practice, plus the
fixture projects' levels."""

from __future__ import annotations

from hyperscore.evaluators.assessment import Dimension
from tests.unit.decompose.harness import (
    BUNDLE_JOB_ONLY,
    BUNDLE_MONITOR,
    Case,
    dimension_tests,
)

DIMENSION = Dimension.MONITORING

LOGGING = "import logging\n\nlogging.basicConfig(level=logging.INFO)\nlog = logging.getLogger()\n"
PRINTING = "def main():\n    print('training done')\n"
METRICS = (
    "from prometheus_client import Counter, make_asgi_app\n\n"
    "PREDICTIONS = Counter('predictions_total', 'Predictions served')\n"
    "metrics_app = make_asgi_app()\n"
)
DATA_CAPTURE = (
    "from sagemaker.model_monitor import DataCaptureConfig\n\n"
    "capture = DataCaptureConfig(enable_capture=True, sampling_percentage=100,\n"
    "                            destination_s3_uri='s3://bucket/capture')\n"
)
DRIFT = (
    "from evidently.report import Report\n"
    "from evidently.metric_preset import DataDriftPreset\n\n\n"
    "def drift(ref, cur):\n"
    "    report = Report(metrics=[DataDriftPreset()])\n"
    "    report.run(reference_data=ref, current_data=cur)\n"
    "    return report\n"
)
PERFORMANCE = (
    "from evidently.report import Report\n"
    "from evidently.metric_preset import ClassificationPreset\n\n\n"
    "def quality(ref, cur):\n"
    "    report = Report(metrics=[ClassificationPreset()])\n"
    "    report.run(reference_data=ref, current_data=cur)\n"
    "    return report\n"
)
RULES = (
    "groups:\n  - name: model\n    rules:\n      - alert: DriftHigh\n"
    "        expr: max(feature_drift_share) > 0.3\n        for: 15m\n"
    "        labels: {severity: warning}\n"
)
RECORDING_ONLY = (
    "groups:\n  - name: model\n    rules:\n      - record: job:requests:rate5m\n"
    "        expr: sum(rate(requests_total[5m]))\n"
)
DASHBOARD = (
    '{"title": "Model", "uid": "model", "panels": [{"title": "Traffic", "type": "timeseries",'
    ' "targets": [{"expr": "sum(rate(predictions_total[5m]))"}]}], "schemaVersion": 39}\n'
)
DRIFT_DISPATCH = DRIFT + (
    "\n\nimport requests\n\n\n"
    "def retrain(repo: str) -> None:\n"
    "    requests.post(f'https://api.github.com/repos/{repo}/dispatches',\n"
    "                  json={'event_type': 'drift-detected'}, timeout=10)\n"
)
RETRAIN_ON_DISPATCH = (
    "on:\n  repository_dispatch:\n    types: [drift-detected]\njobs:\n  train:\n"
    "    runs-on: ubuntu-latest\n    steps:\n      - run: python src/train.py\n"
)
RETRAIN_ON_PUSH = RETRAIN_ON_DISPATCH.replace(
    "  repository_dispatch:\n    types: [drift-detected]\n", "  push:\n"
)


CASES: list[Case] = [
    ("application-logging", "basic-config", {"src/pkg/serve.py": LOGGING}, True),
    ("application-logging", "print-only", {"src/pkg/train.py": PRINTING}, False),
    ("application-logging", "logging-only-in-tests", {"tests/test_x.py": LOGGING}, False),
    ("service-metrics", "prometheus-client", {"src/pkg/metrics.py": METRICS}, True),
    ("service-metrics", "logging-only", {"src/pkg/serve.py": LOGGING}, False),
    ("inference-logging", "sagemaker-data-capture", {"deploy/endpoint.py": DATA_CAPTURE}, True),
    (
        "inference-logging",
        "kserve-logger",
        {
            "deploy/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: m\nspec:\n  predictor:\n    logger:\n      mode: all\n"
            "      url: http://dumper.default/\n    model:\n      modelFormat: {name: sklearn}\n"
            "      storageUri: s3://m\n"
        },
        True,
    ),
    ("inference-logging", "request-logging-only", {"src/pkg/serve.py": LOGGING}, False),
    ("drift-monitoring", "evidently-drift", {"src/pkg/monitoring/drift.py": DRIFT}, True),
    ("drift-monitoring", "drift-only-in-tests", {"tests/test_drift.py": DRIFT}, False),
    (
        "drift-monitoring",
        "deepchecks-integrity-is-validation",
        {
            "src/pkg/validate.py": "from deepchecks.tabular.suites import data_integrity\n\n"
            "result = data_integrity().run(dataset)\n"
        },
        False,
    ),
    (
        "model-performance-monitoring",
        "evidently-classification",
        {"src/pkg/monitoring/quality.py": PERFORMANCE},
        True,
    ),
    (
        "model-performance-monitoring",
        "drift-is-not-performance",
        {"src/pkg/monitoring/drift.py": DRIFT},
        False,
    ),
    ("alerting", "prometheus-alert-rule", {"monitoring/rules.yaml": RULES}, True),
    ("alerting", "recording-rule-only", {"monitoring/rules.yaml": RECORDING_ONLY}, False),
    ("dashboards", "grafana-dashboard", {"monitoring/grafana/model.json": DASHBOARD}, True),
    (
        "dashboards",
        "plain-json",
        {"monitoring/grafana/notes.json": '{"title": "not a dashboard"}\n'},
        False,
    ),
    (
        "monitoring-feedback-loop",
        "drift-dispatches-retraining",
        {
            "src/pkg/monitoring/drift.py": DRIFT_DISPATCH,
            ".github/workflows/retrain.yml": RETRAIN_ON_DISPATCH,
        },
        True,
    ),
    (
        "monitoring-feedback-loop",
        "retraining-not-triggered-by-monitoring",
        {
            "src/pkg/monitoring/drift.py": DRIFT_DISPATCH,
            ".github/workflows/retrain.yml": RETRAIN_ON_PUSH,
        },
        False,
    ),
    (
        "inference-logging",
        "databricks-monitored-inference-log",
        {"databricks.yml": BUNDLE_MONITOR.format(label="        label_col: label\n")},
        True,
    ),
    ("inference-logging", "databricks-job-only", {"databricks.yml": BUNDLE_JOB_ONLY}, False),
    (
        "drift-monitoring",
        "databricks-quality-monitor",
        {"databricks.yml": BUNDLE_MONITOR.format(label="")},
        True,
    ),
    ("drift-monitoring", "databricks-job-only", {"databricks.yml": BUNDLE_JOB_ONLY}, False),
    (
        "model-performance-monitoring",
        "databricks-monitor-with-labels",
        {"databricks.yml": BUNDLE_MONITOR.format(label="        label_col: label\n")},
        True,
    ),
    (
        "model-performance-monitoring",
        "databricks-monitor-without-labels",
        {"databricks.yml": BUNDLE_MONITOR.format(label="")},
        False,
    ),
]


test_detector, test_both_polarities, test_fixture_projects_levels = dimension_tests(
    DIMENSION, CASES
)

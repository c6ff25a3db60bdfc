"""Model-serving configurations and progressive-delivery signals.

Three sources: serving custom resources met inside Kubernetes manifests (KServe
``InferenceService``, Seldon ``SeldonDeployment``/``Model``/``Experiment``; the Kubernetes parser
hands them here through :func:`serving_from_manifest`), traffic-shifting resources (Argo
Rollouts, Flagger, Knative, Istio, SMI) and stand-alone serving files (BentoML
``bentofile.yaml``, Triton ``config.pbtxt``, MLServer ``model-settings.json``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

from hyperscore.evaluators.ingest.formats import load_json
from hyperscore.evaluators.ingest.parsers.infra_common import (
    ServingConfig,
    YamlMap,
    bool_or_none,
    image_evidence,
    int_or_none,
    load_yaml_located,
    redact_uri,
    str_tuple,
    text_or_none,
    ylist,
    ymap,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality


class ProgressiveDelivery(Evidence):
    """Traffic is shifted gradually (canary, blue-green, split, mirror) rather than all at once.

    ``weights`` are the traffic percentages configured (canary steps, split shares);
    ``analysis`` is True when promotion is gated on metrics (Argo analysis, Flagger metrics).
    """

    kind: Literal["k8s.progressive_delivery"] = "k8s.progressive_delivery"
    modality: Modality = Modality.INFRASTRUCTURE
    tool: str
    strategy: str
    target: str | None = None
    weights: tuple[int, ...] = ()
    analysis: bool = False
    auto_promotion: bool | None = None


KSERVE_FRAMEWORKS = frozenset({
    "sklearn", "xgboost", "lightgbm", "tensorflow", "pytorch", "onnx", "triton", "pmml", "paddle",
    "huggingface", "torchserve", "mlflow",
})  # fmt: skip


def _k8s_node(kind: str, namespace: str | None, name: str) -> str:
    return f"k8s:{kind}/{namespace or 'default'}/{name}"


def _uri(value: Any) -> str | None:
    text = text_or_none(value)
    return redact_uri(text) if text else None


def _kserve(path: str, doc: YamlMap, name: str, node: str) -> Iterator[Evidence]:
    spec = ymap(doc.get("spec"))
    predictor = ymap(spec.get("predictor"))
    model = ymap(predictor.get("model"))
    model_format = text_or_none(ymap(model.get("modelFormat")).get("name"))
    for key in KSERVE_FRAMEWORKS & predictor.keys():
        model, model_format = ymap(predictor[key]), model_format or key
    batcher = predictor.get("batcher")
    settings = {
        "deployment_mode": text_or_none(
            ymap(ymap(doc.get("metadata")).get("annotations")).get(
                "serving.kserve.io/deploymentMode"
            )
        ),
        "logger": text_or_none(ymap(predictor.get("logger")).get("mode"))
        or ("all" if "logger" in predictor else None),
        "transformer": "true" if "transformer" in spec else None,
        "explainer": ",".join(ymap(spec.get("explainer")).keys()) or None,
        "scale_metric": text_or_none(predictor.get("scaleMetric")),
    }
    canary = int_or_none(predictor.get("canaryTrafficPercent"))
    yield ServingConfig(
        path=path,
        line=predictor.line if predictor else doc.line,
        end_line=predictor.end_line if predictor else None,
        name=name,
        framework="kserve",
        model_name=name,
        model_format=model_format,
        storage_uri=_uri(model.get("storageUri")),
        runtime=text_or_none(model.get("runtime")),
        canary_percent=canary,
        batching=batcher is not None if "batcher" in predictor else None,
        max_batch_size=int_or_none(ymap(batcher).get("maxBatchSize")),
        min_replicas=int_or_none(predictor.get("minReplicas")),
        max_replicas=int_or_none(predictor.get("maxReplicas")),
        settings={k: v for k, v in settings.items() if v},
        links=(Link(src=node, dst=f"serving:{path}#{name}", rel="serves"),),
    )
    if canary is not None:
        yield ProgressiveDelivery(
            path=path,
            line=predictor.line_of("canaryTrafficPercent"),
            name=name,
            tool="kserve",
            strategy="canary",
            target=name,
            weights=(canary,),
        )


def _seldon_v1(path: str, doc: YamlMap, name: str, node: str) -> Iterator[Evidence]:
    predictors = ylist(ymap(doc.get("spec")).get("predictors"))
    traffic: dict[str, int] = {}
    shadow = False
    first_graph = YamlMap()
    for index, raw in enumerate(predictors):
        predictor = ymap(raw)
        label = text_or_none(predictor.get("name")) or str(index)
        share = int_or_none(predictor.get("traffic"))
        if share is not None:
            traffic[label] = share
        shadow = shadow or predictor.get("shadow") is True
        if index == 0:
            first_graph = ymap(predictor.get("graph"))
    spec_line = ymap(doc.get("spec")).line if "spec" in doc else doc.line
    yield ServingConfig(
        path=path,
        line=spec_line,
        name=name,
        framework="seldon",
        model_name=name,
        model_format=text_or_none(first_graph.get("implementation")),
        storage_uri=_uri(first_graph.get("modelUri")),
        traffic=traffic,
        canary_percent=min(traffic.values()) if len(traffic) > 1 else None,
        settings={"predictors": str(len(predictors))} | ({"shadow": "true"} if shadow else {}),
        links=(Link(src=node, dst=f"serving:{path}#{name}", rel="serves"),),
    )
    if len(predictors) > 1:
        yield ProgressiveDelivery(
            path=path,
            line=spec_line,
            name=name,
            tool="seldon",
            strategy="shadow" if shadow else "traffic-split",
            target=name,
            weights=tuple(traffic.values()),
        )


def _seldon_v2(path: str, doc: YamlMap, kind: str, name: str) -> Iterator[Evidence]:
    spec = ymap(doc.get("spec"))
    if kind == "Model":
        yield ServingConfig(
            path=path,
            line=doc.line,
            name=name,
            framework="seldon-v2",
            model_name=name,
            model_format=",".join(str_tuple(ylist(spec.get("requirements")))) or None,
            storage_uri=_uri(spec.get("storageUri")),
            min_replicas=int_or_none(spec.get("minReplicas") or spec.get("replicas")),
            max_replicas=int_or_none(spec.get("maxReplicas")),
        )
        return
    traffic = {
        str(ymap(c).get("name") or ymap(c).get("modelName")): int_or_none(ymap(c).get("weight"))
        or 0
        for c in ylist(spec.get("candidates"))
    }
    mirror = ymap(spec.get("mirror"))
    yield ServingConfig(
        path=path,
        line=doc.line,
        name=name,
        framework="seldon-v2",
        model_name=text_or_none(spec.get("default")) or name,
        traffic=traffic,
        canary_percent=min(traffic.values()) if len(traffic) > 1 else None,
        settings={"mirror": str(mirror.get("name"))} if mirror else {},
    )
    yield ProgressiveDelivery(
        path=path,
        line=spec.line if spec else doc.line,
        name=name,
        tool="seldon",
        strategy="mirror" if mirror and len(traffic) <= 1 else "experiment",
        target=text_or_none(spec.get("default")),
        weights=tuple(traffic.values()),
    )


def _argo_rollout(path: str, doc: YamlMap, name: str) -> Iterator[Evidence]:
    strategy = ymap(ymap(doc.get("spec")).get("strategy"))
    for mode in ("canary", "blueGreen"):
        if mode not in strategy:
            continue
        conf = ymap(strategy.get(mode))
        steps = [ymap(s) for s in ylist(conf.get("steps"))]
        weights = tuple(
            w for w in (int_or_none(s.get("setWeight")) for s in steps) if w is not None
        )
        analysis = any(k in conf for k in ("analysis", "prePromotionAnalysis")) or any(
            "analysis" in s for s in steps
        )
        yield ProgressiveDelivery(
            path=path,
            line=strategy.line_of(mode),
            name=name,
            tool="argo-rollouts",
            strategy=mode,
            target=name,
            weights=weights,
            analysis=analysis,
            auto_promotion=bool_or_none(conf.get("autoPromotionEnabled")),
        )


def _flagger(path: str, doc: YamlMap, name: str) -> Iterator[Evidence]:
    spec = ymap(doc.get("spec"))
    analysis = ymap(spec.get("analysis") or spec.get("canaryAnalysis"))
    target = ymap(spec.get("targetRef"))
    if analysis.get("mirror") is True:
        mode = "mirror"
    elif "match" in analysis:
        mode = "ab"
    elif "stepWeight" in analysis or "stepWeights" in analysis or "maxWeight" in analysis:
        mode = "canary"
    else:
        mode = "blueGreen"
    steps = [int_or_none(w) for w in ylist(analysis.get("stepWeights"))]
    steps = steps or [
        int_or_none(analysis.get("stepWeight")),
        int_or_none(analysis.get("maxWeight")),
    ]
    yield ProgressiveDelivery(
        path=path,
        line=spec.line if spec else doc.line,
        name=name,
        tool="flagger",
        strategy=mode,
        target=f"{target.get('kind', 'Deployment')}/{target.get('name', '')}" if target else None,
        weights=tuple(w for w in steps if w is not None),
        analysis=bool(analysis.get("metrics") or analysis.get("webhooks")),
    )


def _weighted_routes(path: str, doc: YamlMap, name: str, tool: str) -> Iterator[Evidence]:
    """Istio ``VirtualService``, Knative ``Service`` and SMI ``TrafficSplit`` weights."""
    spec = ymap(doc.get("spec"))
    groups: list[tuple[list[int], int, bool]] = []
    if tool == "istio":
        for raw in ylist(spec.get("http")):
            http = ymap(raw)
            routes = [ymap(r) for r in ylist(http.get("route"))]
            weights = [int_or_none(r.get("weight")) or 0 for r in routes]
            groups.append((weights, http.line, "mirror" in http))
    elif tool == "knative":
        traffic = [ymap(t) for t in ylist(spec.get("traffic"))]
        groups.append(([int_or_none(t.get("percent")) or 0 for t in traffic], spec.line, False))
    else:
        backends = [ymap(b) for b in ylist(spec.get("backends"))]
        groups.append(([int_or_none(b.get("weight")) or 0 for b in backends], spec.line, False))
    for weights, line, mirror in groups:
        split = len([w for w in weights if w > 0]) > 1
        if split or mirror:
            yield ProgressiveDelivery(
                path=path,
                line=line,
                name=name,
                tool=tool,
                strategy="traffic-split" if split else "mirror",
                target=name,
                weights=tuple(weights),
            )


def serving_from_manifest(path: str, doc: YamlMap, api_version: str, kind: str) -> list[Evidence]:
    """Serving and progressive-delivery evidence for one Kubernetes document (may be empty)."""
    meta = ymap(doc.get("metadata"))
    name = text_or_none(meta.get("name")) or ""
    node = _k8s_node(kind, text_or_none(meta.get("namespace")), name)
    group = api_version.split("/", 1)[0]
    if group == "serving.kserve.io" and kind == "InferenceService":
        return list(_kserve(path, doc, name, node))
    if group == "machinelearning.seldon.io" and kind == "SeldonDeployment":
        return list(_seldon_v1(path, doc, name, node))
    if group in {"mlops.seldon.io", "machinelearning.seldon.io"} and kind in {
        "Model",
        "Experiment",
    }:
        return list(_seldon_v2(path, doc, kind, name))
    if group == "argoproj.io" and kind == "Rollout":
        return list(_argo_rollout(path, doc, name))
    if group == "flagger.app" and kind == "Canary":
        return list(_flagger(path, doc, name))
    if group == "networking.istio.io" and kind == "VirtualService":
        return list(_weighted_routes(path, doc, name, "istio"))
    if group == "serving.knative.dev" and kind == "Service":
        return list(_weighted_routes(path, doc, name, "knative"))
    if group == "split.smi-spec.io" and kind == "TrafficSplit":
        return list(_weighted_routes(path, doc, name, "smi"))
    return []


# --------------------------------------------------------------------------- BentoML
_PINNED_PACKAGE_RE = re.compile(r"===?|@|://|^[./]")


@parser("bentoml", Modality.INFRASTRUCTURE, ["bentofile.yaml", "bentofile.yml"])
def parse_bentofile(inp: ParseInput) -> Iterator[Evidence]:
    """``bentofile.yaml``: the service entry point, packaged files, Python and Docker options."""
    docs = load_yaml_located(inp.text)
    build = ymap(docs[0] if docs else None)
    if not build:
        return
    python = ymap(build.get("python"))
    docker = ymap(build.get("docker"))
    packages = str_tuple(ylist(python.get("packages")))
    unpinned = [p for p in packages if not _PINNED_PACKAGE_RE.search(p)]
    settings = {
        "include": ",".join(str_tuple(ylist(build.get("include")))),
        "python_packages": str(len(packages)) if packages else "",
        "unpinned_packages": ",".join(unpinned),
        "requirements_txt": text_or_none(python.get("requirements_txt")) or "",
        "lock_packages": text_or_none(python.get("lock_packages")) or "",
        "models": ",".join(
            str_tuple(
                ymap(m).get("tag") if isinstance(m, dict) else m for m in ylist(build.get("models"))
            )
        ),
        "env_names": ",".join(
            str_tuple(
                ymap(e).get("name") if isinstance(e, dict) else e for e in ylist(build.get("envs"))
            )
        ),
        "docker_distro": text_or_none(docker.get("distro")) or "",
        "cuda_version": text_or_none(docker.get("cuda_version")) or "",
        "python_version": text_or_none(docker.get("python_version")) or "",
    }
    service = text_or_none(build.get("service"))
    yield ServingConfig(
        path=inp.path,
        line=build.line_of("service"),
        end_line=build.end_line,
        name=service or inp.name,
        framework="bentoml",
        model_name=service,
        settings={k: v for k, v in settings.items() if v},
    )
    base = text_or_none(docker.get("base_image"))
    if base:
        yield image_evidence(inp.path, docker.line_of("base_image"), base, "bentoml")


_BENTO_DECORATOR_RE = re.compile(r"^[ \t]*@bentoml\.service\b", re.M)
_BENTO_CLASS_RE = re.compile(r"^[ \t]*class[ \t]+(\w+)", re.M)
_BENTO_LEGACY_RE = re.compile(r"\bbentoml\.Service\(\s*(?:name\s*=\s*)?[\"']([^\"'\n]{1,200})[\"']")


@parser("bentoml-python", Modality.INFRASTRUCTURE, ["*.py"])
def parse_bentoml_python(inp: ParseInput) -> Iterator[Evidence]:
    """BentoML services declared in code: ``@bentoml.service class X`` or ``bentoml.Service("x")``.

    Text only (cheap, no import resolution): the decorated class is the next ``class`` line.
    """
    text = inp.text
    if "bentoml" not in text:
        return
    for match in _BENTO_DECORATOR_RE.finditer(text):
        found = _BENTO_CLASS_RE.search(text, match.end(), match.end() + 2000)
        name = found.group(1) if found else None
        yield ServingConfig(
            path=inp.path,
            line=text.count("\n", 0, match.start()) + 1,
            name=name or "bentoml.service",
            framework="bentoml",
            model_name=name,
            settings={"declared_in": "python"},
        )
    for match in _BENTO_LEGACY_RE.finditer(text):
        yield ServingConfig(
            path=inp.path,
            line=text.count("\n", 0, match.start()) + 1,
            name=match.group(1),
            framework="bentoml",
            model_name=match.group(1),
            settings={"declared_in": "python"},
        )


# --------------------------------------------------------------------------- Triton
_PBTXT_TOKEN_RE = re.compile(
    r"\s+|#[^\n]*|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|[{}\[\]:,;<>]|[^\s{}\[\]:,;<>\"'#]+"
)
_PBTXT_CLOSE = {"{": "}", "<": ">"}
_PBTXT_MAX_DEPTH = 64
_PBTXT_PUNCTUATION = frozenset("}]>,:;[")


def _pbtxt_tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        match = _PBTXT_TOKEN_RE.match(text, pos)
        if match is None:
            raise ValueError(f"unexpected character in protobuf text at offset {pos}")
        token = match.group(0)
        pos = match.end()
        if not token.isspace() and not token.startswith("#"):
            tokens.append(token)
    return tokens


def parse_pbtxt(text: str) -> dict[str, list[Any]]:
    """Protobuf text format as ``{field: [values...]}``; nested messages are dicts too."""
    tokens = _pbtxt_tokens(text)
    message, index = _pbtxt_message(tokens, 0, None, 0)
    if index != len(tokens):
        raise ValueError("trailing tokens in protobuf text")
    return message


def _pbtxt_value(tokens: list[str], index: int, depth: int) -> tuple[Any, int]:
    token = tokens[index]
    if token in _PBTXT_CLOSE:
        return _pbtxt_message(tokens, index + 1, _PBTXT_CLOSE[token], depth + 1)
    if token in _PBTXT_PUNCTUATION:
        raise ValueError(f"unexpected {token!r} in protobuf text")
    return token.strip("\"'"), index + 1


def _pbtxt_message(
    tokens: list[str], index: int, closing: str | None, depth: int
) -> tuple[dict[str, list[Any]], int]:
    if depth > _PBTXT_MAX_DEPTH:
        raise ValueError("protobuf text nested too deeply")
    message: dict[str, list[Any]] = {}
    while index < len(tokens):
        token = tokens[index]
        if token == closing:
            return message, index + 1
        if not re.fullmatch(r"[A-Za-z_][\w.]*|\[[^\]]*\]", token):
            raise ValueError(f"expected a field name, got {token[:20]!r}")
        index += 1
        if index < len(tokens) and tokens[index] == ":":
            index += 1
        if index >= len(tokens):
            raise ValueError(f"field {token!r} has no value")
        values = message.setdefault(token, [])
        if tokens[index] == "[":
            index += 1
            while index < len(tokens) and tokens[index] != "]":
                value, index = _pbtxt_value(tokens, index, depth)
                values.append(value)
                if index < len(tokens) and tokens[index] == ",":
                    index += 1
            index += 1
        else:
            value, index = _pbtxt_value(tokens, index, depth)
            values.append(value)
        if index < len(tokens) and tokens[index] in {",", ";"}:
            index += 1
    if closing is not None:
        raise ValueError("unclosed message in protobuf text")
    return message, index


def _first(message: dict[str, list[Any]], key: str) -> Any:
    values = message.get(key) or [None]
    return values[0]


@parser("triton", Modality.INFRASTRUCTURE, ["config.pbtxt"])
def parse_triton_config(inp: ParseInput) -> Iterator[Evidence]:
    """A Triton model configuration: backend, batching and instance groups."""
    config = parse_pbtxt(inp.text)
    name = text_or_none(_first(config, "name")) or inp.path.rsplit("/", 2)[-2:][0]
    groups = [g for g in config.get("instance_group", []) if isinstance(g, dict)]
    steps = [s for s in config.get("ensemble_scheduling", []) if isinstance(s, dict)]
    ensemble_models = [
        str(_first(step, "model_name"))
        for s in steps
        for step in s.get("step", [])
        if isinstance(step, dict)
    ]
    settings = {
        "instance_group": ",".join(
            f"{_first(g, 'count') or 1}x{_first(g, 'kind') or 'KIND_AUTO'}" for g in groups
        ),
        "inputs": str(len(config.get("input", []))),
        "outputs": str(len(config.get("output", []))),
        "sequence_batching": "true" if "sequence_batching" in config else "",
        "ensemble_models": ",".join(ensemble_models),
        "model_warmup": "true" if "model_warmup" in config else "",
    }
    yield ServingConfig(
        path=inp.path,
        line=inp.line_of("name") or 1,
        end_line=max(1, len(inp.lines)),
        name=name,
        framework="triton",
        model_name=name,
        runtime=text_or_none(_first(config, "platform") or _first(config, "backend")),
        batching="dynamic_batching" in config,
        max_batch_size=int_or_none(_first(config, "max_batch_size")),
        settings={k: v for k, v in settings.items() if v},
    )


@parser("mlserver", Modality.INFRASTRUCTURE, ["model-settings.json"])
def parse_mlserver_settings(inp: ParseInput) -> Iterator[Evidence]:
    """MLServer ``model-settings.json``: implementation class and model URI."""
    settings = ymap(load_json(inp.text))
    if not settings:
        return
    params = ymap(settings.get("parameters"))
    name = text_or_none(settings.get("name")) or inp.name
    yield ServingConfig(
        path=inp.path,
        line=1,
        name=name,
        framework="mlserver",
        model_name=name,
        runtime=text_or_none(settings.get("implementation")),
        storage_uri=_uri(params.get("uri")),
        max_batch_size=int_or_none(settings.get("max_batch_size")),
        batching=bool(int_or_none(settings.get("max_batch_size"))) or None,
        settings={"version": str(params["version"])} if "version" in params else {},
    )

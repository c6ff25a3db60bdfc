"""Generate the CustomResourceDefinitions from the pydantic models (one source of truth).

The API server accepts only *structural* OpenAPI v3 schemas: every node has a ``type``, no
``$ref``, no ``anyOf`` carrying types, no ``uniqueItems``, no ``additionalProperties`` next to
``properties``. Pydantic emits JSON Schema 2020-12, so :func:`structural` rewrites it: ``$ref`` and
``$defs`` are inlined, ``title`` dropped, ``anyOf [X, null]`` becomes ``X`` with
``nullable: true``, ``const`` an ``enum``, numeric ``exclusiveMinimum`` the OpenAPI boolean form,
free-form maps ``x-kubernetes-preserve-unknown-fields``. Defaults are kept only for scalars: a
``null``/``{}``/``[]`` default would only add noise to every stored object.

Usage (``make crds``)::

    python -m hyperscore.operator.api.crdgen --out crds/ --chart charts/hyperscore/crds/ \\
        --copy manifests/install/crds/

``--check`` exits 1 when a file on disk is stale instead of writing it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from hyperscore.operator.api.models import GROUP, KINDS, VERSION, KindInfo

HEADER = "# generated: do not edit (python -m hyperscore.operator.api.crdgen)\n"
CATEGORIES = ["ml"]
# JSON Schema keywords the API server rejects or that carry no validation.
_DROP = {"title", "examples", "$schema", "uniqueItems", "discriminator"}
Schema = dict[str, Any]


def _resolve(node: Any, defs: Mapping[str, Any]) -> Any:
    """Inline every ``$ref`` (pydantic never emits recursive models for our kinds)."""
    if isinstance(node, list):
        return [_resolve(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = dict(defs[node["$ref"].rsplit("/", 1)[-1]])
        # keywords next to the ref (description, extras) override the target's
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _resolve(merged, defs)
    if "allOf" in node and len(node["allOf"]) == 1:  # older pydantic: allOf [ $ref ] + extras
        rest = {k: v for k, v in node.items() if k != "allOf"}
        return _resolve({**node["allOf"][0], **rest}, defs)
    return {k: _resolve(v, defs) for k, v in node.items() if k != "$defs"}


def _collapse_nullable(node: Schema) -> Schema:
    options = node.get("anyOf")
    if not isinstance(options, list):
        return node
    non_null = [o for o in options if o != {"type": "null"}]
    if len(non_null) != 1:
        raise ValueError(f"a union of several types is not structural: {options}")
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    merged: Schema = {**non_null[0], **rest}
    if len(non_null) < len(options):
        merged["nullable"] = True
    return merged


def _keep_default(value: Any) -> bool:
    return value is not None and not isinstance(value, (dict, list))


def structural(node: Schema, nullable: bool = True) -> Schema:
    """Rewrite a resolved pydantic JSON schema node into a structural OpenAPI v3 node.

    ``nullable=False`` (used for ``spec``) leaves ``nullable`` out, so the API server prunes an
    explicit ``null`` instead of storing it: ``has(self.git)`` in a CEL rule then agrees with the
    pydantic model, where ``git: null`` means "not set"."""
    node = _collapse_nullable(node)
    if not nullable:
        node.pop("nullable", None)
    out: Schema = {}
    for key, value in node.items():
        if key in _DROP or (key == "default" and not _keep_default(value)):
            continue
        if key == "const":
            out["enum"] = [value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            out[bound] = value
            out[key] = True
        elif key == "properties":
            out[key] = {name: structural(sub, nullable) for name, sub in value.items()}
        elif key == "items":
            out[key] = structural(value, nullable)
        elif key == "additionalProperties":
            if value is True or value == {}:
                out["x-kubernetes-preserve-unknown-fields"] = True
            elif isinstance(value, dict):
                out[key] = structural(value, nullable)
            # False: unknown fields are pruned by the API server anyway
        else:
            out[key] = value
    if "enum" in out and "type" not in out:
        out["type"] = "string" if all(isinstance(v, str) for v in out["enum"]) else "number"
    if "type" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        raise ValueError(f"schema node without a type is not structural: {node}")
    if out.get("type") == "object" and "properties" in out:
        out.pop("x-kubernetes-preserve-unknown-fields", None)
    return out


def model_schema(model: type[Any], nullable: bool = True) -> Schema:
    """The structural schema of one pydantic model (camelCase property names)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return structural(_resolve(raw, raw.get("$defs", {})), nullable)


def crd(info: KindInfo) -> Schema:
    """The ``apiextensions.k8s.io/v1`` CustomResourceDefinition of one kind."""
    spec = model_schema(info.spec, nullable=False)
    status = model_schema(info.status)
    spec["description"] = f"Desired state of the {info.kind}."
    status["description"] = f"Observed state of the {info.kind}, written by the operator."
    schema: Schema = {
        "type": "object",
        "description": info.description,
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{info.plural}.{GROUP}",
            "labels": {"app.kubernetes.io/part-of": "hyperscore"},
        },
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": info.kind,
                "listKind": f"{info.kind}List",
                "plural": info.plural,
                "singular": info.singular,
                "shortNames": list(info.short_names),
                "categories": CATEGORIES,
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [dict(c) for c in info.columns],
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def file_name(info: KindInfo) -> str:
    return f"{GROUP}_{info.plural}.yaml"


def render(info: KindInfo) -> str:
    """The YAML text of one CRD file: header, then keys sorted so the output is stable."""
    body = yaml.safe_dump(crd(info), sort_keys=True, default_flow_style=False, width=100)
    return HEADER + body


def outputs(out: Path, copies: Sequence[Path] = ()) -> dict[Path, str]:
    """Every generated file and its content: the CRDs in ``out`` and in each copy folder (the
    chart's ``crds/``, ``manifests/install/crds/``). Only CRDs go in these folders, so
    ``kubectl apply -f crds/`` and Helm, which installs every file of a chart's ``crds/``, work."""
    files: dict[Path, str] = {}
    for folder in (out, *copies):
        files |= {folder / file_name(info): render(info) for info in KINDS}
    return files


def stale(files: Mapping[Path, str]) -> list[Path]:
    """Files missing or different on disk (byte for byte)."""
    return [p for p, text in files.items() if not p.is_file() or p.read_bytes() != text.encode()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crdgen", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("crds"))
    parser.add_argument("--chart", type=Path, default=None, help="the chart's crds/ folder")
    parser.add_argument(
        "--copy", type=Path, action="append", default=[], help="another folder to hold a copy"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if any file is stale")
    args = parser.parse_args(argv)
    copies = ([args.chart] if args.chart else []) + list(args.copy)
    files = outputs(args.out, copies)
    if args.check:
        old = stale(files)
        for path in old:
            print(f"stale: {path} (run make crds)", file=sys.stderr)
        return 1 if old else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

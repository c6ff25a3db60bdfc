"""Infrastructure as code: Terraform, Bicep, ARM templates, CloudFormation/SAM and AWS CDK.

Terraform is read with a small HCL tokenizer (strings, heredocs and comments understood, no
expression evaluation) that is enough to find blocks, their labels and literal attributes.
Pins are classified the same way everywhere: ``exact`` (one version), ``range`` (a
constraint), ``ref``/``commit`` (a git ref or sha), ``local`` (a path) or ``none``.
Variable values in ``*.tfvars`` are never recorded: they often are credentials.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from hyperscore.evaluators.ingest.formats import load_json
from hyperscore.evaluators.ingest.parsers.infra_common import (
    EnvironmentSignal,
    YamlMap,
    environment_evidence,
    load_yaml_located,
    redact_uri,
    text_or_none,
    ylist,
    ymap,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

IacPin = Literal["exact", "range", "ref", "commit", "local", "none"]


class IacResource(Evidence):
    """One declared cloud resource (``aws_sagemaker_endpoint.x``, ``AWS::S3::Bucket``...)."""

    kind: Literal["infra.iac_resource"] = "infra.iac_resource"
    modality: Modality = Modality.INFRASTRUCTURE
    tool: str
    resource_type: str
    data_source: bool = False
    api_version: str | None = None
    provider: str | None = None


class IacModule(Evidence):
    """A reused module (Terraform ``module``, Bicep ``module``) and how its source is pinned."""

    kind: Literal["infra.iac_module"] = "infra.iac_module"
    modality: Modality = Modality.INFRASTRUCTURE
    tool: str
    source: str
    version: str | None = None
    pin: IacPin


class IacProvider(Evidence):
    """A provider requirement (or the Terraform core ``required_version``) and its pin."""

    kind: Literal["infra.iac_provider"] = "infra.iac_provider"
    modality: Modality = Modality.INFRASTRUCTURE
    tool: str
    provider: str
    source: str | None = None
    version: str | None = None
    pin: IacPin


class IacBackend(Evidence):
    """Where Terraform keeps state (``s3``, ``gcs``, ``azurerm``, ``remote``, ``cloud``)."""

    kind: Literal["infra.iac_backend"] = "infra.iac_backend"
    modality: Modality = Modality.INFRASTRUCTURE
    tool: str
    backend: str


class TfVars(Evidence):
    """A Terraform variables file: the variable names it sets (never the values)."""

    kind: Literal["infra.tfvars"] = "infra.tfvars"
    modality: Modality = Modality.INFRASTRUCTURE
    variables: tuple[str, ...] = ()


class CdkApp(Evidence):
    """An AWS CDK application (``cdk.json``)."""

    kind: Literal["infra.cdk_app"] = "infra.cdk_app"
    modality: Modality = Modality.INFRASTRUCTURE
    app: str | None = None
    language: str | None = None
    context_keys: int = 0


# --------------------------------------------------------------------------- pins
_EXACT_CONSTRAINT_RE = re.compile(r"^\s*=?\s*v?\d+(?:\.\d+)*(?:-[\w.]+)?\s*$")
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


def constraint_pin(version: str | None) -> IacPin:
    """``exact`` for ``1.2.3``/``= 1.2.3``, ``range`` for any other constraint, else ``none``."""
    if not version or not version.strip():
        return "none"
    return "exact" if _EXACT_CONSTRAINT_RE.match(version) else "range"


def module_pin(source: str, version: str | None) -> IacPin:
    """How a Terraform module source is pinned: local path, git ref/sha, registry version."""
    if source.startswith(("./", "../", "/")):
        return "local"
    ref = re.search(r"[?&]ref=([^&]+)", source)
    if ref:
        return "commit" if _SHA_RE.match(ref.group(1)) else "ref"
    return constraint_pin(version)


# --------------------------------------------------------------------------- HCL
_HCL_TOKEN_RE = re.compile(
    r"(?P<ws>\s+)|(?P<comment>\#[^\n]*|//[^\n]*|/\*.*?(?:\*/|\Z))"
    r"|(?P<heredoc><<-?[ \t]*\"?(?P<tag>\w+)\"?[ \t]*(?=\n))"
    r"|(?P<string>\"(?:\$\{[^}\n]*\}|[^\"\\\n]|\\.)*+\")"
    r"|(?P<punct>[{}\[\]()=,])|(?P<word>[^\s{}\[\]()=,\"#/<]+|<)|(?P<other>.)",
    re.S,
)
_HCL_MAX_DEPTH = 100
_SKIPPED_TOKENS = frozenset({"ws", "comment"})
_LABEL_TOKENS = frozenset({"string", "word"})

# (kind, text, line): plain tuples, as files can hold many thousands of tokens.
_Token = tuple[str, str, int]


@dataclass
class HclBlock:
    """A block (or object attribute) with its labels, literal attributes and children."""

    type: str
    labels: tuple[str, ...]
    line: int
    end_line: int = 0
    attrs: dict[str, tuple[str, int]] = field(default_factory=dict)
    children: list[HclBlock] = field(default_factory=list)


def _hcl_tokens(text: str) -> list[_Token]:
    """Tokens with their lines; heredoc bodies are skipped as one token."""
    tokens: list[_Token] = []
    line = 1
    pos = 0
    while pos < len(text):
        for match in _HCL_TOKEN_RE.finditer(text, pos):
            kind = match.lastgroup or "other"
            token = match.group(0)
            if kind in _SKIPPED_TOKENS:
                line += token.count("\n")
            elif kind in {"heredoc", "tag"}:
                closing = re.compile(rf"^[ \t]*{re.escape(match.group('tag'))}[ \t]*$", re.M)
                found = closing.search(text, match.end())
                pos = found.end() if found else len(text)
                tokens.append(("heredoc", "<<heredoc>>", line))
                line += text.count("\n", match.start(), pos)
                break  # resume scanning after the heredoc body
            else:
                tokens.append((kind, token, line))
                line += token.count("\n")
        else:
            break
    return tokens


def parse_hcl(text: str) -> HclBlock:
    """The block tree of an HCL file (attributes keep literal string values only)."""
    tokens = _hcl_tokens(text)
    root = HclBlock("", (), 1)
    stack: list[HclBlock] = [root]
    index = 0
    count = len(tokens)
    while index < count:
        kind, text_, line = tokens[index]
        if kind == "punct" and text_ in "{}":
            if text_ == "{":  # an object inside an expression
                stack.append(HclBlock("{", (), line))
            elif len(stack) > 1:
                stack.pop().end_line = line
            index += 1
            continue
        if kind != "word":
            index += 1
            continue
        labels: list[str] = []
        probe = index + 1
        while probe < count and tokens[probe][0] in _LABEL_TOKENS:
            labels.append(tokens[probe][1].strip('"'))
            probe += 1
        follow = tokens[probe][1] if probe < count else ""
        after = tokens[probe + 1][1] if probe + 1 < count else ""
        if follow == "{" or (follow == "=" and after == "{"):
            if len(stack) > _HCL_MAX_DEPTH:
                raise ValueError("HCL nested too deeply")
            block = HclBlock(text_, tuple(labels) if follow == "{" else (), line)
            stack[-1].children.append(block)
            stack.append(block)
            index = probe + (1 if follow == "{" else 2)
            continue
        if follow == "=" and not labels:
            if probe + 1 < count and text_ not in stack[-1].attrs:
                value_kind, value, _ = tokens[probe + 1]
                stack[-1].attrs[text_] = (value[1:-1] if value_kind == "string" else value, line)
            index = probe + 1
            continue
        index = max(probe, index + 1)
    for block in stack[1:]:
        block.end_line = block.end_line or tokens[-1][2]
    return root


def _attr(block: HclBlock, name: str) -> str | None:
    value = block.attrs.get(name)
    return value[0] if value else None


def _terraform_block(path: str, block: HclBlock) -> Iterator[Evidence]:
    required = block.attrs.get("required_version")
    if required:
        yield IacProvider(
            path=path,
            line=required[1],
            name="terraform",
            tool="terraform",
            provider="terraform",
            version=required[0],
            pin=constraint_pin(required[0]),
        )
    for child in block.children:
        if child.type == "required_providers":
            for name, (value, line) in child.attrs.items():  # legacy ``aws = "~> 3.0"``
                yield IacProvider(
                    path=path,
                    line=line,
                    name=name,
                    tool="terraform",
                    provider=name,
                    version=value,
                    pin=constraint_pin(value),
                )
            for provider in child.children:
                version = _attr(provider, "version")
                yield IacProvider(
                    path=path,
                    line=provider.line,
                    name=provider.type,
                    tool="terraform",
                    provider=provider.type,
                    source=_attr(provider, "source"),
                    version=version,
                    pin=constraint_pin(version),
                )
        elif child.type in {"backend", "cloud"}:
            backend = child.labels[0] if child.labels else child.type
            yield IacBackend(
                path=path,
                line=child.line,
                end_line=max(child.end_line, child.line),
                name=backend,
                tool="terraform",
                backend=backend,
            )


@parser("terraform", Modality.INFRASTRUCTURE, ["*.tf", "*.tf.json"])
def parse_terraform(inp: ParseInput) -> Iterator[Evidence]:
    """Resources, data sources, modules, provider pins and the state backend."""
    if inp.path.lower().endswith(".json"):
        yield from _terraform_json(inp)
        return
    root = parse_hcl(inp.text)
    for block in root.children:
        span = {"line": block.line, "end_line": max(block.end_line, block.line)}
        if block.type in {"resource", "data"} and len(block.labels) >= 2:
            rtype, name = block.labels[0], block.labels[1]
            yield IacResource(
                path=inp.path,
                **span,
                name=name,
                tool="terraform",
                resource_type=rtype,
                data_source=block.type == "data",
                provider=rtype.split("_", 1)[0],
                links=(Link(src=f"file:{inp.path}", dst=f"iac:{rtype}.{name}", rel="defines"),),
            )
        elif block.type == "module" and block.labels:
            source = _attr(block, "source") or ""
            version = _attr(block, "version")
            yield IacModule(
                path=inp.path,
                **span,
                name=block.labels[0],
                tool="terraform",
                source=redact_uri(source),
                version=version,
                pin=module_pin(source, version),
            )
        elif block.type == "provider" and block.labels and _attr(block, "version"):
            version = _attr(block, "version")
            yield IacProvider(
                path=inp.path,
                **span,
                name=block.labels[0],
                tool="terraform",
                provider=block.labels[0],
                version=version,
                pin=constraint_pin(version),
            )
        elif block.type == "terraform":
            yield from _terraform_block(inp.path, block)
    if "terraform.workspace" in inp.text:
        yield EnvironmentSignal(
            path=inp.path,
            line=inp.line_of("terraform.workspace"),
            name="workspace",
            environment="workspace",
            raw="terraform.workspace",
            source="workspace",
            tool="terraform",
        )
    yield from environment_evidence(inp.path, "terraform")


def _terraform_json(inp: ParseInput) -> Iterator[Evidence]:
    data = ymap(load_json(inp.text))
    for block_type in ("resource", "data"):
        for rtype, named in ymap(data.get(block_type)).items():
            for name in ymap(named):
                yield IacResource(
                    path=inp.path,
                    line=inp.line_of(f'"{name}"') or 1,
                    name=name,
                    tool="terraform",
                    resource_type=rtype,
                    data_source=block_type == "data",
                    provider=rtype.split("_", 1)[0],
                )


@parser("tfvars", Modality.INFRASTRUCTURE, ["*.tfvars", "*.tfvars.json"])
def parse_tfvars(inp: ParseInput) -> Iterator[Evidence]:
    """Variable names set by a ``.tfvars`` file, and the environment its name implies."""
    if inp.path.lower().endswith(".json"):
        names: tuple[str, ...] = tuple(ymap(load_json(inp.text)))
    else:
        root = parse_hcl(inp.text)
        names = tuple(dict.fromkeys([*root.attrs, *(b.type for b in root.children)]))
    yield TfVars(path=inp.path, line=1, name=inp.name, variables=names)
    yield from environment_evidence(inp.path, "terraform")


# --------------------------------------------------------------------------- Bicep
_BICEP_RESOURCE_RE = re.compile(
    r"^[ \t]*resource\s+(\w+)\s+'([^'@]+)@([^']+)'\s*(existing\s*)?=", re.M
)
_BICEP_MODULE_RE = re.compile(r"^[ \t]*module\s+(\w+)\s+'([^']+)'\s*=", re.M)


class _LineIndex:
    """1-based line numbers of offsets in a text, by binary search."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


@parser("bicep", Modality.INFRASTRUCTURE, ["*.bicep"])
def parse_bicep(inp: ParseInput) -> Iterator[Evidence]:
    """Bicep resources (``type@apiVersion``) and modules (local or registry, with tag)."""
    index = _LineIndex(inp.text)
    for match in _BICEP_RESOURCE_RE.finditer(inp.text):
        rtype = match.group(2)
        yield IacResource(
            path=inp.path,
            line=index.line(match.start(1)),
            name=match.group(1),
            tool="bicep",
            resource_type=rtype,
            api_version=match.group(3),
            data_source=bool(match.group(4)),
            provider=rtype.split("/", 1)[0],
        )
    for match in _BICEP_MODULE_RE.finditer(inp.text):
        source = match.group(2)
        registry = source.startswith(("br:", "br/", "ts:", "ts/"))
        tagged = registry and bool(re.search(r":[\w.-]+$", source.split("/", 1)[-1]))
        pin: IacPin = ("ref" if tagged else "none") if registry else "local"
        yield IacModule(
            path=inp.path,
            line=index.line(match.start(1)),
            name=match.group(1),
            tool="bicep",
            source=source,
            pin=pin,
        )
    yield from environment_evidence(inp.path, "bicep")


# --------------------------------------------------------------------------- ARM / CFN
def _arm_resources(resources: Any, inp: ParseInput, cursor: list[int]) -> Iterator[Evidence]:
    for raw in ylist(resources):
        resource = ymap(raw)
        rtype = text_or_none(resource.get("type"))
        if rtype:
            found = inp.line_of(rtype, cursor[0])
            cursor[0] = found or cursor[0]
            yield IacResource(
                path=inp.path,
                line=found or 1,
                name=text_or_none(resource.get("name")) or "",
                tool="arm",
                resource_type=rtype,
                provider=rtype.split("/", 1)[0],
                api_version=text_or_none(resource.get("apiVersion")),
            )
        yield from _arm_resources(resource.get("resources"), inp, cursor)


def _cfn_resources(path: str, resources: YamlMap, tool: str, inp: ParseInput) -> Iterator[Evidence]:
    for logical_id, raw in resources.items():
        resource = ymap(raw)
        rtype = text_or_none(resource.get("Type"))
        if not rtype:
            continue
        line = resources.key_lines.get(logical_id) or inp.line_of(f'"{logical_id}"') or 1
        yield IacResource(
            path=path,
            line=line,
            end_line=max(resource.end_line, line) if resource.key_lines else None,
            name=logical_id,
            tool=tool,
            resource_type=rtype,
            provider=rtype.split("::", 1)[0],
            links=(Link(src=f"file:{path}", dst=f"iac:{logical_id}", rel="defines"),),
        )


@parser("cloud-template", Modality.INFRASTRUCTURE, ["*.json", "*.yaml", "*.yml", "*.template"])
def parse_cloud_template(inp: ParseInput) -> Iterator[Evidence]:
    """ARM deployment templates and CloudFormation/SAM templates (YAML short tags allowed)."""
    text = inp.text
    is_json = inp.path.lower().endswith(".json")
    if is_json and "deploymentTemplate.json" in text:
        template = ymap(load_json(text))
        if "deploymentTemplate" in str(template.get("$schema", "")):
            yield from _arm_resources(template.get("resources"), inp, [0])
            yield from environment_evidence(inp.path, "arm")
        return
    if "AWSTemplateFormatVersion" not in text and not ("Resources" in text and "AWS::" in text):
        return
    if is_json:
        template = ymap(load_json(text))
    else:
        docs = load_yaml_located(text, tolerant_tags=True)
        template = ymap(docs[0] if docs else None)
    resources = ymap(template.get("Resources"))
    if "AWSTemplateFormatVersion" not in template and not any(
        str(ymap(r).get("Type", "")).startswith("AWS::") for r in resources.values()
    ):
        return
    transform = " ".join(str(t) for t in ylist(template.get("Transform")))
    tool = "sam" if "Serverless" in transform else "cloudformation"
    yield from _cfn_resources(inp.path, resources, tool, inp)
    yield from environment_evidence(inp.path, tool)


# --------------------------------------------------------------------------- CDK
# ``Type(scope, "Id", ...)``: the scope is ``self``/``scope``/``stack``/``app`` (or
# ``self.scope`` in construct helpers), the id a string literal, an f-string or a variable
# (constructs built in factory functions take ``id`` as a parameter).
_CDK_SCOPE_PY = r"(?:self\.scope|self|scope|stack|app)"
_CDK_SCOPE_TS = r"(?:this\.scope|this|scope|stack|app)"
_CDK_ID = r"(?:f?[\"'`]([^\"'`\n]+)[\"'`]|([A-Za-z_$][\w$]{0,100})\s*[,)])"
_CDK_PY_RE = re.compile(
    rf"\b((?:[A-Za-z_]\w{{0,100}}\.){{0,8}}[A-Z]\w{{0,100}})\(\s*{_CDK_SCOPE_PY}\s*,\s*{_CDK_ID}"
)
_CDK_TS_RE = re.compile(
    rf"\bnew\s+((?:[A-Za-z_$][\w$]{{0,100}}\.){{0,8}}[A-Z][\w$]{{0,100}})\(\s*{_CDK_SCOPE_TS}\s*,\s*"
    rf"{_CDK_ID}"
)
_CDK_LANGUAGES = (
    ("python", "python"),
    ("ts-node", "typescript"),
    ("npx ts", "typescript"),
    ("node", "javascript"),
    ("mvn", "java"),
    ("dotnet", "csharp"),
    ("go ", "go"),
)


@parser("cdk-app", Modality.INFRASTRUCTURE, ["cdk.json"])
def parse_cdk_json(inp: ParseInput) -> Iterator[Evidence]:
    config = ymap(load_json(inp.text))
    if not config:
        return
    app = text_or_none(config.get("app"))
    language = next((lang for hint, lang in _CDK_LANGUAGES if app and hint in app), None)
    yield CdkApp(
        path=inp.path,
        line=1,
        name=inp.path,
        app=app,
        language=language,
        context_keys=len(ymap(config.get("context"))),
    )


@parser("cdk-code", Modality.INFRASTRUCTURE, ["*.py", "*.ts", "*.js"])
def parse_cdk_code(inp: ParseInput) -> Iterator[Evidence]:
    """CDK constructs (``s3.Bucket(self, "Id")``, ``new sagemaker.CfnEndpoint(this, 'Id')``)."""
    text = inp.text
    if "aws_cdk" not in text and "aws-cdk-lib" not in text and "@aws-cdk/" not in text:
        return
    pattern = _CDK_PY_RE if inp.path.lower().endswith(".py") else _CDK_TS_RE
    index = _LineIndex(text)
    for match in pattern.finditer(text):
        rtype = match.group(1)
        yield IacResource(
            path=inp.path,
            line=index.line(match.start()),
            name=match.group(2) or match.group(3),
            tool="cdk",
            resource_type=rtype,
            provider=rtype.split(".", 1)[0] if "." in rtype else None,
        )

"""Dockerfiles and docker-compose files: what an image is built from and how it runs.

The Dockerfile reader follows BuildKit's rules closely enough to cite lines: parser directives
(``# escape=``), line continuations (comment lines inside them are dropped), heredocs
(``RUN <<EOF``), lowercase instructions and JSON-form ``CMD``. Secret-looking ``ENV``/``ARG``
names are recorded, their values never.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from hyperscore.evaluators.ingest.parsers.infra_common import (
    PinKind,
    YamlMap,
    environment_evidence,
    image_evidence,
    is_secret_name,
    load_yaml_located,
    mask_inline_secrets,
    parse_image_ref,
    redact_uri,
    str_tuple,
    text_or_none,
    ylist,
    ymap,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

Severity = Literal["high", "medium", "low"]


class Dockerfile(Evidence):
    """Facts about one Dockerfile; stage-dependent facts describe the final stage.

    ``final_user`` is ``None`` when no ``USER`` is set (the image runs as root);
    ``healthcheck`` is False for ``HEALTHCHECK NONE`` or no healthcheck.
    """

    kind: Literal["infra.dockerfile"] = "infra.dockerfile"
    modality: Modality = Modality.INFRASTRUCTURE
    stages: tuple[str, ...] = ()
    base_image: str | None = None
    final_user: str | None = None
    runs_as_root: bool = True
    healthcheck: bool = False
    exposed_ports: tuple[str, ...] = ()
    entrypoint: str | None = None
    cmd: str | None = None
    workdir: str | None = None
    arg_names: tuple[str, ...] = ()
    env_names: tuple[str, ...] = ()
    secret_names: tuple[str, ...] = ()
    model_copies: tuple[str, ...] = ()
    add_urls: tuple[str, ...] = ()
    directives: dict[str, str] = {}


class DockerfileRisk(Evidence):
    """A risky build practice (``curl | sh``, ``chmod 777``, unpinned ``pip install``...)."""

    kind: Literal["infra.dockerfile_risk"] = "infra.dockerfile_risk"
    modality: Modality = Modality.INFRASTRUCTURE
    risk: str
    severity: Severity
    instruction: str
    detail: str = ""
    stage: str | None = None


class ComposeService(Evidence):
    """One docker-compose service; ``healthcheck`` None = not declared, False = disabled."""

    kind: Literal["infra.compose_service"] = "infra.compose_service"
    modality: Modality = Modality.INFRASTRUCTURE
    service: str
    image: str | None = None
    image_pin: PinKind | None = None
    build_context: str | None = None
    dockerfile: str | None = None
    ports: tuple[str, ...] = ()
    healthcheck: bool | None = None
    depends_on: tuple[str, ...] = ()
    privileged: bool = False
    host_volumes: tuple[str, ...] = ()
    named_volumes: tuple[str, ...] = ()
    environment_names: tuple[str, ...] = ()
    secret_names: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    restart: str | None = None
    user: str | None = None
    cpu_limit: str | None = None
    memory_limit: str | None = None
    network_mode: str | None = None
    gpu: bool = False


# --------------------------------------------------------------------------- Dockerfile lexing
_DIRECTIVE_RE = re.compile(r"#[ \t]*([a-zA-Z][a-zA-Z0-9_-]*)[ \t]*=(.*)$")
_INSTRUCTION_RE = re.compile(r"\s*(\S+)\s*(.*)", re.S)
_HEREDOC_RE = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][\w.-]*)\2")
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int
    end_line: int
    heredocs: list[str] = field(default_factory=list)


def _directives(lines: list[str]) -> tuple[dict[str, str], int]:
    """Parser directives at the top of the file and the index of the first line after them."""
    found: dict[str, str] = {}
    index = 0
    while index < len(lines):
        match = _DIRECTIVE_RE.match(lines[index].strip())
        if not match or not lines[index].lstrip().startswith("#"):
            break
        found[match.group(1).lower()] = match.group(2).strip()
        index += 1
    return found, index


def _is_skippable(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def lex_dockerfile(lines: list[str], start: int, escape: str) -> Iterator[Instruction]:
    """Logical instructions: continuations joined, heredoc bodies attached, comments dropped."""
    count = len(lines)
    index = start
    while index < count:
        if _is_skippable(lines[index]):
            index += 1
            continue
        first = index
        parts: list[str] = []
        while True:
            current = lines[index].rstrip()
            index += 1
            if current.endswith(escape) and not current.lstrip().startswith("#"):
                parts.append(current[: -len(escape)].strip())
                while index < count and _is_skippable(lines[index]):
                    index += 1
                if index < count:
                    continue
            else:
                parts.append(current.strip())
            break
        match = _INSTRUCTION_RE.match(" ".join(p for p in parts if p))
        if match is None:
            continue
        inst = Instruction(match.group(1).upper(), match.group(2).strip(), first + 1, index)
        if inst.keyword in _HEREDOC_KEYWORDS and "<<" in inst.args:
            for dash, _quote, marker in _HEREDOC_RE.findall(inst.args):
                body: list[str] = []
                while index < count:
                    text = lines[index]
                    index += 1
                    if (text.lstrip("\t") if dash else text).rstrip() == marker:
                        break
                    body.append(text)
                inst.heredocs.append("\n".join(body))
            inst.end_line = max(index, inst.line)
        yield inst


# --------------------------------------------------------------------------- risk rules
_PIPE_TO_SHELL_RE = re.compile(
    r"\b(curl|wget)\b[^|;&\n]{0,400}\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:/usr/bin/env\s+)?"
    r"(?:/usr/local/bin/|/usr/bin/|/bin/)?(?:ba|z|da|k|fi)?sh\b|"
    r"\b(curl|wget)\b[^|;&\n]{0,400}\|\s*(?:sudo\s+)?(?:/usr/bin/)?python[0-9.]*\b|"
    r"\b(?:ba|z)?sh\s+(?:-c\s+)?[\"']?(?:\$\(|<\()\s*(curl|wget)\b"
)
_CHMOD_777_RE = re.compile(r"\bchmod\s+(?:-\S+\s+)*(?:0?777|a\+rwx|ugo\+rwx)(?:\s|$)")
_SEGMENT_SPLIT_RE = re.compile(r"&&|\|\||;|\n|\|")
_PIP_INSTALL_RE = re.compile(r"\b(?:pip[0-9.]*|python[0-9.]*\s+-m\s+pip|uv\s+pip)\s+install\b")
_APT_INSTALL_RE = re.compile(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b")
_PIP_VALUE_OPTIONS = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
    "--trusted-host", "--platform", "--python-version", "--implementation", "--abi",
    "--progress-bar", "--cache-dir", "--src", "--upgrade-strategy", "--config-settings",
})  # fmt: skip
_PINNED_SPEC_RE = re.compile(r"===?|@|^\$|^[./~]|\.whl$|\.tar\.gz$|\.zip$|^git\+|://")
_MODEL_FILE_RE = re.compile(
    r"(?i)\.(pt|pth|bin|onnx|h5|hdf5|keras|pkl|pickle|joblib|safetensors|ckpt|gguf|ggml|pb|"
    r"tflite|mlmodel|engine|plan|savedmodel|model)$|(?:^|/)(models?|weights|checkpoints?)/?$"
)
_COPY_FLAG_RE = re.compile(r"^--[a-z-]+(=\S*)?$")
_RUN_FLAGS_RE = re.compile(r"^(?:--\S+\s+)*")


def _split_words(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def _pip_findings(arguments: str, cache_ok: bool) -> list[tuple[str, Severity, str]]:
    """Unpinned requirements and a missing ``--no-cache-dir`` in ``pip install`` arguments."""
    words = _split_words(arguments)
    unpinned: list[str] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
        elif word in _PIP_VALUE_OPTIONS:
            skip_next = True
        elif not word.startswith("-") and not _PINNED_SPEC_RE.search(word):
            unpinned.append(word)
    found: list[tuple[str, Severity, str]] = []
    if unpinned:
        found.append(("pip-unpinned", "medium", "unpinned: " + ", ".join(unpinned[:10])))
    if not cache_ok and "--no-cache-dir" not in words:
        found.append(("pip-no-cache-dir", "low", "pip install without --no-cache-dir"))
    return found


def _run_findings(command: str, cache_ok: bool) -> list[tuple[str, Severity, str]]:
    """Risks in one RUN command (continuations already joined)."""
    found: list[tuple[str, Severity, str]] = []
    pipe = _PIPE_TO_SHELL_RE.search(command)
    if pipe:
        tool = next(g for g in pipe.groups() if g)
        found.append((f"{tool}-pipe-shell", "high", mask_inline_secrets(pipe.group(0))))
    chmod = _CHMOD_777_RE.search(command)
    if chmod:
        found.append(("chmod-777", "medium", chmod.group(0).strip()))
    for segment in _SEGMENT_SPLIT_RE.split(command):
        stripped = segment.strip()
        if stripped.startswith("sudo "):
            found.append(("sudo", "medium", mask_inline_secrets(stripped)))
        pip = _PIP_INSTALL_RE.search(stripped)
        if pip:
            found.extend(_pip_findings(stripped[pip.end() :], cache_ok))
        if _APT_INSTALL_RE.search(stripped) and not re.search(
            r"(?i)--no-install-recommends|install-recommends=(?:false|0)", stripped
        ):
            found.append(("apt-install-recommends", "low", mask_inline_secrets(stripped)))
    return found


# --------------------------------------------------------------------------- Dockerfile model
@dataclass
class _Stage:
    name: str
    user: str | None = None
    healthcheck: bool = False
    workdir: str | None = None
    entrypoint: str | None = None
    cmd: str | None = None
    ports: list[str] = field(default_factory=list)


def _exec_or_shell(args: str) -> str:
    if args.startswith("["):
        try:
            parsed = json.loads(args)
        except ValueError:
            return args
        if isinstance(parsed, list):
            return " ".join(str(p) for p in parsed)
    return args


def _assignments(args: str) -> list[tuple[str, str | None]]:
    """``ENV``/``ARG`` arguments as ``(name, value)``; legacy ``ENV NAME value`` too."""
    words = _split_words(args)
    if not words:
        return []
    if "=" not in words[0]:
        rest = args.split(None, 1)
        return [(words[0], rest[1] if len(rest) > 1 else None)]
    out: list[tuple[str, str | None]] = []
    for word in words:
        name, sep, value = word.partition("=")
        out.append((name, value if sep else None))
    return out


_VAR_RE = re.compile(r"\$\{(\w+)(?::?[-+][^}]*)?\}|\$(\w+)")


def _substitute(ref: str, defaults: dict[str, str]) -> str | None:
    """``ref`` with ARG defaults substituted, or None when a variable has no default."""
    missing = False

    def repl(match: re.Match[str]) -> str:
        nonlocal missing
        value = defaults.get(match.group(1) or match.group(2))
        if value is None:
            missing = True
            return ""
        return value

    result = _VAR_RE.sub(repl, ref)
    return None if missing else result


_NOT_DOCKERFILE_SUFFIXES = (".md", ".rst", ".txt", ".adoc", ".html", ".dockerignore", ".orig")


def is_dockerfile(path: str) -> bool:
    """``Dockerfile``, ``Dockerfile.gpu``, ``api.Dockerfile``, ``Containerfile`` (not docs)."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return False
    return (
        name in {"dockerfile", "containerfile"}
        or name.startswith(("dockerfile.", "containerfile."))
        or name.endswith(".dockerfile")
    )


@parser("dockerfile", Modality.INFRASTRUCTURE, is_dockerfile)
def parse_dockerfile(inp: ParseInput) -> Iterator[Evidence]:
    """Yield the file summary, one ``infra.image_ref`` per ``FROM`` and the risks found."""
    lines = inp.lines
    directives, start = _directives(lines)
    escape = "`" if directives.get("escape") == "`" else "\\"
    stages: list[_Stage] = []
    aliases: list[str] = []
    arg_defaults: dict[str, str] = {}
    arg_names: list[str] = []
    env_names: list[str] = []
    secrets: list[str] = []
    model_copies: list[str] = []
    add_urls: list[str] = []
    base_image: str | None = None
    pip_cache_off = False

    def risk(inst: Instruction, name: str, severity: Severity, detail: str) -> DockerfileRisk:
        return DockerfileRisk(
            path=inp.path,
            line=inst.line,
            end_line=inst.end_line,
            name=name,
            risk=name,
            severity=severity,
            instruction=inst.keyword,
            detail=detail,
            stage=stages[-1].name if stages else None,
        )

    for inst in lex_dockerfile(lines, start, escape):
        key, args = inst.keyword, inst.args
        stage = stages[-1] if stages else None
        if key == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            if not words:
                continue
            ref = words[0]
            alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            resolved = _substitute(ref, arg_defaults) if "$" in ref else None
            yield image_evidence(
                inp.path,
                inst.line,
                ref,
                "dockerfile",
                stage_aliases=aliases,
                stage_alias=alias,
                resolved_ref=resolved,
            )
            name = alias or str(len(stages))  # Docker numbers unnamed stages
            parent = next((s for s in stages if s.name.lower() == ref.lower()), None)
            inherited = replace(parent, name=name, ports=list(parent.ports)) if parent else None
            stages.append(inherited or _Stage(name))
            base_image = ref
            if alias:
                aliases.append(alias)
        elif key in {"ARG", "ENV"}:
            for name, value in _assignments(args):
                (arg_names if key == "ARG" else env_names).append(name)
                if name.upper() == "PIP_NO_CACHE_DIR":
                    pip_cache_off = True
                if is_secret_name(name):
                    secrets.append(name)
                    literal = bool(value) and not str(value).startswith("$")
                    severity: Severity = "high" if key == "ENV" and literal else "medium"
                    shown = f"{key} {name}=***" if value else f"{key} {name}"
                    yield risk(inst, f"secret-in-{key.lower()}", severity, shown)
                elif key == "ARG" and value is not None and stage is None:
                    arg_defaults[name] = value.strip("\"'")
        elif stage is None:
            continue
        elif key == "USER":
            stage.user = args.split()[0] if args.split() else None
        elif key == "HEALTHCHECK":
            stage.healthcheck = args.split()[0].upper() != "NONE" if args.split() else False
        elif key == "WORKDIR":
            stage.workdir = args
        elif key == "EXPOSE":
            stage.ports.extend(args.split())
        elif key == "CMD":
            stage.cmd = mask_inline_secrets(_exec_or_shell(args), 300)
        elif key == "ENTRYPOINT":
            stage.entrypoint = mask_inline_secrets(_exec_or_shell(args), 300)
        elif key in {"COPY", "ADD"}:
            words = _exec_or_shell(args).split() if args.startswith("[") else args.split()
            has_checksum = any(w.startswith("--checksum") for w in words)
            paths = [w for w in words if not _COPY_FLAG_RE.match(w)]
            for source in paths[:-1]:
                if _MODEL_FILE_RE.search(source.rstrip("/")) or _MODEL_FILE_RE.search(source):
                    model_copies.append(redact_uri(source))
                if key == "ADD" and re.match(r"(?i)(https?|ftp)://|git@", source):
                    add_urls.append(redact_uri(source))
                    if not has_checksum:
                        yield risk(inst, "add-remote-url", "medium", redact_uri(source))
        elif key == "RUN":
            command = _RUN_FLAGS_RE.sub("", args)
            cache_ok = pip_cache_off or "type=cache" in args
            bodies = [b.replace("\\\n", " ") for b in inst.heredocs]
            for name, severity, detail in _run_findings("\n".join([command, *bodies]), cache_ok):
                yield risk(inst, name, severity, detail)

    final = stages[-1] if stages else None
    yield Dockerfile(
        path=inp.path,
        line=1,
        end_line=max(1, len(lines)),
        name=inp.name,
        stages=tuple(s.name for s in stages),
        base_image=base_image,
        final_user=final.user if final else None,
        runs_as_root=final is None
        or final.user is None
        or final.user.split(":")[0] in {"root", "0"},
        healthcheck=bool(final and final.healthcheck),
        exposed_ports=tuple(final.ports) if final else (),
        entrypoint=final.entrypoint if final else None,
        cmd=final.cmd if final else None,
        workdir=final.workdir if final else None,
        arg_names=tuple(dict.fromkeys(arg_names)),
        env_names=tuple(dict.fromkeys(env_names)),
        secret_names=tuple(dict.fromkeys(secrets)),
        model_copies=tuple(model_copies),
        add_urls=tuple(add_urls),
        directives={k: v for k, v in directives.items() if k in {"syntax", "escape", "check"}},
    )


# --------------------------------------------------------------------------- docker-compose
_HOST_PATH_RE = re.compile(r"^(?:\.{1,2}(?:/|$)|/|~|\$)")


def _volume(entry: Any) -> tuple[str | None, str | None]:
    """``(host path, named volume)`` of one volume entry (short or long syntax)."""
    if isinstance(entry, dict):
        source = text_or_none(entry.get("source"))
        if entry.get("type") == "bind" or (source and _HOST_PATH_RE.match(source)):
            return source, None
        return None, source
    text = text_or_none(entry)
    if not text:
        return None, None
    source = text.split(":", 1)[0] if ":" in text else None
    if source is None:
        return None, None  # anonymous volume
    return (source, None) if _HOST_PATH_RE.match(source) else (None, source)


def _env_names(value: Any) -> list[tuple[str, bool]]:
    """``(name, has literal value)`` for a compose ``environment`` list or mapping."""
    if isinstance(value, dict):
        return [(str(k), v is not None and not str(v).startswith("$")) for k, v in value.items()]
    out: list[tuple[str, bool]] = []
    for item in ylist(value):
        name, sep, val = str(item).partition("=")
        out.append((name, bool(sep and val and not val.startswith("$"))))
    return out


def _healthcheck(value: Any) -> bool | None:
    if value is None:
        return None
    check = ymap(value)
    test = check.get("test")
    disabled = check.get("disable") is True or (
        isinstance(test, list) and bool(test) and str(test[0]).upper() == "NONE"
    )
    return not disabled


def _compose_service(path: str, name: str, raw: Any, line: int) -> Iterator[Evidence]:
    spec = ymap(raw, line)
    node = f"service:{path}#{name}"
    links = [Link(src=f"file:{path}", dst=node, rel="defines")]
    image = text_or_none(spec.get("image"))
    pin: PinKind | None = None
    if image:
        pin = parse_image_ref(image).pin
        yield image_evidence(
            path, spec.line_of("image"), image, "compose", context=name, owner=node
        )
    build = spec.get("build")
    context = text_or_none(build) if not isinstance(build, dict) else None
    dockerfile: str | None = None
    if isinstance(build, dict):
        context = text_or_none(build.get("context")) or "."
        dockerfile = text_or_none(build.get("dockerfile"))
    if context is not None and "://" not in context:
        target = posixpath.normpath(
            posixpath.join(posixpath.dirname(path), context, dockerfile or "Dockerfile")
        )
        if not target.startswith(".."):
            links.append(Link(src=node, dst=f"file:{target}", rel="builds"))
    depends = spec.get("depends_on")
    depends_on = (
        [str(k) for k in depends] if isinstance(depends, dict) else str_tuple(ylist(depends))
    )
    links.extend(Link(src=node, dst=f"service:{path}#{d}", rel="depends") for d in depends_on)
    host_volumes: list[str] = []
    named_volumes: list[str] = []
    for entry in ylist(spec.get("volumes")):
        host, named = _volume(entry)
        if host:
            host_volumes.append(host)
        if named:
            named_volumes.append(named)
    envs = _env_names(spec.get("environment"))
    ports = [
        f"{p.get('published', '')}:{p.get('target', '')}" if isinstance(p, dict) else str(p)
        for p in ylist(spec.get("ports"))
    ]
    deploy = ymap(ymap(spec.get("deploy")).get("resources"))
    limits = ymap(deploy.get("limits"))
    devices = ylist(ymap(deploy.get("reservations")).get("devices"))
    gpu = spec.get("runtime") == "nvidia" or any(
        "gpu" in str(ymap(d).get("capabilities", "")) for d in devices
    )
    yield ComposeService(
        path=path,
        line=line,
        name=name,
        service=name,
        image=image,
        image_pin=pin,
        build_context=context,
        dockerfile=dockerfile,
        ports=tuple(ports),
        healthcheck=_healthcheck(spec.get("healthcheck")),
        depends_on=tuple(depends_on),
        privileged=spec.get("privileged") is True,
        host_volumes=tuple(host_volumes),
        named_volumes=tuple(named_volumes),
        environment_names=tuple(n for n, _ in envs),
        secret_names=tuple(n for n, literal in envs if literal and is_secret_name(n)),
        env_files=str_tuple(ylist(spec.get("env_file"))),
        restart=text_or_none(spec.get("restart")),
        user=text_or_none(spec.get("user")),
        cpu_limit=text_or_none(limits.get("cpus") or spec.get("cpus")),
        memory_limit=text_or_none(limits.get("memory") or spec.get("mem_limit")),
        network_mode=text_or_none(spec.get("network_mode")),
        gpu=gpu,
        links=tuple(links),
    )


@parser(
    "docker-compose",
    Modality.INFRASTRUCTURE,
    ["docker-compose*.yml", "docker-compose*.yaml", "compose*.yml", "compose*.yaml"],
)
def parse_compose(inp: ParseInput) -> Iterator[Evidence]:
    """One ``infra.compose_service`` per service (plus its image reference)."""
    docs = load_yaml_located(inp.text)
    if not docs:
        return
    top = docs[0]
    if not isinstance(top, YamlMap):
        return  # ``composer.yml`` and friends match the glob but are not compose files
    services = top.get("services")
    if services is None and "version" not in top:  # compose v1: services at the top level
        services = YamlMap(top.line)
        for key, value in top.items():
            if isinstance(value, dict) and ("image" in value or "build" in value):
                services[key] = value
                services.key_lines[key] = top.line_of(key)
    services_map = ymap(services)
    for name, raw in services_map.items():
        yield from _compose_service(inp.path, name, raw, services_map.line_of(name))
    yield from environment_evidence(inp.path, "compose")

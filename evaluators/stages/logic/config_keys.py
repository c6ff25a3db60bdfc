"""Config-key obligations: every key the code reads exists in the file it reads it from.

A ``code.config`` item with role ``key`` names a dotted key read from a loaded config object
(``cfg["model"]["depth"]`` -> ``model.depth``). Its file is ``config_file`` when the parser
resolved it, a Hydra ``config_dir/config_name``, or else the default of the module's own
``--config``-style option when the variable reads like a config (``cfg``, ``config``,
``params``...). Reads whose file cannot be identified are left out -- no guess.

The file's keys come from ``pipeline.params`` evidence; failing that, from the file itself
under ``root`` (an explicit resource: the checked-out tree). Neither -> ``unknown``.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from hyperscore.evaluators.decompose.context import DetectionContext, cite
from hyperscore.evaluators.model import Evidence
from hyperscore.evaluators.stages.logic.obligations import Fact, Obligation, membership

_CONFIG_EXT = (".yaml", ".yml", ".json", ".toml")
_CONFIG_VAR = re.compile(r"(^|_)(cfg|conf|config|configs|params|hparams|hp|settings)($|_)", re.I)
_MAX_BYTES = 1_000_000


def flatten(data: Any, prefix: str = "") -> set[str]:
    """Every intermediate and leaf dotted key of a mapping."""
    out: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            dotted = f"{prefix}.{key}" if prefix else str(key)
            out.add(dotted)
            out |= flatten(value, dotted)
    return out


def read_keys(root: Path, rel: str) -> set[str] | None:
    """Keys of a YAML/JSON/TOML file under ``root``; None when absent, too big or unreadable."""
    path = (root / rel).resolve()
    try:
        if not path.is_relative_to(root.resolve()) or path.stat().st_size > _MAX_BYTES:
            return None
        text = path.read_text(encoding="utf-8")
        if rel.endswith(".json"):
            data = json.loads(text)
        elif rel.endswith(".toml"):
            data = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError, UnicodeDecodeError):
        return None
    return flatten(data) if isinstance(data, dict) else None


def _config_file(item: Evidence, defaults: dict[str, list[str]]) -> str | None:
    explicit = getattr(item, "config_file", None)
    if explicit:
        return str(explicit)
    name, directory = getattr(item, "config_name", None), getattr(item, "config_dir", None)
    if name:
        stem = str(name) if str(name).endswith(_CONFIG_EXT) else f"{name}.yaml"
        return f"{directory}/{stem}" if directory else stem
    variable = str(getattr(item, "option", "") or "")
    candidates = defaults.get(item.path, [])
    if _CONFIG_VAR.search(variable) and len(set(candidates)) == 1:
        return candidates[0]
    return None


def _key(item: Evidence) -> str:
    return str(getattr(item, "key", "") or "")


def obligations(ctx: DetectionContext, root: Path | None = None) -> list[Obligation]:
    defaults: dict[str, list[str]] = defaultdict(list)
    for opt in ctx.kind("code.config"):
        default = getattr(opt, "default", None)
        if (
            getattr(opt, "role", "") == "option"
            and isinstance(default, str)
            and default.endswith(_CONFIG_EXT)
        ):
            defaults[opt.path].append(default.removeprefix("./"))
    reads: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for item in ctx.kind("code.config"):
        if getattr(item, "role", "") != "key" or not getattr(item, "key", None):
            continue
        file = _config_file(item, defaults)
        if file is not None:
            reads[(item.path, file)].append(item)
    known = {p.path: set(getattr(p, "keys", {})) for p in ctx.kind("pipeline.params")}
    out = []
    for (reader, file), items in sorted(reads.items()):
        ob_id = f"config.keys:{reader}->{file}"
        statement = f"every config key {reader} reads exists in {file}"
        if file not in ctx.files:
            facts = [
                Fact(f"{file}#{_key(i)}", False, cite(i, f"reads {_key(i)}"), "config file missing")
                for i in items
            ]
        else:
            keys = known.get(file)
            if keys is None and root is not None:
                keys = read_keys(root, file)
            if keys is None:
                out.append(
                    Obligation(
                        id=ob_id,
                        kind="config.keys",
                        statement=statement,
                        evidence=[cite(i, "config key read") for i in items],
                        why_unknown=f"the keys of {file} are not in the evidence",
                    )
                )
                continue
            facts = [
                Fact(
                    f"{file}#{_key(i)}", _key(i) in keys, cite(i, f"reads {_key(i)}"), "no such key"
                )
                for i in items
            ]
        out.append(
            membership(
                ob_id, "config.keys", statement, facts, missing_word="key read but not defined"
            )
        )
    return out

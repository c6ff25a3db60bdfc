"""Which files are documentation, and the governance facts they carry.

Dependency lists and word lists in ``.txt`` are not documentation (the dependency parsers
own ``requirements*.txt``). LICENSE/COPYING/NOTICE, CODEOWNERS, SECURITY, CONTRIBUTING,
CODE_OF_CONDUCT, model cards and datasheets (also Hugging Face cards recognised by their
front matter), changelogs and READMEs become ``doc.governance`` items: a licence with an
SPDX guess, CODEOWNERS with its rules, cards with their headings and front-matter keys.
"""

from __future__ import annotations

import re

from hyperscore.evaluators.ingest.formats import FormatError, as_dict, load_yaml
from hyperscore.evaluators.ingest.parsers.docs_kinds import CodeOwnersRule, DocGovernance
from hyperscore.evaluators.ingest.parsers.docs_markup import Markup, split_lines
from hyperscore.evaluators.model import Evidence

_DOC_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkd", ".mdx", ".rst", ".rest", ".txt")
_NOT_DOC_TXT = re.compile(
    r"requirement|constraint|(?:^|[._-])lock(?:[._-]|$)|^deps?\b|^dependenc|^packages\.txt$|^apt\.txt$|^runtime\.txt$"
    r"|^environment.*\.txt$|^pip[-_.]|^cmakelists\.txt$|^robots\.txt$|vocab|^merges\.txt$"
    r"|^(labels|classes|stopwords|words)\.txt$"
)
_NOT_DOC_DIRS = frozenset(
    {"requirements", "requirements.d", "reqs", "data", "datasets", "dataset", "raw", "vocab"}
)
_GOVERNANCE = {
    "license": "license",
    "licence": "license",
    "copying": "license",
    "unlicense": "license",
    "notice": "notice",
    "codeowners": "codeowners",
    "security": "security-policy",
    "contributing": "contributing",
    "code_of_conduct": "code-of-conduct",
    "code-of-conduct": "code-of-conduct",
    "conduct": "code-of-conduct",
    "model_card": "model-card",
    "model-card": "model-card",
    "modelcard": "model-card",
    "datasheet": "datasheet",
    "data_card": "datasheet",
    "data-card": "datasheet",
    "datacard": "datasheet",
    "dataset_card": "datasheet",
    "dataset-card": "datasheet",
    "datasheet_for_dataset": "datasheet",
    "changelog": "changelog",
    "changes": "changelog",
    "history": "changelog",
    "news": "changelog",
    "release_notes": "changelog",
    "release-notes": "changelog",
    "releases": "changelog",
    "support": "support",
    "governance": "governance",
    "maintainers": "maintainers",
    "owners": "maintainers",
    "authors": "maintainers",
    "readme": "readme",
    "citation": "citation",
    "pull_request_template": "pr-template",
}
_CODE_SUFFIXES = frozenset(
    {
        "html",
        "htm",
        "py",
        "json",
        "yaml",
        "yml",
        "js",
        "ts",
        "xml",
        "toml",
        "cfg",
        "ini",
        "sh",
        "css",
        "pdf",
        "png",
        "jpg",
        "svg",
        "in",
        "j2",
        "tmpl",
        "template",
    }
)
# Governance files read as governance only: their prose is boilerplate, not project docs.
GOVERNANCE_ONLY = frozenset({"license", "notice", "codeowners"})


_DOC_EXTENSION_SET = frozenset(_DOC_EXTENSIONS)


def stem_ext(name: str) -> tuple[str, str]:
    """Lower-cased stem and doc extension (``""`` when not a doc extension); one set lookup,
    since every doc extension is a single dot-suffix. Runs on every path of the project."""
    low = name.lower()
    dot = low.rfind(".")
    if dot >= 0 and low[dot:] in _DOC_EXTENSION_SET:
        return low[:dot], low[dot:]
    return low, ""


def governance_type(path: str) -> str | None:
    """The governance ``doc_type`` a file name implies (``LICENSE-MIT`` -> ``license``)."""
    stem, ext = stem_ext(path.rsplit("/", 1)[-1])
    base, dot, suffix = stem.partition(".")
    if dot and (ext or base in ("license", "licence", "copying", "notice")):
        # README.ja.md, COPYING.LESSER -- but never history.py or authors.json
        if not ext and (not suffix.isalpha() or suffix in _CODE_SUFFIXES):
            return None
        stem = base
    elif dot:
        return None
    doc_type = _GOVERNANCE.get(stem)
    if doc_type is None and stem.startswith(("license-", "licence-", "license_", "copying.")):
        doc_type = "license"
    return doc_type


def is_docs_path(path: str) -> bool:
    """Docs and governance files, excluding dependency lists and word/data lists in ``.txt``."""
    low = path.lower()
    name = low.rsplit("/", 1)[-1]
    stem, ext = stem_ext(name)
    if not ext:
        return governance_type(path) is not None
    if ext == ".txt":
        if _NOT_DOC_TXT.search(name):
            return False
        dirs = low.split("/")[:-1]
        if any(part in _NOT_DOC_DIRS for part in dirs):
            return False
    return bool(stem)


_SPDX_ID = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+(?:\s+(?:OR|AND)\s+[\w.+-]+)*)")
_LICENSE_SIGNATURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", ("gnu affero general public license",)),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1", ("gnu lesser general public license", "version 2.1")),
    ("LGPL-2.1", ("gnu library general public license",)),
    ("GPL-3.0", ("gnu general public license", "version 3")),
    ("GPL-2.0", ("gnu general public license", "version 2")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("Apache-2.0", ("licensed under the apache license, version 2.0",)),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("EPL-2.0", ("eclipse public license", "2.0")),
    ("BSL-1.0", ("boost software license",)),
    ("Unlicense", ("this is free and unencumbered software",)),
    ("CC0-1.0", ("cc0 1.0",)),
    ("CC-BY-NC-SA-4.0", ("attribution-noncommercial-sharealike 4.0",)),
    ("CC-BY-NC-4.0", ("attribution-noncommercial 4.0",)),
    ("CC-BY-SA-4.0", ("attribution-sharealike 4.0",)),
    ("CC-BY-4.0", ("creative commons attribution 4.0",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software",)),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("MIT", ("mit license",)),
)
_SPDX_CANONICAL = {ident.lower(): ident for ident, _ in _LICENSE_SIGNATURES} | {
    "apache-2.0": "Apache-2.0",
    "mit": "MIT",
    "bsd-3-clause": "BSD-3-Clause",
    "gpl-3.0": "GPL-3.0",
    "openrail": "OpenRAIL",
    "llama2": "Llama-2",
    "other": "other",
}


def guess_spdx(text: str, name: str = "") -> str | None:
    """Best-effort SPDX id from an explicit identifier, the licence text or the file name."""
    explicit = _SPDX_ID.search(text)
    if explicit:
        return explicit.group(1).strip()
    head = " ".join(text[:20000].lower().split())
    for ident, needles in _LICENSE_SIGNATURES:
        if all(needle in head for needle in needles):
            return ident
    low = name.lower()
    if "apache" in low:
        return "Apache-2.0"
    if low.endswith(("-mit", "_mit", "-mit.txt", "-mit.md")):
        return "MIT"
    return None


def codeowners_rules(lines: list[str]) -> tuple[CodeOwnersRule, ...]:
    """``pattern owner...`` lines; skips comments, blank lines, GitLab ``[Section]`` headers."""
    rules: list[CodeOwnersRule] = []
    for idx, raw in enumerate(lines):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "[", "^[")):
            continue
        parts = line.split()
        rules.append(CodeOwnersRule(pattern=parts[0], owners=tuple(parts[1:]), line=idx + 1))
        if len(rules) >= 500:
            break
    return tuple(rules)


_VERSION_HEADING = re.compile(r"\bv?(\d+\.\d+(?:\.\d+)?(?:[-.]?\w+)?)\b")
_MODEL_CARD_KEYS = frozenset({"model-index", "pipeline_tag", "library_name", "base_model"})
_DATASET_CARD_KEYS = frozenset({"task_categories", "dataset_info", "size_categories"})


def _front_matter(markup: Markup) -> dict[str, object]:
    if not markup.front_matter:
        return {}
    try:
        return as_dict(load_yaml(markup.front_matter))
    except FormatError:
        return {}


def governance_evidence(path: str, text: str, markup: Markup | None) -> list[Evidence]:
    """``doc.governance`` items this file contributes (by name, and by card front matter)."""
    doc_type = governance_type(path)
    front = _front_matter(markup) if markup is not None else {}
    types: list[str] = [doc_type] if doc_type else []
    if front.keys() & _MODEL_CARD_KEYS and "model-card" not in types:
        types.append("model-card")
    if front.keys() & _DATASET_CARD_KEYS and "datasheet" not in types:
        types.append("datasheet")
    if not types:
        return []
    headings = tuple(s.heading for s in markup.sections if s.heading)[:60] if markup else ()
    out: list[Evidence] = []
    for kind in types:
        spdx: str | None = None
        rules: tuple[CodeOwnersRule, ...] = ()
        versions, latest = 0, None
        if kind == "license":
            spdx = guess_spdx(text, path.rsplit("/", 1)[-1])
        elif kind in ("model-card", "datasheet", "readme") and "license" in front:
            raw = str(front["license"])
            spdx = _SPDX_CANONICAL.get(raw.lower(), raw)
        elif kind == "codeowners":
            rules = codeowners_rules(split_lines(text))
        elif kind == "changelog" and markup is not None:
            found = [
                m.group(1) for s in markup.sections if (m := _VERSION_HEADING.search(s.heading))
            ]
            versions, latest = len(found), (found[0] if found else None)
        out.append(
            DocGovernance(
                path=path,
                line=1,
                name=kind,
                doc_type=kind,
                spdx=spdx,
                rules=rules,
                headings=headings,
                front_matter_keys=tuple(sorted(front))[:50],
                versions=versions,
                latest_version=latest,
            )
        )
    return out

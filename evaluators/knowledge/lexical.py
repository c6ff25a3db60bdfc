"""A lexical check beside the embedding: does the chunk use the same *identifiers*?

MiniLM embeds code by its words, so ``mlflow.pyfunc.load_model`` sits close to the removed
``mlflow.pyfunc.load_pyfunc`` and ``actions/checkout@<sha>`` close to ``actions/checkout@v1``:
the embedding sees the topic, not the version. For code-like chunks Novelty therefore also
asks for an IDF-weighted token cosine with the entry. Identifiers are lower-cased words;
version-like tokens (``1.15``, ``v2``, ``18.04``, a commit SHA) weigh double, since they are
what makes a line outdated; plain integers and keywords carry no weight. IDF comes from the
shipped corpus; a token the corpus never uses gets the highest weight.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache

from hyperscore.evaluators.knowledge.corpus import load_corpus

_TOKEN = re.compile(r"[a-z_][a-z0-9_]*|\d+(?:\.\d+)+")
_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "as",
        "at",
        "be",
        "by",
        "def",
        "for",
        "from",
        "if",
        "import",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "no",
        "not",
        "return",
        "self",
        "none",
        "true",
        "false",
    }
)
_VERSION = re.compile(r"\d|^v\d")


def tokens(text: str) -> set[str]:
    """Identifier and version tokens of ``text`` (versions cut to major.minor)."""
    out = set()
    for found in _TOKEN.findall(text.lower()):
        if found in _STOP or len(found) < 2:
            continue
        out.add(".".join(found.split(".")[:2]) if found[0].isdigit() else found)
    return out


@cache
def _idf() -> tuple[dict[str, float], float]:
    entries = load_corpus()
    df: Counter[str] = Counter()
    for entry in entries:
        df.update(tokens(entry.text))
    n = len(entries)
    return {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}, math.log(n + 1) + 1.0


def _weight(token: str) -> float:
    idf, unseen = _idf()
    weight = idf.get(token, unseen)
    return 2.0 * weight if _VERSION.search(token) else weight


def similarity(a: str, b: str) -> float:
    """IDF-weighted cosine of the token sets of ``a`` and ``b`` (0 when either has none)."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    shared = sum(_weight(t) ** 2 for t in ta & tb)
    norm_a = sum(_weight(t) ** 2 for t in ta)
    norm_b = sum(_weight(t) ** 2 for t in tb)
    return shared / math.sqrt(norm_a * norm_b)

"""Reading requirement strings: names, specifiers, pin states, URLs and their credentials.

Shared by every dependency parser so that "pinned" means the same thing whichever tool declared
a requirement: ``==V``/``===V`` (or a bare version where the tool reads it as exact) is pinned,
any other specifier is ranged, none is unpinned, a URL/VCS/path is ``url``. URLs are masked
here, before they can reach evidence.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace
from typing import Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

PinState = Literal["pinned", "ranged", "unpinned", "url", "hashed"]
PIN_STATES: tuple[PinState, ...] = ("pinned", "ranged", "unpinned", "url", "hashed")

# --------------------------------------------------------------------------- names and URLs

_NORMALISE_RE = re.compile(r"[-_.]+")
_USERINFO_RE = re.compile(
    r"\b(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{0,30}://)(?P<userinfo>[^/@\s?#]{1,512})@"
)
_SECRET_QUERY_RE = re.compile(
    r"(?i)([?&;][\w.-]{0,40}"
    r"(?:token|key|secret|passw(?:or)?d|pwd|auth|sig|credential)"
    r"[\w.-]{0,40}=)[^&#\s]*"
)
_WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:[\\/]")
_ENV_REF_RE = re.compile(r"\$\{?\w+\}?|%\w+%")
_PLAIN_USER_RE = re.compile(r"[A-Za-z][\w.-]{0,23}")
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "glpat-", "xox")
_VCS_PREFIX_RE = re.compile(r"(?i)^(?:git|hg|svn|bzr)\+")
_COMMIT_RE = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_SIMPLE_REQUIREMENT_RE = re.compile(
    r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\s*==\s*(\d+(?:\.\d+)*))?"
)
_HASH_FRAGMENT_RE = re.compile(r"[#&](?:sha1|sha224|sha256|sha384|sha512|md5)=[0-9a-fA-F]+")


def normalise_name(name: str) -> str:
    """PEP 503 normal form: lower case, runs of ``-_.`` become one ``-``."""
    return _NORMALISE_RE.sub("-", name).lower().strip("-")


def _masked_user(user: str, *, alone_in_http: bool) -> str:
    if _ENV_REF_RE.fullmatch(user):
        return user
    if alone_in_http:
        return "***"  # https://<token>@host: a user name alone buys nothing over HTTP
    if _PLAIN_USER_RE.fullmatch(user) and not user.lower().startswith(_TOKEN_PREFIXES):
        return user
    return "***"


def mask_credentials(text: str) -> str:
    """Hide passwords/tokens in every URL of ``text``: ``https://user:***@host``.

    A lone HTTP(S) userinfo (``https://<token>@host``) or one that does not look like a user
    name is masked whole; ``git@`` of SSH URLs and ``${VAR}`` references are kept, since they
    reveal no secret. Query parameters named like tokens or keys lose their values too.
    """

    def repl(match: re.Match[str]) -> str:
        scheme = match["scheme"]
        user, sep, password = match["userinfo"].partition(":")
        if not sep:
            alone_in_http = "http" in scheme.lower()
            return f"{scheme}{_masked_user(user, alone_in_http=alone_in_http)}@"
        shown = password if _ENV_REF_RE.fullmatch(password) else "***"
        return f"{scheme}{_masked_user(user, alone_in_http=False)}:{shown}@"

    if "@" in text:
        text = _USERINFO_RE.sub(repl, text)
    if "=" in text:
        text = _SECRET_QUERY_RE.sub(r"\1***", text)
    return text


def vcs_ref_of(url: str) -> str | None:
    """The ``@ref`` of a VCS URL (``git+https://host/repo.git@v1.2#egg=x`` -> ``v1.2``)."""
    if not _VCS_PREFIX_RE.match(url):
        return None
    bare = url.split("#", 1)[0]
    scheme_end = bare.find("://")
    rest = bare[scheme_end + 3 :] if scheme_end >= 0 else bare[bare.find("+") + 1 :]
    slash = rest.find("/")
    path = rest[slash:] if slash >= 0 else ""
    if "@" not in path:
        return None
    return path.rsplit("@", 1)[1] or None


def is_commit(ref: str | None) -> bool:
    """Whether a VCS ref is a full commit id (immutable), not a branch or tag (movable)."""
    return ref is not None and _COMMIT_RE.fullmatch(ref.lower()) is not None


def url_hash_count(url: str) -> int:
    """1 when a direct URL carries a ``#sha256=...`` style hash fragment."""
    return 1 if _HASH_FRAGMENT_RE.search(url) else 0


def resolve_include(base_dir: str, ref: str) -> str | None:
    """``ref`` relative to ``base_dir`` as a root-relative POSIX path; None when it is a URL,
    absolute, or escapes the project root (nothing to link to)."""
    if "://" in ref or ref.startswith(("/", "~")) or _WINDOWS_DRIVE_RE.match(ref):
        return None
    joined = posixpath.normpath(posixpath.join(base_dir, ref.replace("\\", "/")))
    if joined == ".." or joined.startswith("../") or joined == ".":
        return None
    return joined


def parent_dir(path: str) -> str:
    return posixpath.dirname(path)


def percentage(value: object) -> float | None:
    """A threshold such as coverage ``fail_under`` as a float in [0, 100], else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number <= 100 else None


# --------------------------------------------------------------------------- requirements


@dataclass(frozen=True)
class Parsed:
    """A requirement before it is placed in a file (no path, line, group)."""

    raw_name: str
    specifier: str = ""
    pin: PinState = "unpinned"
    version: str | None = None
    extras: tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None
    vcs_ref: str | None = None
    hashes: int = 0
    editable: bool = False


def pin_of_specifier(spec: SpecifierSet) -> tuple[PinState, str | None]:
    """``pinned`` (with the version) for ``==V``/``===V``; ``ranged`` for anything else."""
    if not str(spec):
        return "unpinned", None
    for item in spec:
        if item.operator == "===" or (item.operator == "==" and not item.version.endswith(".*")):
            return "pinned", item.version
    return "ranged", None


def parse_pep508(text: str) -> Parsed:
    """A PEP 508 requirement string; raises ValueError with packaging's one-line reason.

    ``name`` and ``name==1.2.3`` -- most lines of most files -- skip packaging's parser.
    """
    simple = _SIMPLE_REQUIREMENT_RE.fullmatch(text.strip())
    if simple:
        name, version = simple.groups()
        if version is None:
            return Parsed(raw_name=name)
        return Parsed(raw_name=name, specifier=f"=={version}", pin="pinned", version=version)
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        reason = (str(exc).splitlines() or ["unreadable"])[0]
        raise ValueError(f"invalid requirement: {reason}") from None
    marker = str(req.marker) if req.marker is not None else None
    extras = tuple(sorted(req.extras))
    if req.url:
        ref = vcs_ref_of(req.url)
        return Parsed(
            raw_name=req.name,
            pin="url",
            extras=extras,
            marker=marker,
            url=req.url,
            vcs_ref=ref,
            hashes=url_hash_count(req.url),
        )
    pin, version = pin_of_specifier(req.specifier)
    return Parsed(
        raw_name=req.name,
        specifier=str(req.specifier),
        pin=pin,
        version=version,
        extras=extras,
        marker=marker,
    )


def parse_specifier(name: str, spec: str) -> Parsed:
    """``name`` with a PEP 440 specifier as Pipfile-style tools write it (``*`` = any).

    A bare version (``1.2.3``) means ``==1.2.3`` there, so it counts as pinned.
    """
    spec = spec.strip()
    if spec in ("", "*"):
        return Parsed(raw_name=name, specifier=spec)
    try:
        parsed = SpecifierSet(spec)
    except InvalidSpecifier:
        try:
            Version(spec)
        except InvalidVersion:
            raise ValueError(f"invalid version specifier {spec[:80]!r}") from None
        return Parsed(raw_name=name, specifier=spec, pin="pinned", version=spec)
    pin, version = pin_of_specifier(parsed)
    return Parsed(raw_name=name, specifier=spec, pin=pin, version=version)


def with_hashes(parsed: Parsed, hashes: int) -> Parsed:
    return replace(parsed, hashes=parsed.hashes + hashes)

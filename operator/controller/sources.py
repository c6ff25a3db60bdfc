"""The trusted fetch: an assessment's source, read by the operator into a private directory.

The engine and the sandbox only ever see this directory (or an archive of it), never the
source's credentials. Git credentials come from a Secret (``username``/``password``, or
``token`` with an optional ``username``) and go to git through the engine's credential helper
environment; the engine redacts every message, and the ``SourceInfo`` kept here (and written to
status, events and the report) holds the URL without them.
"""

from __future__ import annotations

import base64
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from hyperscore.evaluators.ingest import Limits, SourceError
from hyperscore.evaluators.ingest.source import SourceTree
from hyperscore.evaluators.ingest.sources import open_source, redact_text, redact_url
from hyperscore.evaluators.model import SourceInfo
from hyperscore.operator.api.models import MaturityAssessmentSpec

TOKEN_USERNAME = "x-access-token"  # noqa: S105 -- a user name, not a secret; what GitHub, GitLab and Gitea accept with a token
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")


class SourceUnavailable(Exception):
    """The source cannot be read *now* (missing ConfigMap, unreachable server): retried."""


class InvalidSource(Exception):
    """The source can never be read as specified (a Secret without usable keys): the spec or
    the referenced object must change first."""


@dataclass
class FetchedSource:
    directory: Path
    info: SourceInfo
    secrets: tuple[str, ...] = ()

    def close(self) -> None:
        shutil.rmtree(self.directory.parent, ignore_errors=True)

    def redact(self, text: str) -> str:
        """Mask this fetch's credentials (and any URL userinfo) in ``text``."""
        text = redact_text(text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def credentials_from_secret(name: str, data: Mapping[str, str] | None) -> tuple[str, str]:
    """``(username, password)`` from a Secret's base64 ``data``; InvalidSource names the keys
    that are missing, never a value."""
    decoded = {}
    for key, value in (data or {}).items():
        try:
            decoded[key] = base64.b64decode(value, validate=True).decode().strip()
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            raise InvalidSource(f"Secret {name}: key {key} is not valid base64 text") from None
    if decoded.get("token"):
        return decoded.get("username") or TOKEN_USERNAME, decoded["token"]
    if decoded.get("username") and decoded.get("password"):
        return decoded["username"], decoded["password"]
    if decoded.get("ssh-privatekey"):
        raise InvalidSource(
            f"Secret {name}: ssh-privatekey is not supported yet; use an https URL with "
            "username/password or token"
        )
    raise InvalidSource(
        f"Secret {name} must have keys username and password, or token "
        f"(found: {', '.join(sorted(decoded)) or 'none'})"
    )


def url_with_credentials(url: str, username: str, password: str) -> str:
    """``url`` carrying the credentials (http and https only: other transports would send them
    in the clear or ignore them)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidSource(f"credentials need an http(s) URL, not {redact_url(url)!r}")
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def _private_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="hyperscore-operator-"))
    project = root / "project"
    project.mkdir()
    return project


def materialise(tree: SourceTree, directory: Path) -> None:
    """Write every readable file of ``tree`` under ``directory`` (paths are already checked
    relative and inside the root by the engine's source readers)."""
    for item in tree.walk():
        target = directory / PurePosixPath(item.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.read_bytes())


def fetch_git(
    url: str,
    revision: str | None,
    credentials: tuple[str, str] | None,
    limits: Limits,
) -> FetchedSource:
    spec = url if credentials is None else url_with_credentials(url, *credentials)
    secrets = () if credentials is None else (credentials[1], quote(credentials[1], safe=""))
    directory = _private_dir()
    fetched = FetchedSource(directory, SourceInfo(type="git", location=redact_url(url)), secrets)
    try:
        with open_source(spec, rev=revision, limits=limits) as tree:
            materialise(tree, directory)
            info = tree.info
        fetched.info = SourceInfo(
            type="git", location=redact_url(url), revision=info.revision, ref=revision
        )
    except SourceError as exc:
        fetched.close()
        raise SourceUnavailable(fetched.redact(str(exc))) from None
    except BaseException:
        fetched.close()
        raise
    return fetched


def fetch_config_map(
    name: str, config_map: Mapping[str, Any] | None, limits: Limits
) -> FetchedSource:
    """Keys of ``data``/``binaryData`` are files at the project root (ConfigMap keys cannot
    hold ``/``); a ``binaryData`` key ending in an archive suffix is unpacked as the whole
    tree, read by the engine's archive reader with its traversal and bomb checks."""
    if config_map is None:
        raise SourceUnavailable(f"ConfigMap {name} not found")
    directory = _private_dir()
    try:
        for key, text in (config_map.get("data") or {}).items():
            (directory / key).write_text(text, encoding="utf-8")
        for key, value in (config_map.get("binaryData") or {}).items():
            raw = base64.b64decode(value)
            if key.lower().endswith(ARCHIVE_SUFFIXES):
                archive = directory.parent / key
                archive.write_bytes(raw)
                with open_source(str(archive), limits=limits) as tree:
                    materialise(tree, directory)
                archive.unlink()
            else:
                (directory / key).write_bytes(raw)
    except SourceError as exc:
        shutil.rmtree(directory.parent, ignore_errors=True)
        raise InvalidSource(f"ConfigMap {name}: {exc}") from None
    except BaseException:
        shutil.rmtree(directory.parent, ignore_errors=True)
        raise
    version = (config_map.get("metadata") or {}).get("resourceVersion")
    return FetchedSource(
        directory,
        SourceInfo(type="directory", location=f"configmap/{name}", revision=version),
    )


def fetch_pvc(pvc_root: Path | None, claim: str, path: str, limits: Limits) -> FetchedSource:
    """A PersistentVolumeClaim mounted into the operator at ``<pvc_root>/<claim>``.

    The operator cannot mount claims at run time; volumes it should read are mounted into its
    Pod (chart value or a patch) and ``--pvc-root`` names where.
    """
    if pvc_root is None:
        raise InvalidSource(
            f"pvc source {claim}: the operator has no --pvc-root (mount the claim into the "
            "operator Pod and set it)"
        )
    base = (pvc_root / claim).resolve()
    root = (base / path.lstrip("/")).resolve()
    if not root.is_relative_to(base):
        raise InvalidSource(f"pvc source {claim}: path {path!r} leaves the volume")
    if not root.is_dir():
        raise SourceUnavailable(f"pvc source {claim}: {path} is not a directory in the volume")
    directory = _private_dir()
    try:
        with open_source(str(root), limits=limits) as tree:
            materialise(tree, directory)
    except SourceError as exc:
        shutil.rmtree(directory.parent, ignore_errors=True)
        raise SourceUnavailable(f"pvc source {claim}: {exc}") from None
    return FetchedSource(directory, SourceInfo(type="directory", location=f"pvc/{claim}{path}"))


def describe(spec: MaturityAssessmentSpec) -> str:
    """A credential-free one-line name of the source, for events and messages."""
    source = spec.source
    if source.git is not None:
        return f"git {redact_url(source.git.url)}@{source.git.revision or 'HEAD'}"
    if source.config_map_ref is not None:
        return f"configmap {source.config_map_ref.name}"
    assert source.pvc is not None
    return f"pvc {source.pvc.claim_name}:{source.pvc.path}"

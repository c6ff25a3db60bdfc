"""Open a project source: a directory, a git repository (local or remote) or an archive.

:func:`open_source` decides which :class:`SourceTree` fits a command-line ``spec``; the git and
archive trees live in ``sources_git.py`` and ``sources_archive.py``. This module also holds the
rules every tree shares, so the three agree on what a project contains: which tool directories
are skipped, how odd file names are shown, how a symlink inside a virtual tree is resolved, and
how URLs are redacted. The input is untrusted: nothing is executed, nothing outside the root is
read, and every failure is a one-line :class:`SourceError` naming the input.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Final, Literal

from hyperscore.evaluators.ingest.source import Limits, SourceError, SourceFile, SourceTree
from hyperscore.evaluators.model import OmitReason, Omitted, SourceInfo

__all__ = [
    "DirectorySource",
    "OmitReason",
    "SourceError",
    "SourceReadError",
    "display_path",
    "one_line",
    "open_source",
    "redact_text",
    "redact_url",
]

# Tool, cache and VCS directories: never project material, often huge. `.github`, `.circleci`,
# `.dvc/config` and friends are kept on purpose: they are exactly what the parsers look for.
SKIPPED_DIR_NAMES: Final = frozenset(
    {
        ".git", ".hg", ".svn", ".bzr", "node_modules", ".venv", "venv", "__pycache__", ".tox",
        ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints",
        "site-packages", ".idea", ".eggs", ".hypothesis",
    }
)  # fmt: skip
# Directories skipped only directly below a `.dvc` directory (its object cache and scratch).
SKIPPED_DVC_SUBDIRS: Final = frozenset({"cache", "tmp"})
# A directory holding this file is a virtualenv, whatever it is called.
VENV_MARKER: Final = "pyvenv.cfg"
# Symlink hops before a chain is declared a loop (Linux uses 40 as well).
MAX_SYMLINK_HOPS: Final = 40

_REMOTE_SCHEME = re.compile(r"^(?:https?|git|ssh|file)://", re.IGNORECASE)
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!//)")
_OTHER_TRANSPORT = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::|^[A-Za-z][A-Za-z0-9+.-]*://")
_URL_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s'\"<>]*)@", re.IGNORECASE
)
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;](?:access[_-]?token|private[_-]?token|oauth[_-]?token|token|password|passwd"
    r"|pwd|secret|api[_-]?key|key|auth|sig|signature|credentials?|x-amz-signature"
    r"|x-amz-credential|x-amz-security-token)=)[^&#;\s'\"<>]*",
    re.IGNORECASE,
)
_URL_PARTS = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*)(.*)$", re.DOTALL)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def redact_url(url: str) -> str:
    """``url`` with its credentials masked: ``https://user:***@host/x?token=***``.

    A bare user name on http(s) is masked too (``https://***@host``): hosting services accept a
    token in that position. ``ssh://git@host`` keeps its user, which is never a secret. The
    authority is split like a URL parser does (up to the first ``/``, ``?`` or ``#``; the last
    ``@`` ends the credentials), so any character in a password is masked.
    """
    parsed = _URL_PARTS.match(url)
    if parsed is not None:
        scheme, authority, rest = parsed.groups()
        userinfo, at, host = authority.rpartition("@")
        if at:
            url = _mask_userinfo_of(scheme, userinfo) + host + rest
    return _SECRET_QUERY.sub(r"\g<key>***", url)


def redact_text(text: str) -> str:
    """Mask credentials in every URL found anywhere in ``text`` (e.g. git's stderr)."""
    return _SECRET_QUERY.sub(r"\g<key>***", _URL_USERINFO.sub(_mask_userinfo, text))


def _mask_userinfo(match: re.Match[str]) -> str:
    return _mask_userinfo_of(match["scheme"], match["userinfo"])


def _mask_userinfo_of(scheme: str, userinfo: str) -> str:
    """``scheme`` plus the masked ``userinfo@`` part of a URL."""
    if ":" in userinfo:
        return f"{scheme}{userinfo.split(':', 1)[0]}:***@"
    if scheme.lower() in ("http://", "https://") and userinfo:
        return f"{scheme}***@"
    return f"{scheme}{userinfo}@"


class SourceReadError(SourceError, OSError):
    """One file of an open source could not be read; the walker records it as 'unreadable'.

    An ``OSError`` so that the walker's ``except OSError`` catches it, and a
    :class:`SourceError` so that callers handling source failures see it too.
    """


def one_line(text: str, limit: int = 400) -> str:
    """Collapse whitespace so a message stays on one line; cut overlong messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def display_path(path: str) -> str:
    """A file name that is safe to print and to serialise as JSON.

    Names that are not UTF-8 arrive with surrogate escapes (``os.fsdecode``); those bytes and
    control characters become ``\\xNN`` so a report never breaks, while the real name is kept
    aside for opening the file.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        path = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if _CONTROL_CHARS.search(path):
        path = _CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group(0)):02x}", path)
    return path


def decode_git_path(raw: bytes) -> str:
    """A path from git or an archive, decoded the same way :func:`display_path` shows names."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "backslashreplace")
    return display_path(text)


def is_skipped_dir(parent_name: str, name: str) -> bool:
    """Whether a directory called ``name`` inside ``parent_name`` is tool output, not project."""
    return name in SKIPPED_DIR_NAMES or (parent_name == ".dvc" and name in SKIPPED_DVC_SUBDIRS)


def in_skipped_dir(path: str, venv_dirs: frozenset[str] = frozenset()) -> bool:
    """Whether a file at relative ``path`` lies below a skipped directory (git and archives)."""
    parts = path.split("/")
    if parts[-1] == ".git":
        return True  # a gitfile (submodule or worktree pointer), not project content
    parts.pop()
    parent = ""
    for index, name in enumerate(parts):
        if is_skipped_dir(parent, name):
            return True
        parent = name
        if venv_dirs and "/".join(parts[: index + 1]) in venv_dirs:
            return True
    return False


def venv_dirs_of(paths: Iterator[str] | list[str]) -> frozenset[str]:
    """Directories that hold a ``pyvenv.cfg`` (virtualenvs under any name) among ``paths``."""
    suffix = "/" + VENV_MARKER
    return frozenset(p[: -len(suffix)] for p in paths if p.endswith(suffix))


def normalise_relative(name: str) -> tuple[str | None, str]:
    """A member name as a clean relative POSIX path, or ``(None, why)`` when it is unsafe."""
    if name.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", name):
        return None, "absolute path"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, "path with '..' escapes the root"
    if not parts:
        return None, "empty path"
    return "/".join(parts), ""


ResolveOutcome = Literal["ok", "escape", "loop"]


def resolve_in_tree(
    path: str, link_target: Callable[[str], str | None], max_hops: int = MAX_SYMLINK_HOPS
) -> tuple[ResolveOutcome, str]:
    """Resolve ``path`` through the symlinks of a virtual tree (git tree, archive), like realpath.

    ``link_target(p)`` returns the stored target when ``p`` is a symlink. Returns
    ``("ok", resolved)``, ``("escape", target)`` when resolution leaves the root (absolute
    target, too many ``..``) or ``("loop", path)`` after ``max_hops`` links.
    """
    resolved: list[str] = []
    pending = list(reversed(path.split("/")))
    hops = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                return "escape", path
            resolved.pop()
            continue
        candidate = "/".join([*resolved, part])
        target = link_target(candidate)
        if target is None:
            resolved.append(part)
            continue
        hops += 1
        if hops > max_hops:
            return "loop", path
        if target.startswith("/") or not target:
            return "escape", target
        pending.extend(reversed(target.split("/")))
    return "ok", "/".join(resolved)


def omitted(reason: OmitReason, path: str, detail: str = "", size: int | None = None) -> Omitted:
    """One 'omitted' evidence item; ``path`` must already be display-safe."""
    return Omitted(path=path or ".", reason=reason, detail=detail, size=size)


class FileBudget:
    """Counts walked entries against ``max_files`` and produces the single 'file-limit' item.

    Omitted items count too, so a tree of 100,000 unreadable files yields a bounded list.
    """

    def __init__(self, limits: Limits, sink: list[Omitted]) -> None:
        self.max_files = limits.max_files
        self.used = 0
        self.sink = sink

    def take(self, path: str) -> bool:
        """Reserve one entry for ``path``; False (and one 'file-limit' item) when exhausted."""
        if self.used >= self.max_files:
            if self.used == self.max_files:
                detail = f"stopped after {self.max_files} files; the rest was not listed"
                self.sink.append(omitted("file-limit", path, detail))
                self.used += 1
            return False
        self.used += 1
        return True

    @property
    def exhausted(self) -> bool:
        return self.used > self.max_files


# --- Directories -------------------------------------------------------------------------------

_OPEN_FLAGS: Final = (
    os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
)
_DIR_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
_READ_CHUNK: Final = 1 << 20


def _open_beneath(root: str, rel: str) -> int:
    """Open ``root/rel`` without following a symlink at any step below ``root``.

    Each directory is opened relative to the previous one with ``O_NOFOLLOW``, so a component
    replaced by a symlink after the walk fails instead of leading outside the root.
    """
    parts = rel.split(os.sep)
    fd = os.open(root, _DIR_FLAGS)
    try:
        for part in parts[:-1]:
            next_fd = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        return os.open(parts[-1], _OPEN_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)


def _read_checked(
    root: str, rel: str, identity: tuple[int, int], max_bytes: int, shown: str
) -> bytes:
    """Read a regular file vetted by the walk, refusing anything swapped in since.

    The file is reached from the root without following symlinks (``_open_beneath``),
    ``O_NONBLOCK`` keeps a fifo from blocking, and the (device, inode) check refuses any other
    replacement, so the bytes always come from a file inside the root.
    """
    try:
        fd = _open_beneath(root, rel)
    except OSError as exc:
        raise SourceReadError(f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != identity:
            raise SourceReadError(f"cannot read {shown}: it was replaced while the source was read")
        if info.st_size > max_bytes:
            raise SourceReadError(f"cannot read {shown}: it grew beyond {max_bytes} bytes")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_READ_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise SourceReadError(f"cannot read {shown}: it grew beyond {max_bytes} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise SourceReadError(f"cannot read {shown}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISDIR(mode):
        return "directory"
    return "special file"


def _is_within(real: str, root_real: str) -> bool:
    return real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep)


class DirectorySource(SourceTree):
    """A directory on disk, walked with ``os.scandir`` in full-path (git) order.

    Files are yielded in the byte order of their relative paths (a directory sorts as
    ``name/``), the order ``git ls-tree`` uses, so every source lists a project the same way.
    Directory symlinks are never followed (no loops, no second copy of the tree); file symlinks
    are followed only when they resolve inside the root.
    """

    def __init__(self, root: str | os.PathLike[str], limits: Limits | None = None) -> None:
        super().__init__(limits)
        self._location = os.fspath(root)
        self._root_real = os.path.realpath(self._location)
        if not os.path.isdir(self._root_real):
            raise SourceError(f"source {display_path(self._location)} is not a directory")
        self._euid = os.geteuid() if hasattr(os, "geteuid") else -1

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(type="directory", location=display_path(self._location))

    def walk(self) -> Iterator[SourceFile]:
        self.omitted.clear()
        budget = FileBudget(self.limits, self.omitted)
        listing = self._list_dir(self._root_real, "")
        if listing is None:
            raise SourceError(f"source {display_path(self._location)} cannot be listed")
        # A stack of (parent name, relative prefix, entries) frames gives a lazy depth-first walk.
        stack: list[tuple[str, str, Iterator[os.DirEntry[str]]]] = [("", "", iter(listing))]
        while stack and not budget.exhausted:
            parent_name, prefix, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            if entry.name == ".git":
                continue  # the repository itself (a directory, or a gitfile pointing at it)
            rel = prefix + entry.name
            shown = display_path(rel)
            try:
                if entry.is_symlink():
                    if budget.take(shown):
                        yield from self._symlink(entry, shown)
                elif entry.is_dir(follow_symlinks=False):
                    if is_skipped_dir(parent_name, entry.name):
                        continue
                    frame = self._descend(entry, rel, shown, len(stack), budget)
                    if frame is not None:
                        stack.append(frame)
                elif budget.take(shown):
                    yield from self._regular_or_special(entry, rel, shown)
            except OSError as exc:
                self.omitted.append(omitted("unreadable", shown, one_line(str(exc.strerror))))

    def _list_dir(self, os_path: str, shown: str) -> list[os.DirEntry[str]] | None:
        try:
            with os.scandir(os_path) as scan:
                entries = list(scan)
        except OSError as exc:
            self.omitted.append(omitted("unreadable", shown, f"directory: {exc.strerror}"))
            return None
        if any(e.name == VENV_MARKER for e in entries) and shown:
            return []  # a virtualenv: installed packages, not the project
        entries.sort(key=_git_order_key)
        return entries

    def _descend(
        self, entry: os.DirEntry[str], rel: str, shown: str, depth: int, budget: FileBudget
    ) -> tuple[str, str, Iterator[os.DirEntry[str]]] | None:
        if depth >= self.limits.max_depth:
            if budget.take(shown):
                detail = f"directory nested deeper than {self.limits.max_depth} levels"
                self.omitted.append(omitted("file-limit", shown, detail))
            return None
        listing = self._list_dir(entry.path, shown)
        if listing is None:
            return None
        return entry.name, rel + "/", iter(listing)

    def _regular_or_special(
        self, entry: os.DirEntry[str], rel: str, shown: str
    ) -> Iterator[SourceFile]:
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            # fifos, sockets and devices are never opened: a fifo would block the walk forever
            self.omitted.append(omitted("special-file", shown, _special_kind(info.st_mode)))
            return
        yield from self._file(rel, info, shown)

    def _file(self, rel: str, info: os.stat_result, shown: str) -> Iterator[SourceFile]:
        """A regular file at ``rel`` (an OS path relative to the real root)."""
        size = info.st_size
        if size > self.limits.max_file_bytes:
            detail = f"larger than {self.limits.max_file_bytes} bytes"
            self.omitted.append(omitted("too-large", shown, detail, size))
            return
        os_path = os.path.join(self._root_real, rel)
        if self._euid != 0 and (info.st_mode & 0o444) != 0o444 and not os.access(os_path, os.R_OK):
            self.omitted.append(omitted("unreadable", shown, "permission denied", size))
            return
        identity = (info.st_dev, info.st_ino)
        reader = partial(
            _read_checked, self._root_real, rel, identity, self.limits.max_file_bytes, shown
        )
        stamp = f"{info.st_mtime_ns}:{info.st_ino}"
        yield SourceFile(path=shown, size=size, reader=reader, stamp=stamp)

    def _symlink(self, entry: os.DirEntry[str], shown: str) -> Iterator[SourceFile]:
        try:
            target_info = os.stat(entry.path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self.omitted.append(omitted("symlink-loop", shown, "symlink chain loops"))
            elif exc.errno in (errno.ENOENT, errno.ENOTDIR):
                self.omitted.append(omitted("unreadable", shown, "dangling symlink"))
            else:
                self.omitted.append(omitted("unreadable", shown, f"symlink: {exc.strerror}"))
            return
        real = os.path.realpath(entry.path)
        if not _is_within(real, self._root_real):
            self.omitted.append(omitted("symlink-escape", shown, "points outside the root"))
            return
        if stat.S_ISDIR(target_info.st_mode):
            detail = "symlink to a directory (not followed)"
            self.omitted.append(omitted("special-file", shown, detail))
        elif stat.S_ISREG(target_info.st_mode):
            yield from self._file(os.path.relpath(real, self._root_real), target_info, shown)
        else:
            detail = f"symlink to a {_special_kind(target_info.st_mode)}"
            self.omitted.append(omitted("special-file", shown, detail))


def _git_order_key(entry: os.DirEntry[str]) -> str:
    """Sort a directory the way git sorts trees: sub-directories compare as ``name/``."""
    try:
        is_dir = entry.is_dir(follow_symlinks=False)
    except OSError:
        is_dir = False
    return entry.name + "/" if is_dir else entry.name


# --- Choosing a source -------------------------------------------------------------------------


def is_remote_spec(spec: str) -> bool:
    """Whether ``spec`` names a repository to clone rather than a local path."""
    return bool(_REMOTE_SCHEME.match(spec) or _SCP_LIKE.match(spec))


_HEAD_CONTENT = re.compile(rb"^(?:ref: refs/|[0-9a-f]{40}(?:[0-9a-f]{24})?\s*$)")


def _is_bare_repository(path: Path) -> bool:
    """Git's own test: ``objects/``, ``refs/`` and a ``HEAD`` that looks like one."""
    if not ((path / "objects").is_dir() and (path / "refs").is_dir()):
        return False
    try:
        with open(path / "HEAD", "rb") as head:
            return bool(_HEAD_CONTENT.match(head.read(128)))
    except OSError:
        return False


def _work_tree_git_dir(path: Path) -> Path | None:
    """The git directory of a work tree rooted exactly at ``path`` (``.git`` dir or gitfile)."""
    dot_git = path / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():
        try:
            first = dot_git.read_text(encoding="utf-8", errors="replace").splitlines()[0]
        except (OSError, IndexError):
            return None
        if first.startswith("gitdir:"):
            target = Path(first.split(":", 1)[1].strip())
            return target if target.is_absolute() else path / target
    return None


def open_source(
    spec: str,
    rev: str | None = None,
    limits: Limits | None = None,
    work_dir: Path | None = None,
) -> SourceTree:
    """The :class:`SourceTree` for ``spec``: a directory, git repository, URL or archive.

    A plain directory is read as it is on disk (uncommitted files included) unless ``rev`` is
    given, which reads that commit from its repository instead. URLs are cloned into a private
    temporary directory under ``work_dir`` (removed by ``close()``). Raises :class:`SourceError`
    with one line that names the (redacted) input.
    """
    from hyperscore.evaluators.ingest.sources_archive import ArchiveSource, is_archive_name
    from hyperscore.evaluators.ingest.sources_git import clone_remote, open_git_repository

    limits = limits or Limits()
    shown = display_path(redact_url(spec))
    if not spec.strip():
        raise SourceError("no source given")
    if rev is not None and (not rev.strip() or rev.startswith("-") or _CONTROL_CHARS.search(rev)):
        raise SourceError(f"invalid revision {display_path(rev)!r} for {shown}")
    if is_remote_spec(spec):
        return clone_remote(spec, rev, limits, work_dir)
    path = Path(spec)
    try:
        exists = path.exists()
        is_dir = path.is_dir()
        is_file = path.is_file()
    except OSError as exc:
        raise SourceError(f"cannot access source {shown}: {exc.strerror}") from None
    if not exists:
        if _OTHER_TRANSPORT.match(spec):
            raise SourceError(f"unsupported source {shown}: unknown URL scheme or transport")
        raise SourceError(f"source {shown} does not exist")
    if is_dir:
        if _is_bare_repository(path):
            return open_git_repository(path, rev, limits, location=spec)
        git_dir = _work_tree_git_dir(path)
        if rev is not None:
            if git_dir is None:
                raise SourceError(f"--rev {rev!r} given but {shown} is not a git repository")
            return open_git_repository(git_dir, rev, limits, location=spec)
        return DirectorySource(path, limits)
    if is_file and is_archive_name(spec):
        if rev is not None:
            raise SourceError(f"--rev applies to git sources only, not the archive {shown}")
        return ArchiveSource(path, limits, work_dir=work_dir)
    if is_file:
        raise SourceError(
            f"unsupported source file {shown}: expected a directory, a git repository or "
            ".tar.gz/.tgz/.tar/.tar.bz2/.tar.xz/.zip archive"
        )
    raise SourceError(f"source {shown} is neither a directory nor a regular file")

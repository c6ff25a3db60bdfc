"""Archive sources: .tar (plain, gz, bz2, xz) and .zip, read without extracting anything.

Nothing is written under a member's name, so ``../`` and absolute names, and links planted to
redirect later members, cannot touch the file system; such members are recorded as omitted.

* zip is random access: members are read lazily, straight from the archive.
* tar is a stream: it is read once, in order, when the source is opened. Accepted file contents
  go to one anonymous spool file (no names, bounded by the limits), from which readers later
  take their bytes; everything else the stream carries is skipped without being kept.

Decompression bombs: a tar stream that inflates beyond ``limits.max_total_bytes``, or by more
than ``limits.max_archive_ratio`` once past a few MiB, is refused as a whole
(:class:`SourceError`): its later members cannot be reached without inflating it. A zip is
refused when the sizes its directory declares exceed those bounds; a single zip member with an
absurd ratio is only omitted ('archive-member'). No member above ``max_file_bytes`` is ever
inflated into memory or the spool.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import stat
import tarfile
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, cast

from hyperscore.evaluators.ingest.source import Limits, SourceError, SourceFile, SourceTree
from hyperscore.evaluators.ingest.sources import (
    FileBudget,
    SourceReadError,
    decode_git_path,
    display_path,
    in_skipped_dir,
    normalise_relative,
    omitted,
    one_line,
    resolve_in_tree,
    venv_dirs_of,
)
from hyperscore.evaluators.model import Omitted, SourceInfo

TAR_SUFFIXES: Final = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar")
ZIP_SUFFIXES: Final = (".zip",)
# Below this many inflated bytes, compression ratios are not judged (tiny archives compress
# absurdly well without being dangerous).
RATIO_FLOOR_BYTES: Final = 4 * 1024 * 1024
_SKIP_CHUNK: Final = 1 << 20
_COMMIT_ID = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_ARCHIVE_ERRORS: Final = (
    tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error,
    lzma.LZMAError, ValueError, NotImplementedError, RuntimeError,
)  # fmt: skip


def is_archive_name(name: str) -> bool:
    low = name.lower()
    return low.endswith(TAR_SUFFIXES + ZIP_SUFFIXES)


_MAGIC: Final = (
    (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"\x1f\x8b", "gz"), (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
)  # fmt: skip


def sniff_container(path: str) -> str:
    """``zip``, ``gz``, ``bz2``, ``xz`` or ``tar``, from the first bytes rather than the name.

    Downloads are often misnamed (a gzipped ``.tar``); the suffix only says "an archive".
    """
    with open(path, "rb") as handle:
        head = handle.read(8)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return "tar"


class _Bomb(Exception):
    """Raised from inside the inflating stream; turned into a one-line SourceError."""


class _InflateGuard:
    """A forward-only view of an inflated tar stream that measures what it produces.

    tarfile reads headers and skips data through this object, so every inflated byte is
    counted, including the data of members that are skipped, and a bomb is stopped a
    mebibyte at a time rather than after it has been inflated in full.
    """

    def __init__(self, inner: IO[bytes], raw: IO[bytes], limits: Limits, compressed: bool):
        self._inner, self._raw, self._limits, self._compressed = inner, raw, limits, compressed
        self._pos = 0
        self._max_read = max(limits.max_file_bytes, 1 << 20) + 1024

    def read(self, size: int = -1, /) -> bytes:
        if size < 0 or size > self._max_read:
            raise _Bomb(f"a member header or body claims {size} bytes")
        data = self._inner.read(size)
        self._pos += len(data)
        self._check()
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        target = offset if whence == io.SEEK_SET else self._pos + offset
        if whence not in (io.SEEK_SET, io.SEEK_CUR) or target < self._pos:
            raise OSError("archive stream only moves forward")
        while self._pos < target:
            chunk = self._inner.read(min(_SKIP_CHUNK, target - self._pos))
            if not chunk:
                break  # truncated: tarfile notices at its next header read
            self._pos += len(chunk)
            self._check()
        return self._pos

    def tell(self) -> int:
        return self._pos

    def write(self, data: bytes, /) -> int:
        raise OSError("read-only")

    def close(self) -> None:
        """The files belong to the ArchiveSource, which closes them."""

    def _check(self) -> None:
        limit = self._limits.max_total_bytes
        if self._pos > limit:
            raise _Bomb(f"it inflates to more than {limit} bytes")
        if self._compressed and self._pos > RATIO_FLOOR_BYTES:
            ratio = self._limits.max_archive_ratio
            if self._pos > ratio * max(self._raw.tell(), 1):
                raise _Bomb(f"it inflates more than {ratio} times")


@dataclass(frozen=True)
class _Member:
    """An accepted regular member: where its bytes are (spool offset or zip entry)."""

    size: int
    offset: int = 0
    zip_info: zipfile.ZipInfo | None = None


class ArchiveSource(SourceTree):
    """The files of one archive; paths lose a single common top directory (``repo-main/``)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        limits: Limits | None = None,
        work_dir: Path | None = None,
    ) -> None:
        super().__init__(limits)
        self._path = os.fspath(path)
        self._shown = display_path(self._path)
        self._lock = threading.Lock()
        self._spool: IO[bytes] | None = None
        self._zip: zipfile.ZipFile | None = None
        self._files: dict[str, _Member] = {}
        self._links: dict[str, str] = {}  # symlink path -> target (relative to its directory)
        self._hardlinks: dict[str, str] = {}  # hardlink path -> member path it repeats
        self._dirs: set[str] = set()
        self._implied_dirs: set[str] | None = None
        self._tops: set[str] = set()  # first component of every usable member ("" at top level)
        self._found: list[Omitted] = []
        self._revision: str | None = None
        self._prefix = ""
        try:
            container = sniff_container(self._path)
            if container == "zip":
                self._index_zip()
            else:
                self._index_tar(container, work_dir)
        except _Bomb as exc:
            self.close()
            raise SourceError(
                f"archive {self._shown} looks like a decompression bomb: {exc}"
            ) from None
        except SourceError:
            self.close()
            raise
        except _ARCHIVE_ERRORS as exc:
            self.close()
            reason = one_line(str(exc) or type(exc).__name__, 200)
            raise SourceError(f"archive {self._shown} cannot be read: {reason}") from None
        self._prefix = self._common_top_dir()

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(type="archive", location=self._shown, revision=self._revision)

    # --- indexing ------------------------------------------------------------------------------

    def _index_tar(self, container: str, work_dir: Path | None) -> None:
        raw = open(self._path, "rb")  # noqa: SIM115 - closed in the finally below
        try:
            inner: IO[bytes]
            if container == "gz":
                inner = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
            elif container == "bz2":
                inner = cast(IO[bytes], bz2.BZ2File(raw, "rb"))
            elif container == "xz":
                inner = cast(IO[bytes], lzma.LZMAFile(raw, "rb"))  # noqa: SIM115
            else:
                inner = raw
            guard = _InflateGuard(inner, raw, self.limits, compressed=inner is not raw)
            self._spool = tempfile.TemporaryFile(dir=work_dir)  # noqa: SIM115 - kept open
            with tarfile.open(fileobj=guard, mode="r:") as archive:
                self._read_tar_members(archive)
                comment = archive.pax_headers.get("comment", "")
                self._revision = comment if _COMMIT_ID.match(comment) else None
            self._spool.flush()  # readers use pread on the descriptor
        finally:
            raw.close()

    def _read_tar_members(self, archive: tarfile.TarFile) -> None:
        budget = FileBudget(self.limits, self._found)
        assert self._spool is not None
        while True:
            member = archive.next()
            if member is None:
                break
            kept = getattr(archive, "members", None)
            if isinstance(kept, list):
                kept.clear()  # tarfile would keep every header of the stream; we need none
            if member.isdir():
                self._note_dir(member.name)
                continue
            path = self._accept_name(member.name, budget)
            if path is None:
                if budget.exhausted:
                    break
                continue
            if member.isreg():
                if member.size > self.limits.max_file_bytes:
                    detail = f"larger than {self.limits.max_file_bytes} bytes"
                    self._found.append(omitted("too-large", path, detail, member.size))
                    continue
                body = archive.extractfile(member)
                data = body.read() if body is not None else b""
                offset = self._spool.seek(0, io.SEEK_END)
                self._spool.write(data)
                self._files[path] = _Member(size=len(data), offset=offset)
            elif member.issym():
                self._links[path] = display_path(member.linkname)
            elif member.islnk():
                target, why = normalise_relative(member.linkname)
                if target is None:
                    self._found.append(omitted("symlink-escape", path, f"hard link: {why}"))
                else:
                    self._hardlinks[path] = display_path(target)
            elif member.ischr() or member.isblk() or member.isfifo():
                kind = "fifo" if member.isfifo() else "device"
                self._found.append(omitted("special-file", path, f"{kind} member"))
            else:
                detail = f"unsupported member type {member.type!r}"
                self._found.append(omitted("archive-member", path, detail))

    def _index_zip(self) -> None:
        self._zip = zipfile.ZipFile(self._path)
        infos = self._zip.infolist()
        declared = sum(i.file_size for i in infos)
        limit, ratio = self.limits.max_total_bytes, self.limits.max_archive_ratio
        if declared > limit:
            raise _Bomb(f"its members declare {declared} bytes (limit {limit})")
        archive_size = max(os.path.getsize(self._path), 1)
        if declared > RATIO_FLOOR_BYTES and declared > ratio * archive_size:
            raise _Bomb(f"its members declare {declared} bytes from {archive_size}")
        comment = self._zip.comment.decode("ascii", "replace")
        self._revision = comment if _COMMIT_ID.match(comment) else None
        budget = FileBudget(self.limits, self._found)
        for info in infos:
            if info.is_dir():
                self._note_dir(info.filename)
                continue
            path = self._accept_name(info.filename, budget)
            if path is None:
                if budget.exhausted:
                    break
                continue
            mode = info.external_attr >> 16
            if info.flag_bits & 0x1:
                self._found.append(omitted("archive-member", path, "encrypted member"))
            elif stat.S_ISLNK(mode):
                if info.file_size > 4096:
                    self._found.append(omitted("symlink-escape", path, "unusable link target"))
                else:
                    try:
                        target = self._read_zip(info, path, 4096)
                    except SourceReadError as exc:
                        self._found.append(omitted("unreadable", path, str(exc)))
                        continue
                    self._links[path] = decode_git_path(target)
            elif mode and not stat.S_ISREG(mode) and stat.S_IFMT(mode):
                self._found.append(omitted("special-file", path, "non-regular zip member"))
            elif info.file_size > self.limits.max_file_bytes:
                detail = f"larger than {self.limits.max_file_bytes} bytes"
                self._found.append(omitted("too-large", path, detail, info.file_size))
            elif info.file_size > RATIO_FLOOR_BYTES // 16 and info.file_size > ratio * max(
                info.compress_size, 1
            ):
                detail = f"compression ratio above {ratio}:1 (decompression bomb?)"
                self._found.append(omitted("archive-member", path, detail, info.file_size))
            else:
                self._files[path] = _Member(size=info.file_size, zip_info=info)

    def _accept_name(self, name: str, budget: FileBudget) -> str | None:
        """The safe display path of a non-directory member, or None (recorded) if unusable."""
        path, why = normalise_relative(name)
        shown = display_path(path if path is not None else name)
        if path is not None and in_skipped_dir(shown):
            return None  # tool and VCS directories: neither stored nor counted
        if not budget.take(shown):
            return None
        if path is None:
            self._found.append(omitted("archive-member", shown, why))
            return None
        top, slash, _ = shown.partition("/")
        self._tops.add(top if slash else "")
        self._files.pop(shown, None)  # a later member of the same name replaces the earlier
        self._links.pop(shown, None)
        self._hardlinks.pop(shown, None)
        return shown

    def _note_dir(self, name: str) -> None:
        path, _ = normalise_relative(name)
        if path is not None:
            self._dirs.add(display_path(path))

    def _common_top_dir(self) -> str:
        """``repo-main/`` when every entry lives under that one directory, else ``""``."""
        if len(self._tops) != 1 or "" in self._tops:
            return ""  # members at the top level, or several top directories
        return next(iter(self._tops)) + "/"

    # --- walking -------------------------------------------------------------------------------

    def walk(self) -> Iterator[SourceFile]:
        self.omitted.clear()
        found = [item.model_copy(update={"path": self._strip(item.path)}) for item in self._found]
        self.omitted.extend(found)
        names = sorted({*self._files, *self._links, *self._hardlinks})
        venvs = venv_dirs_of(names)
        for path in names:
            if in_skipped_dir(path, venvs):
                continue
            shown = self._strip(path)
            if self._below_link(path):
                detail = "member below a symlinked directory"
                self.omitted.append(omitted("archive-member", shown, detail))
                continue
            member = self._member_for(path, shown)
            if member is not None:
                yield SourceFile(
                    path=shown, size=member.size, reader=_MemberReader(self, member, shown)
                )

    def _strip(self, path: str) -> str:
        return path[len(self._prefix) :] if self._prefix and path.startswith(self._prefix) else path

    def _below_link(self, path: str) -> bool:
        cut = path.find("/")
        while cut != -1:
            if path[:cut] in self._links:
                return True
            cut = path.find("/", cut + 1)
        return False

    def _member_for(self, path: str, shown: str) -> _Member | None:
        target = path
        for _ in range(8):  # hard links to symlinks to hard links...: short chains only
            if target in self._hardlinks:
                target = self._hardlinks[target]
            if target not in self._links:
                break
            outcome, target = resolve_in_tree(target, self._links.get)
            if outcome == "escape":
                self.omitted.append(omitted("symlink-escape", shown, "points outside the archive"))
                return None
            if outcome == "loop":
                self.omitted.append(omitted("symlink-loop", shown, "symlink chain loops"))
                return None
        member = self._files.get(target)
        if member is not None:
            return member
        if target in self._all_dirs():
            detail = "symlink to a directory (not followed)"
            self.omitted.append(omitted("special-file", shown, detail))
        else:
            self.omitted.append(omitted("unreadable", shown, "link to a missing member"))
        return None

    def _all_dirs(self) -> set[str]:
        """Directory entries plus every parent of a member (computed once, on first need)."""
        if self._implied_dirs is None:
            implied = set(self._dirs)
            implied.add("")
            for path in (*self._files, *self._links, *self._hardlinks):
                cut = path.find("/")
                while cut != -1:
                    implied.add(path[:cut])
                    cut = path.find("/", cut + 1)
            self._implied_dirs = implied
        return self._implied_dirs

    # --- reading -------------------------------------------------------------------------------

    def read_member(self, member: _Member, shown: str) -> bytes:
        with self._lock:
            if member.zip_info is not None:
                return self._read_zip(member.zip_info, shown, self.limits.max_file_bytes)
            if self._spool is None:
                raise SourceReadError(f"cannot read {shown}: the archive source is closed")
            data = os.pread(self._spool.fileno(), member.size, member.offset)
        if len(data) != member.size:
            raise SourceReadError(f"cannot read {shown}: archive spool is truncated")
        return data

    def _read_zip(self, info: zipfile.ZipInfo, shown: str, max_bytes: int) -> bytes:
        if self._zip is None:
            raise SourceReadError(f"cannot read {shown}: the archive source is closed")
        try:
            with self._zip.open(info) as body:
                data = body.read(max_bytes + 1)
        except _ARCHIVE_ERRORS as exc:
            reason = one_line(str(exc) or type(exc).__name__, 200)
            raise SourceReadError(f"cannot read {shown} from {self._shown}: {reason}") from None
        if len(data) > max_bytes:
            raise SourceReadError(f"cannot read {shown}: larger than {max_bytes} bytes")
        return data

    def close(self) -> None:
        with self._lock:
            if self._spool is not None:
                self._spool.close()
                self._spool = None
            if self._zip is not None:
                self._zip.close()
                self._zip = None


class _MemberReader:
    __slots__ = ("_member", "_shown", "_source")

    def __init__(self, source: ArchiveSource, member: _Member, shown: str) -> None:
        self._source, self._member, self._shown = source, member, shown

    def __call__(self) -> bytes:
        return self._source.read_member(self._member, self._shown)

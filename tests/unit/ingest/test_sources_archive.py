"""ArchiveSource: tar and zip read without extraction, hostile members recorded, bombs refused."""

from __future__ import annotations

import gzip
import io
import random
import stat
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from hyperscore.evaluators.ingest.source import Limits, SourceError
from hyperscore.evaluators.ingest.sources import open_source
from hyperscore.evaluators.ingest.sources_archive import ArchiveSource

from .conftest import GitRepoFactory, run_git

BOMB_BYTES = 50 * 1024 * 1024


def read_all(tree: ArchiveSource) -> dict[str, bytes]:
    return {f.path: f.read_bytes() for f in tree.walk()}


def reasons(tree: ArchiveSource) -> dict[str, str]:
    return {o.path: o.reason for o in tree.omitted}


def add_file(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def add_special(archive: tarfile.TarFile, name: str, kind: bytes, linkname: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    archive.addfile(info)


class Zeros(io.RawIOBase):
    """``size`` zero bytes, produced on demand so the test never holds the bomb in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.left)
        buffer[:count] = bytes(count)
        self.left -= count
        return count


def assert_one_line(exc: pytest.ExceptionInfo[SourceError], *names: str) -> None:
    message = str(exc.value)
    assert "\n" not in message
    for name in names:
        assert name in message, message


def test_git_archive_tarball_strips_the_top_directory_and_keeps_the_commit(
    git_repo: GitRepoFactory, tmp_path: Path
) -> None:
    repo = git_repo("proj", {"README.md": "# hi\n", "src/app.py": "x = 1\n"})
    target = tmp_path / "proj-main.tar.gz"
    run_git(
        repo.path, "archive", "--format=tar.gz", "--prefix=proj-main/", "-o", str(target), "HEAD"
    )
    with open_source(str(target)) as tree:
        assert isinstance(tree, ArchiveSource)
        assert read_all(tree) == {"README.md": b"# hi\n", "src/app.py": b"x = 1\n"}
        assert tree.info.type == "archive"
        assert tree.info.location == str(target)
        assert tree.info.revision == repo.head()
    zipped = tmp_path / "proj.zip"
    run_git(repo.path, "archive", "--format=zip", "--prefix=proj-main/", "-o", str(zipped), "HEAD")
    with open_source(str(zipped)) as tree:
        assert read_all(tree) == {"README.md": b"# hi\n", "src/app.py": b"x = 1\n"}
        assert tree.info.revision == repo.head()


@pytest.mark.parametrize("suffix", [".tar", ".tar.bz2", ".tar.xz", ".tgz"])
def test_every_tar_compression(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"p{suffix}"
    mode = {".tar": "w", ".tar.bz2": "w:bz2", ".tar.xz": "w:xz", ".tgz": "w:gz"}[suffix]
    with tarfile.open(target, mode) as archive:
        add_file(archive, "./b.txt", b"b")
        add_file(archive, "a/c.txt", b"c")
    with open_source(str(target)) as tree:
        assert read_all(tree) == {"a/c.txt": b"c", "b.txt": b"b"}  # no single top dir: kept


def test_hostile_tar_members_are_recorded_and_nothing_outside_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"TOP-SECRET")
    target = tmp_path / "evil.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        add_file(archive, "ok.txt", b"fine")
        add_file(archive, "../evil.sh", b"rm -rf /")
        add_file(archive, "/etc/cron.d/evil", b"* * * * * root sh")
        add_file(archive, "a/../../up.txt", b"up")
        add_special(archive, "passwd-link", tarfile.SYMTYPE, "/etc/passwd")
        add_special(archive, "secret-link", tarfile.SYMTYPE, "../secret.txt")
        add_special(archive, "hard-secret", tarfile.LNKTYPE, str(secret))
        add_special(archive, "hard-up", tarfile.LNKTYPE, "../secret.txt")
        add_special(archive, "etc", tarfile.SYMTYPE, "/etc")
        add_file(archive, "etc/passwd", b"planted through a symlinked directory")
        add_special(archive, "inner-link", tarfile.SYMTYPE, "ok.txt")
        add_special(archive, "inner-hard", tarfile.LNKTYPE, "ok.txt")
        add_special(archive, "loop-a", tarfile.SYMTYPE, "loop-b")
        add_special(archive, "loop-b", tarfile.SYMTYPE, "loop-a")
        add_special(archive, "fifo", tarfile.FIFOTYPE)
        add_special(archive, "null", tarfile.CHRTYPE)
    with open_source(str(target)) as tree:
        files = read_all(tree)
        assert files == {"inner-hard": b"fine", "inner-link": b"fine", "ok.txt": b"fine"}
        assert reasons(tree) == {
            "../evil.sh": "archive-member",
            "/etc/cron.d/evil": "archive-member",
            "a/../../up.txt": "archive-member",
            "passwd-link": "symlink-escape",
            "secret-link": "symlink-escape",
            "hard-secret": "symlink-escape",
            "hard-up": "symlink-escape",
            "etc": "symlink-escape",
            "etc/passwd": "archive-member",
            "loop-a": "symlink-loop",
            "loop-b": "symlink-loop",
            "fifo": "special-file",
            "null": "special-file",
        }
    assert all(b"TOP-SECRET" not in data and b"root:" not in data for data in files.values())
    assert not (tmp_path / "evil.sh").exists()


def test_hostile_zip_members(tmp_path: Path) -> None:
    target = tmp_path / "evil.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("proj/ok.txt", "fine")
        archive.writestr("../evil.txt", "x")
        archive.writestr("/abs.txt", "x")
        link = zipfile.ZipInfo("proj/passwd")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        inner = zipfile.ZipInfo("proj/inner")
        inner.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(inner, "ok.txt")
    with open_source(str(target)) as tree:
        # the unusable members do not count: every usable one is below proj/, which is stripped
        assert read_all(tree) == {"inner": b"fine", "ok.txt": b"fine"}
        assert reasons(tree) == {
            "../evil.txt": "archive-member",
            "/abs.txt": "archive-member",
            "passwd": "symlink-escape",
        }


@pytest.mark.timeout(30)
def test_tar_gz_bomb_is_refused_quickly(tmp_path: Path) -> None:
    target = tmp_path / "bomb.tar.gz"
    with (
        gzip.open(target, "wb", compresslevel=1) as raw,
        tarfile.open(fileobj=raw, mode="w|") as tar,
    ):
        info = tarfile.TarInfo("zeros.bin")
        info.size = BOMB_BYTES
        tar.addfile(info, Zeros(BOMB_BYTES))
    assert target.stat().st_size < BOMB_BYTES // 100
    start = time.perf_counter()
    with pytest.raises(SourceError) as exc:
        open_source(str(target), limits=Limits(max_file_bytes=1 << 20, max_archive_ratio=100))
    assert time.perf_counter() - start < 5
    assert_one_line(exc, str(target), "decompression bomb")
    with pytest.raises(SourceError) as exc:
        open_source(str(target), limits=Limits(max_total_bytes=10 << 20, max_archive_ratio=10**6))
    assert_one_line(exc, str(target), "decompression bomb", "more than 10485760 bytes")


def write_zip_bomb(target: Path, extra: bytes = b"") -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("proj/readme.md", "hello")
        if extra:
            archive.writestr("proj/noise.bin", extra)
        with archive.open("proj/zeros.bin", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(BOMB_BYTES // len(chunk)):
                member.write(chunk)


@pytest.mark.timeout(30)
def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "bomb.zip"
    write_zip_bomb(target)
    assert target.stat().st_size < BOMB_BYTES // 500
    # the members declare 50 MB: above the total, the whole archive is refused
    with pytest.raises(SourceError) as exc:
        open_source(str(target), limits=Limits(max_total_bytes=10 << 20))
    assert_one_line(exc, str(target), "decompression bomb")
    # ~1000:1 over the whole archive: refused under the default ratio
    with pytest.raises(SourceError) as exc:
        open_source(str(target))
    assert_one_line(exc, str(target), "decompression bomb")


@pytest.mark.timeout(30)
def test_zip_bomb_member_is_omitted_never_inflated(tmp_path: Path) -> None:
    noise = random.Random(0).randbytes(1 << 20)  # incompressible: the overall ratio stays low
    target = tmp_path / "mixed.zip"
    write_zip_bomb(target, noise)
    with open_source(str(target)) as tree:  # default limits: the zeros are simply too large
        assert set(read_all(tree)) == {"noise.bin", "readme.md"}
        assert reasons(tree) == {"zeros.bin": "too-large"}
    start = time.perf_counter()
    with ArchiveSource(target, Limits(max_file_bytes=BOMB_BYTES)) as tree:
        files = read_all(tree)
        assert files["readme.md"] == b"hello" and files["noise.bin"] == noise
        [item] = tree.omitted
        assert (item.path, item.reason, item.size) == ("zeros.bin", "archive-member", BOMB_BYTES)
        assert "ratio" in item.detail
    assert time.perf_counter() - start < 5


def test_member_limit_and_large_members(tmp_path: Path) -> None:
    target = tmp_path / "many.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        add_file(archive, "big.bin", bytes(5000))
        for index in range(1500):
            add_file(archive, f"d/f{index:04}.txt", str(index).encode())
    with open_source(str(target), limits=Limits(max_files=1000, max_file_bytes=1000)) as tree:
        paths = [f.path for f in tree.walk()]
        assert len(paths) == 999
        assert paths == sorted(paths)
        assert [(o.path, o.reason, o.size) for o in tree.omitted] == [
            ("big.bin", "too-large", 5000),
            ("d/f0999.txt", "file-limit", None),
        ]


def test_duplicate_members_keep_the_last_copy(tmp_path: Path) -> None:
    target = tmp_path / "dup.tar"
    with tarfile.open(target, "w") as archive:
        add_file(archive, "a.txt", b"first")
        add_file(archive, "a.txt", b"second")
        add_file(archive, "node_modules/x.js", b"skipped")
    with open_source(str(target)) as tree:
        assert read_all(tree) == {"a.txt": b"second"}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.tar.gz", b"\x1f\x8b\x08\x00garbage" * 10),
        ("broken.zip", b"PK\x03\x04 not really a zip"),
        ("empty.tar", b""),
        ("text.tar.xz", b"plain text"),
    ],
)
def test_corrupt_archives_fail_with_one_line(tmp_path: Path, name: str, content: bytes) -> None:
    target = tmp_path / name
    target.write_bytes(content)
    with pytest.raises(SourceError) as exc:
        open_source(str(target))
    assert_one_line(exc, str(target))


def test_reads_after_close_fail_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "p.tar"
    with tarfile.open(target, "w") as archive:
        add_file(archive, "a.txt", b"a")
    tree = open_source(str(target))
    files = list(tree.walk())
    tree.close()
    with pytest.raises(OSError):
        files[0].read_bytes()


def test_compression_is_sniffed_not_guessed_from_the_name(tmp_path: Path) -> None:
    target = tmp_path / "download.tar"  # really gzip
    with tarfile.open(target, "w:gz") as archive:
        add_file(archive, "repo-abc123/setup.py", b"setup()")
    with open_source(str(target)) as tree:
        assert read_all(tree) == {"setup.py": b"setup()"}

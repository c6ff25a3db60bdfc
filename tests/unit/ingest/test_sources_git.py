"""GitSource: commits read from the object database, local and cloned over loopback servers."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hyperscore.evaluators.ingest.source import Limits, SourceError, SourceFile, SourceTree
from hyperscore.evaluators.ingest.sources import open_source
from hyperscore.evaluators.ingest.sources_git import GitSource
from hyperscore.evaluators.model import Omitted

from .conftest import GitDaemon, GitHTTPFactory, GitRepo, GitRepoFactory, run_git

BIG = os.urandom(300_000)  # incompressible, above the small test limit below
SMALL_LIMITS = Limits(max_file_bytes=100_000)


def read_all(tree: SourceTree) -> dict[str, bytes]:
    return {f.path: f.read_bytes() for f in tree.walk()}


def reasons(tree: SourceTree) -> dict[str, str]:
    return {o.path: o.reason for o in tree.omitted}


def by_path(tree: SourceTree) -> dict[str, Omitted]:
    return {o.path: o for o in tree.omitted}


def assert_one_line(exc: pytest.ExceptionInfo[SourceError], *names: str) -> str:
    message = str(exc.value)
    assert type(exc.value) is SourceError
    assert "\n" not in message and message.strip() == message
    for name in names:
        assert name in message
    return message


@pytest.fixture
def history(git_repo: GitRepoFactory) -> tuple[GitRepo, str, str]:
    """A work tree with two commits; returns (repo, first commit, second commit)."""
    repo = git_repo("project", {"README.md": "# v1\n", "src/train.py": "print(1)\n"})
    first = repo.head()
    repo.write("README.md", "# v2\n")
    repo.write("params.yaml", "lr: 0.1\n")
    second = repo.commit("second")
    return repo, first, second


def test_work_tree_with_rev_reads_that_commit(history: tuple[GitRepo, str, str]) -> None:
    repo, first, second = history
    repo.write("uncommitted.txt", "not in any commit")
    with open_source(str(repo.path), rev=first) as tree:
        assert isinstance(tree, GitSource)
        assert read_all(tree) == {"README.md": b"# v1\n", "src/train.py": b"print(1)\n"}
        assert tree.info.type == "git"
        assert tree.info.revision == first
        assert tree.info.location == str(repo.path)
    with open_source(str(repo.path), rev="main") as tree:
        files = read_all(tree)
        assert files["README.md"] == b"# v2\n" and "params.yaml" in files
        assert "uncommitted.txt" not in files
        assert tree.info.revision == second
        assert tree.info.ref == "refs/heads/main"


def test_bare_repository_defaults_to_head(
    history: tuple[GitRepo, str, str], tmp_path: Path
) -> None:
    repo, first, second = history
    bare = tmp_path / "bare.git"
    run_git(tmp_path, "clone", "-q", "--bare", str(repo.path), str(bare))
    with open_source(str(bare)) as tree:
        assert isinstance(tree, GitSource)
        assert tree.info.revision == second
        assert read_all(tree)["README.md"] == b"# v2\n"
    with open_source(str(bare), rev="HEAD~1") as tree:
        assert read_all(tree)["README.md"] == b"# v1\n"
        assert tree.info.revision == first


def test_shallow_clone(history: tuple[GitRepo, str, str], tmp_path: Path) -> None:
    repo, _, second = history
    shallow = tmp_path / "shallow"
    run_git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.path}", str(shallow))
    with open_source(str(shallow), rev="HEAD") as tree:
        assert tree.info.revision == second
        assert read_all(tree)["params.yaml"] == b"lr: 0.1\n"


def test_unknown_revision_names_it(history: tuple[GitRepo, str, str]) -> None:
    repo, _, _ = history
    with pytest.raises(SourceError) as exc:
        open_source(str(repo.path), rev="no-such-branch")
    assert_one_line(exc, "no-such-branch", str(repo.path))


def test_revision_looking_like_an_option_is_refused(history: tuple[GitRepo, str, str]) -> None:
    repo, _, _ = history
    with pytest.raises(SourceError) as exc:
        open_source(str(repo.path), rev="--output=/tmp/pwned")
    assert_one_line(exc, "invalid revision")


def test_empty_repositories(git_repo: GitRepoFactory) -> None:
    work = git_repo("empty-work")
    with pytest.raises(SourceError) as exc:
        open_source(str(work.path), rev="HEAD")
    assert_one_line(exc, "has no commits", str(work.path))
    bare = git_repo("empty.git", bare=True)
    with pytest.raises(SourceError) as exc:
        open_source(str(bare.path))
    assert_one_line(exc, "has no commits", str(bare.path))


def test_symlinks_in_the_tree(git_repo: GitRepoFactory) -> None:
    repo = git_repo("links")
    repo.write("docs/guide.md", "guide\n")
    repo.symlink("README.md", "docs/guide.md")
    repo.symlink("docs/up.md", "../docs/./guide.md")
    repo.symlink("escape-relative", "../../outside/secret.txt")
    repo.symlink("escape-absolute", "/etc/passwd")
    repo.symlink("loop-a", "loop-b")
    repo.symlink("loop-b", "loop-a")
    repo.symlink("docs-link", "docs")
    repo.symlink("via-dir-link.md", "docs-link/guide.md")
    repo.symlink("dangling", "nowhere.txt")
    repo.commit()
    with open_source(str(repo.path), rev="HEAD") as tree:
        files = read_all(tree)
        assert files == {
            "README.md": b"guide\n",
            "docs/guide.md": b"guide\n",
            "docs/up.md": b"guide\n",
            "via-dir-link.md": b"guide\n",
        }
        assert reasons(tree) == {
            "escape-relative": "symlink-escape",
            "escape-absolute": "symlink-escape",
            "loop-a": "symlink-loop",
            "loop-b": "symlink-loop",
            "docs-link": "special-file",
            "dangling": "unreadable",
        }


def test_secret_outside_the_root_is_never_read(git_repo: GitRepoFactory, tmp_path: Path) -> None:
    secret = b"TOP-SECRET-OUTSIDE-THE-ROOT"
    (tmp_path / "secret.txt").write_bytes(secret)
    repo = git_repo("leaky")
    repo.symlink("innocent.txt", str(tmp_path / "secret.txt"))
    repo.symlink("relative.txt", "../secret.txt")
    repo.write("ok.txt", "fine")
    repo.commit()
    with open_source(str(repo.path), rev="HEAD") as tree:
        files = read_all(tree)
    assert all(secret not in data for data in files.values())
    assert reasons(tree) == {"innocent.txt": "symlink-escape", "relative.txt": "symlink-escape"}


def test_submodule_large_odd_names_and_skipped_dirs(git_repo: GitRepoFactory) -> None:
    repo = git_repo("mixed")
    repo.write("big.bin", BIG)
    repo.write(b"caf\xe9.txt", "latin-1 name")
    repo.write("node_modules/left-pad/index.js", "module.exports = 1")
    repo.write("env/pyvenv.cfg", "home = /usr/bin")
    repo.write("env/lib/x.py", "x = 1")
    repo.write(".github/workflows/ci.yml", "on: push")
    repo.write("line\nbreak.txt", "odd")
    repo.commit()
    sub = repo.head()
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sub},vendor/lib")
    repo.git("commit", "-q", "-m", "submodule")
    with open_source(str(repo.path), rev="HEAD", limits=SMALL_LIMITS) as tree:
        files = read_all(tree)
        assert files == {
            ".github/workflows/ci.yml": b"on: push",
            "caf\\xe9.txt": b"latin-1 name",
            "line\\x0abreak.txt": b"odd",
        }
        items = by_path(tree)
        assert items["big.bin"].reason == "too-large" and items["big.bin"].size == len(BIG)
        assert items["vendor/lib"].reason == "special-file"
        assert items["vendor/lib"].detail == "submodule"
        assert set(items) == {"big.bin", "vendor/lib"}


def test_file_limit_is_one_bounded_item(git_repo: GitRepoFactory) -> None:
    repo = git_repo("many")
    for index in range(1500):
        repo.write(f"d{index % 10}/f{index:04}.txt", str(index))
    repo.commit()
    with open_source(str(repo.path), rev="HEAD", limits=Limits(max_files=1000)) as tree:
        paths = [f.path for f in tree.walk()]
        assert len(paths) == 1000
        assert [o.reason for o in tree.omitted] == ["file-limit"]
        assert paths == sorted(paths)


def test_reads_use_one_cat_file_process(git_repo: GitRepoFactory) -> None:
    repo = git_repo("speed")
    for index in range(2000):
        repo.write(f"pkg{index % 20}/mod{index}.py", f"value = {index}\n" * 20)
    repo.commit()
    start = time.perf_counter()
    with open_source(str(repo.path), rev="HEAD") as tree:
        total = sum(len(f.read_bytes()) for f in tree.walk())
    elapsed = time.perf_counter() - start
    assert total > 2000 * 20 * 10
    assert elapsed < 10, f"2,000 files took {elapsed:.1f}s"


def test_reader_after_close_fails_cleanly(history: tuple[GitRepo, str, str]) -> None:
    repo, _, _ = history
    tree = open_source(str(repo.path), rev="HEAD")
    files: list[SourceFile] = list(tree.walk())
    tree.close()
    with pytest.raises(SourceError):
        files[0].read_bytes()


# --- partial clones and remote URLs ------------------------------------------------------------


def _served_repo(git_daemon: GitDaemon, git_repo: GitRepoFactory) -> GitRepo:
    repo = git_repo("served/project.git")
    repo.write("README.md", "# served\n")
    repo.write("data/model.bin", BIG)
    repo.write("src/train.py", "import numpy\n")
    repo.commit("one")
    repo.write("README.md", "# served v2\n")
    repo.commit("two")
    repo.allow_filters()
    return repo


def test_partial_clone_over_git_daemon_never_fetches_missing_blobs(
    git_daemon: GitDaemon, git_repo: GitRepoFactory, tmp_path: Path
) -> None:
    _served_repo(git_daemon, git_repo)
    work = tmp_path / "work"
    work.mkdir()
    tree = open_source(git_daemon.url("project.git"), limits=SMALL_LIMITS, work_dir=work)
    try:
        assert isinstance(tree, GitSource)
        connections = git_daemon.connections()
        files = read_all(tree)
        assert files == {"README.md": b"# served v2\n", "src/train.py": b"import numpy\n"}
        assert reasons(tree) == {"data/model.bin": "missing-blob"}
        assert git_daemon.connections() == connections, "reading must not contact the server"
        git_daemon.stop()  # with the server gone a lazy fetch would fail or hang: neither happens
        assert read_all(tree) == files
        assert tree.info.location == git_daemon.url("project.git")
        assert tree.info.ref == "HEAD"
    finally:
        tree.close()
    assert list(work.iterdir()) == [], "the temporary clone is removed on close"


def test_remote_older_revision_and_unknown_revision(
    git_daemon: GitDaemon, git_repo: GitRepoFactory
) -> None:
    repo = _served_repo(git_daemon, git_repo)
    first = repo.git("rev-parse", "HEAD~1").strip()
    url = git_daemon.url("project.git")
    for rev in (first, "HEAD~1"):
        with open_source(url, rev=rev, limits=SMALL_LIMITS) as tree:
            assert read_all(tree)["README.md"] == b"# served\n"
            assert tree.info.revision == first
    with pytest.raises(SourceError) as exc:
        open_source(url, rev="no-such-tag")
    assert_one_line(exc, "no-such-tag", url)


def test_remote_empty_repository_and_unreachable_server(
    git_daemon: GitDaemon, git_repo: GitRepoFactory
) -> None:
    git_repo("served/empty.git", bare=True)
    with pytest.raises(SourceError) as exc:
        open_source(git_daemon.url("empty.git"))
    assert_one_line(exc, "has no commits", git_daemon.url("empty.git"))
    with pytest.raises(SourceError) as exc:
        open_source(git_daemon.url("absent.git"))
    assert_one_line(exc, git_daemon.url("absent.git"))


def test_local_partial_clone_made_elsewhere(git_repo: GitRepoFactory, tmp_path: Path) -> None:
    repo = git_repo("origin", {"a.txt": "a", "huge.bin": BIG})
    repo.allow_filters()
    partial = tmp_path / "partial.git"
    run_git(
        tmp_path,
        "clone",
        "-q",
        "--bare",
        "--filter=blob:limit=1k",
        f"file://{repo.path}",
        str(partial),
    )
    with open_source(str(partial)) as tree:
        assert read_all(tree) == {"a.txt": b"a"}
        assert reasons(tree) == {"huge.bin": "missing-blob"}
    still_missing = run_git(partial, "rev-list", "--objects", "--missing=print", "HEAD")
    assert "?" in still_missing, "the blob must not have been fetched"


def test_http_credentials_work_and_never_leak(
    git_http_server: GitHTTPFactory, git_repo: GitRepoFactory, tmp_path: Path
) -> None:
    password = "s3cr3t-P4ss"
    server = git_http_server(user="alice", password=password)
    repo = git_repo("served-http/private.git")
    repo.write("README.md", "private\n")
    repo.commit()
    work = tmp_path / "work"
    work.mkdir()
    url = server.url("private.git", "alice", password)
    with open_source(url, work_dir=work) as tree:
        assert read_all(tree) == {"README.md": b"private\n"}
        assert tree.info.location == f"http://alice:***@127.0.0.1:{server.port}/private.git"
        for path in work.rglob("*"):
            if path.is_file():
                assert password.encode() not in path.read_bytes(), path
    bad = server.url("private.git", "alice", "wrong-" + password)
    with pytest.raises(SourceError) as exc:
        open_source(bad)
    message = assert_one_line(exc, f"http://alice:***@127.0.0.1:{server.port}/private.git")
    assert password not in message
    assert server.rejected > 0


def test_token_as_user_name_is_redacted(
    git_http_server: GitHTTPFactory, git_repo: GitRepoFactory
) -> None:
    server = git_http_server(user="x", password="y")
    git_repo("served-http/r.git", {"a": "a"})
    token = "ghp_abcdefghijklmnopqrstuvwxyz0123"
    with pytest.raises(SourceError) as exc:
        open_source(server.url("r.git", token) + "?private_token=" + token)
    message = assert_one_line(exc, f"http://***@127.0.0.1:{server.port}/r.git")
    assert token not in message


# --- hostile repositories ----------------------------------------------------------------------


def test_repository_configuration_never_runs_commands(
    git_repo: GitRepoFactory, tmp_path: Path
) -> None:
    """A repository's own config names commands (fsmonitor, a promisor remote over ext::):
    reading it must run none of them, even for the blob a partial clone lacks."""
    origin = git_repo("origin", {"a.txt": "a", "huge.bin": BIG})
    origin.allow_filters()
    partial = tmp_path / "partial.git"
    run_git(tmp_path, "clone", "-q", "--bare", "--filter=blob:limit=1k",
            f"file://{origin.path}", str(partial))  # fmt: skip
    marker = tmp_path / "pwned"
    for key, value in [
        ("core.fsmonitor", f"touch {marker}"),
        ("core.hooksPath", str(tmp_path)),
        ("protocol.ext.allow", "always"),
        ("remote.origin.url", f"ext::sh -c touch% {marker}"),
        ("uploadpack.packObjectsHook", f"touch {marker}"),
    ]:
        run_git(partial, "config", key, value)
    with open_source(str(partial)) as tree:
        assert isinstance(tree, GitSource)
        assert read_all(tree) == {"a.txt": b"a"}
        assert reasons(tree) == {"huge.bin": "missing-blob"}
        missing = run_git(partial, "rev-list", "--objects", "--missing=print", "HEAD")
        oid = next(line[1:] for line in missing.splitlines() if line.startswith("?"))
        # even a direct request for the absent blob cannot reach the (hostile) remote
        forced = tree._git.run("cat-file", "-p", oid, timeout=30)
        assert forced.returncode != 0
    assert not marker.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the repository to another user")
def test_repository_owned_by_another_user(history: tuple[GitRepo, str, str]) -> None:
    repo, _, second = history
    for path in [repo.path, *repo.path.rglob("*")]:
        os.lchown(path, 65534, 65534)
    with open_source(str(repo.path), rev="HEAD") as tree:
        assert tree.info.revision == second
        assert "README.md" in read_all(tree)


def test_remote_abbreviated_commit(git_daemon: GitDaemon, git_repo: GitRepoFactory) -> None:
    repo = _served_repo(git_daemon, git_repo)
    first = repo.git("rev-parse", "HEAD~1").strip()
    with open_source(git_daemon.url("project.git"), rev=first[:10], limits=SMALL_LIMITS) as tree:
        assert tree.info.revision == first
        assert read_all(tree)["README.md"] == b"# served\n"

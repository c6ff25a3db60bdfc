"""The ``hyperscore`` command line.

Every failure the user can cause (a missing path, an unknown revision, a bad archive) ends as
one line on stderr and a non-zero exit; tracebacks appear only with HYPERSCORE_DEBUG=1.
Reports are written atomically, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

EXIT_OK = 0
EXIT_FAIL_THRESHOLD = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70

EXAMPLES = """\
examples:
  hyperscore assess .                              assess the current directory
  hyperscore assess ./project --format json -o report.json
  hyperscore assess https://git.example.com/team/model.git --rev v1.2.0
  hyperscore assess /srv/mirrors/model.git --rev 3f2a9c1   (bare or partial clone)
  hyperscore assess release.tar.gz --format markdown       (archives are read, not extracted)
"""


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def _version() -> str:
    try:
        return version("hyperscore")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hyperscore",
        description="Assess the MLOps maturity of a machine-learning project from its files.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hyperscore {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    assess = sub.add_parser(
        "assess",
        help="assess a project (directory, git repository or URL, archive)",
        description="Read a project (never executing it) and report what was found.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    assess.add_argument("source", help="directory, git path or URL, .tar.gz/.zip archive")
    assess.add_argument("--rev", help="git revision (branch, tag or commit) to assess")
    assess.add_argument("--format", "-f", choices=["text", "json", "markdown"], default="text")
    assess.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    assess.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    assess.add_argument("--max-file-size", type=int, metavar="BYTES",
                        help="skip (and record) files larger than this (default 2 MiB)")
    assess.add_argument("--max-files", type=int, metavar="N",
                        help="stop reading after N files (default 200000)")
    return parser


def write_atomically(path: Path, content: str) -> None:
    """Write via a temporary file in the same directory, then rename over the target."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CliError(f"cannot write {path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _progress(quiet: bool) -> Callable[[int, str], None] | None:
    if quiet or not sys.stderr.isatty():
        return None

    def report(count: int, path: str) -> None:
        sys.stderr.write(f"\r\x1b[2Kreading {count} files ... {path[-60:]}")
        sys.stderr.flush()

    return report


def cmd_assess(args: argparse.Namespace) -> int:
    from hyperscore.evaluators.ingest import Limits, SourceError, ingest
    from hyperscore.evaluators.report import evidence_summary

    defaults = Limits()
    limits = Limits(
        max_file_bytes=args.max_file_size or defaults.max_file_bytes,
        max_files=args.max_files or defaults.max_files,
    )
    progress = _progress(args.quiet)
    try:
        result = ingest(args.source, rev=args.rev, limits=limits, progress=progress)
    except SourceError as exc:
        raise CliError(str(exc)) from None
    finally:
        if progress is not None:
            sys.stderr.write("\r\x1b[2K")
    if args.format == "json":
        content = json.dumps(result.to_json_dict(), indent=2, sort_keys=False) + "\n"
    elif args.format == "markdown":
        content = evidence_summary.render_markdown(result)
    else:
        color = args.output is None and sys.stdout.isatty()
        content = evidence_summary.render_text(result, color=color)
    if args.output:
        write_atomically(Path(args.output), content)
        if not args.quiet:
            print(f"report written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(content)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handlers = {"assess": cmd_assess}
    try:
        return handlers[args.command](args)
    except CliError as exc:
        print(f"hyperscore: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("hyperscore: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if os.environ.get("HYPERSCORE_DEBUG"):
            raise
        line = " ".join(str(exc).split())[:300]
        print(f"hyperscore: internal error: {exc.__class__.__name__}: {line} "
              "(set HYPERSCORE_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

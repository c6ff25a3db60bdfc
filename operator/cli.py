"""The ``hyperscore`` command line.

Every failure the user can cause (a missing path, an unknown revision, a bad archive) ends as
one line on stderr and a non-zero exit; tracebacks appear only with HYPERSCORE_DEBUG=1.
Reports are written atomically, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from hyperscore.evaluators.report import FORMATS
from hyperscore.operator.cli_kb import add_kb_parser, cmd_kb
from hyperscore.operator.cli_operator import add_operator_parser, cmd_operator
from hyperscore.operator.cli_review import add_review_parser, cmd_review
from hyperscore.operator.cli_validate import add_validate_parser, cmd_validate

if TYPE_CHECKING:
    from hyperscore.evaluators.assessment import Assessment
    from hyperscore.evaluators.fusion.apply import FusionState

EXIT_OK = 0
EXIT_FAIL_THRESHOLD = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70

SEVERITIES = ("critical", "high", "medium", "low")

EXAMPLES = """\
examples:
  hyperscore assess .                              assess the current directory
  hyperscore assess ./project --format json -o report.json
  hyperscore assess https://git.example.com/team/model.git --rev v1.2.0
  hyperscore assess /srv/mirrors/model.git --rev 3f2a9c1   (bare or partial clone)
  hyperscore assess release.tar.gz --format markdown       (archives are read, not extracted)
  hyperscore assess . --format sarif -o hyperscore.sarif   (GitHub code scanning)
  hyperscore assess . --format html -o report.html         (one self-contained page)
  hyperscore assess . --fail-under 60 --fail-on high       (a CI gate)
"""

EXIT_CODES = """\
exit codes:
  0   the report was produced and every threshold held
  1   a threshold failed: score below --fail-under, or a finding at or above --fail-on
      (the report is still written)
  2   bad input or usage: unknown option, missing path, unknown revision, unreadable archive
  70  internal error (set HYPERSCORE_DEBUG=1 for a traceback)

environment:
  NO_COLOR            set (non-empty) to disable colour, like --no-color
  HYPERSCORE_DEBUG    set to show tracebacks of internal errors
"""


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2."""


def _version() -> str:
    try:
        return version("hyperscore")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "0+unknown"


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is outside 0-100")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hyperscore",
        description="Assess the MLOps maturity of a machine-learning project from its files.",
        epilog=EXAMPLES + "\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hyperscore {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_kb_parser(sub)
    add_operator_parser(sub)
    add_review_parser(sub)
    add_validate_parser(sub)

    assess = sub.add_parser(
        "assess",
        help="assess a project (directory, git repository or URL, archive)",
        description="Read a project (never executing it), score its MLOps maturity and report "
        "the practices, findings and next steps.",
        epilog=EXAMPLES + "\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    assess.add_argument("source", help="directory, git path or URL, .tar.gz/.zip archive")
    assess.add_argument("--rev", help="git revision (branch, tag or commit) to assess")
    out = assess.add_argument_group("report")
    out.add_argument(
        "--format", "-f", choices=FORMATS, default="text", help="report format (default: text)"
    )
    out.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the report to FILE (atomically) instead of stdout",
    )
    out.add_argument(
        "--no-color",
        action="store_true",
        help="no colour in the text report (also: NO_COLOR; never when not a TTY)",
    )
    out.add_argument(
        "--evidence",
        action="store_true",
        help="append the evidence summary (what was read, per modality) to a text "
        "or markdown report; the JSON report always carries the evidence",
    )
    out.add_argument(
        "--link-base",
        metavar="URL",
        help="prefix for file links in the markdown report, e.g. "
        "https://github.com/ORG/REPO/blob/SHA/ (default: from the git source, or "
        "from GITHUB_SERVER_URL/GITHUB_REPOSITORY/GITHUB_SHA in GitHub Actions)",
    )
    out.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    gate = assess.add_argument_group("CI gates (exit code 1 when one fails)")
    gate.add_argument(
        "--fail-under",
        type=_score,
        metavar="SCORE",
        help="fail when the score (0-100) is below SCORE",
    )
    gate.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        metavar="SEVERITY",
        help="fail when any finding is at or above SEVERITY (critical, high, medium, low)",
    )
    run = assess.add_argument_group("analysis")
    run.add_argument(
        "--no-semantic",
        action="store_true",
        help="skip the Transformer that reads documentation claims (faster; "
        "claimed-only practices are then not reported)",
    )
    run.add_argument(
        "--export-smt",
        metavar="DIR",
        help="write every logic proof obligation as SMT-LIB 2 (DIR/<id>.smt2) so another "
        "prover can check it",
    )
    run.add_argument(
        "--sandbox",
        action="store_true",
        help="run the project's own tests and runnable README blocks in a bubblewrap sandbox "
        "(no network, read-only source copy, limits on CPU, wall time, memory, processes)",
    )
    run.add_argument(
        "--run-notebooks",
        action="store_true",
        help="with --sandbox, also execute notebooks",
    )
    run.add_argument(
        "--unsafe-no-isolation",
        action="store_true",
        help="with --sandbox on a host that cannot isolate: run the project's code anyway, "
        "WITHOUT isolation (never use on untrusted code)",
    )
    run.add_argument(
        "--no-cache",
        action="store_true",
        help="ignore the assessment cache (an unchanged source is otherwise answered from it)",
    )
    run.add_argument(
        "--max-file-size",
        type=_positive,
        metavar="BYTES",
        help="skip (and record) files larger than this (default 2 MiB)",
    )
    run.add_argument(
        "--max-files",
        type=_positive,
        metavar="N",
        help="stop reading after N files (default 200000)",
    )
    run.add_argument(
        "--policy",
        metavar="FILE",
        help="fuse with this ScoringPolicy (YAML manifest or its spec: an AHP matrix over "
        "logic, novelty, impact, repro, meta; a learned status is used too) instead of the "
        "defaults and the data directory's learned state",
    )
    return parser


def load_policy(path: str) -> FusionState:
    """The fusion state of a ScoringPolicy file, the same mapping the operator applies.

    A manifest (``kind: ScoringPolicy`` with ``spec`` and maybe ``status``) or a bare spec.
    Any problem -- unreadable file, bad YAML, an inconsistent AHP matrix (CR > 0.1, the
    message names the comparisons) -- is one line naming the file."""
    from hyperscore.evaluators.ingest.formats import FormatError, load_yaml
    from hyperscore.operator.controller.policies import InvalidPolicy, fusion_state, parse_spec

    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"--policy {path}: cannot read ({exc.__class__.__name__})") from None
    except FormatError as exc:
        raise CliError(f"--policy {path}: {exc}") from None
    if not isinstance(data, dict):
        raise CliError(f"--policy {path}: expected a ScoringPolicy or its spec (a mapping)")
    manifest = data.get("kind") == "ScoringPolicy" or "spec" in data
    spec = data.get("spec") if manifest else data
    status = data.get("status") if manifest else None
    name = str((data.get("metadata") or {}).get("name") or Path(path).name)
    try:
        return fusion_state(
            name,
            parse_spec(spec if isinstance(spec, dict) else {}),
            status if isinstance(status, dict) else None,
        )
    except InvalidPolicy as exc:
        raise CliError(f"--policy {path}: {exc}") from None


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


def use_color(args: argparse.Namespace) -> bool:
    """Colour only for a text report on a terminal, and never with --no-color or NO_COLOR."""
    return (
        args.format == "text"
        and not args.no_color
        and not os.environ.get("NO_COLOR")
        and args.output is None
        and sys.stdout.isatty()
    )


def link_base(args: argparse.Namespace) -> str | None:
    if args.link_base:
        return str(args.link_base)
    # In GitHub Actions, assessing the checked-out workspace: link to the commit on GitHub.
    env = os.environ
    server, repo, sha, workspace = (
        env.get(k)
        for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_WORKSPACE")
    )
    if not (server and repo and sha and workspace) or args.rev is not None:
        return None
    if os.path.realpath(args.source) != os.path.realpath(workspace):
        return None
    return f"{server.rstrip('/')}/{repo}/blob/{sha}/"


def gate_failures(assessment: Assessment, args: argparse.Namespace) -> list[str]:
    """One line per failed CI gate (--fail-under, --fail-on); empty when all hold."""
    from hyperscore.evaluators.assessment import Severity
    from hyperscore.evaluators.report import at_or_above

    failures = []
    if args.fail_under is not None and assessment.score < args.fail_under:
        failures.append(f"score {assessment.score:.1f} is below --fail-under {args.fail_under:g}")
    if args.fail_on is not None:
        hits = at_or_above(assessment.findings, Severity(args.fail_on))
        if hits:
            first = hits[0]
            failures.append(
                f"{len(hits)} finding(s) at or above {args.fail_on} (--fail-on {args.fail_on}), "
                f"e.g. {first.severity.value} {first.rule_id} at {first.location}"
            )
    return failures


def cmd_assess(args: argparse.Namespace) -> int:
    from hyperscore.evaluators import pipeline
    from hyperscore.evaluators.ingest import Limits, SourceError
    from hyperscore.evaluators.report import evidence_summary, render

    if args.evidence and args.format not in ("text", "markdown", "json"):
        raise CliError(f"--evidence applies to text and markdown reports, not {args.format}")
    defaults = Limits()
    limits = Limits(
        max_file_bytes=args.max_file_size or defaults.max_file_bytes,
        max_files=args.max_files or defaults.max_files,
    )
    progress = _progress(args.quiet)
    if args.export_smt:
        export = Path(args.export_smt)
        if export.exists() and not export.is_dir():
            raise CliError(f"--export-smt {export}: exists and is not a directory")
        export.mkdir(parents=True, exist_ok=True)
    if args.sandbox and not args.unsafe_no_isolation:
        from hyperscore.evaluators.stages.sandbox.local import LocalSandbox

        problem = LocalSandbox().problem()
        if problem is not None:
            raise CliError(
                f"--sandbox: this host cannot sandbox ({problem}); "
                "pass --unsafe-no-isolation to run without isolation"
            )
    options = pipeline.Options(
        rev=args.rev,
        sandbox=args.sandbox,
        allow_unsafe_sandbox=args.unsafe_no_isolation,
        run_notebooks=args.run_notebooks,
        limits=limits,
        semantic=not args.no_semantic,
        progress=progress,
        export_smt=args.export_smt,
        use_cache=not args.no_cache,
        fusion_state=load_policy(args.policy) if args.policy else None,
    )
    try:
        assessment, result = pipeline.assess(args.source, options)
    except SourceError as exc:
        raise CliError(str(exc)) from None
    finally:
        if progress is not None:
            sys.stderr.write("\r\x1b[2K")
    color = use_color(args)
    content = render(assessment, args.format, color=color, ingest=result, link_base=link_base(args))
    if args.evidence and args.format == "text":
        content += "\n" + evidence_summary.render_text(result, color=color)
    elif args.evidence and args.format == "markdown":
        content += "\n" + evidence_summary.render_markdown(result)
    if args.output:
        write_atomically(Path(args.output), content)
        if not args.quiet:
            print(f"report written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(content)
        sys.stdout.flush()
    failures = gate_failures(assessment, args)
    for line in failures:
        print(f"hyperscore: {line}", file=sys.stderr)
    return EXIT_FAIL_THRESHOLD if failures else EXIT_OK


def _kb(args: argparse.Namespace) -> int:
    try:
        return cmd_kb(args)
    except (ValueError, OSError) as exc:
        raise CliError(" ".join(str(exc).split())[:300]) from None


def _validate(args: argparse.Namespace) -> int:
    try:
        return cmd_validate(args)
    except (ValueError, OSError) as exc:
        raise CliError(" ".join(str(exc).split())[:300]) from None


def _review(args: argparse.Namespace) -> int:
    try:
        return cmd_review(args)
    except (ValueError, OSError) as exc:
        raise CliError(" ".join(str(exc).split())[:300]) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2) return, not raise
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handlers = {
        "assess": cmd_assess,
        "kb": _kb,
        "operator": cmd_operator,
        "review": _review,
        "validate": _validate,
    }
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
        print(
            f"hyperscore: internal error: {exc.__class__.__name__}: {line} "
            "(set HYPERSCORE_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

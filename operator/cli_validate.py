"""``hyperscore validate``: agreement with expert ratings, calibrated leave-one-out.

Assesses every project of a labels file (the format of ../shared/bench/dev-set.yaml) found
under ``--sources`` (``DIR/owner+name`` or a git mirror ``DIR/owner+name/repo``) and reports
Pearson and Spearman with p-values and bootstrap CIs, MAE, level accuracy and a scatter plot.
See docs/validation.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

VALIDATE_EXAMPLES = """\
examples:
  hyperscore validate --labels ../shared/bench/dev-set.yaml --sources /work/devset
  hyperscore validate --labels labels.yaml --sources src/ --format html --output v.html
"""


def add_validate_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "validate",
        help="compare HyperScore with expert ratings (leave-one-out calibration)",
        description=__doc__,
        epilog=VALIDATE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--labels", required=True, help="labels YAML (dev-set.yaml format)")
    p.add_argument("--sources", required=True, help="folder with one owner+name folder each")
    p.add_argument("--format", choices=["text", "json", "html"], default="text")
    p.add_argument("--output", help="write the report here instead of stdout")
    p.add_argument("--no-semantic", action="store_true", help="skip the semantic claim parser")


def cmd_validate(args: argparse.Namespace) -> int:
    """Run the validation; bad input raises ValueError (one line, exit 2 in cli.main)."""
    from hyperscore.evaluators import validate as v

    sources = Path(args.sources)
    if not sources.is_dir():
        raise ValueError(f"--sources {args.sources}: not a directory")
    entries = v.load_labels(Path(args.labels))

    def progress(line: str) -> None:
        print(f"hyperscore: {line}", file=sys.stderr)

    report = v.validate(entries, sources, semantic=not args.no_semantic, progress=progress)
    if args.format == "json":
        text = json.dumps(report.to_json(), indent=2) + "\n"
    elif args.format == "html":
        text = v.render_html(report)
    else:
        text = v.render_text(report)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0

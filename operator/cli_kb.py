"""``hyperscore kb build | add | search | stats``: the novelty knowledge base (Milvus Lite).

The KB lives in ``$HYPERSCORE_CACHE_DIR/kb`` (default ``~/.cache/hyperscore/kb``) unless
``--uri`` names another Lite folder or a Milvus server. Once built, ``hyperscore assess``
scores Novelty against it; without one the novelty stage is reported as skipped.
"""

from __future__ import annotations

import argparse
import json

KB_EXAMPLES = """\
examples:
  hyperscore kb build                                  the shipped corpus (664 entries)
  hyperscore kb add ~/src/golden-repo --label current  your organisation's reference project
  hyperscore kb search "tf.Session().run(train_op)"    nearest entries, best first
  hyperscore kb stats
"""


def add_kb_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kb = sub.add_parser(
        "kb",
        help="build, extend and query the novelty knowledge base (Milvus Lite)",
        description=__doc__,
        epilog=KB_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kb.add_argument("--uri", help="Milvus Lite folder or server URI (default: the user cache)")
    actions = kb.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="(re)build the KB from a corpus")
    build.add_argument("--corpus", help="a folder of corpus *.yaml (default: the shipped one)")
    add = actions.add_parser("add", help="add a project's practice evidence as KB entries")
    add.add_argument("path", help="project directory")
    add.add_argument(
        "--label",
        default="current",
        choices=["current", "outdated", "anti-pattern", "boilerplate"],
    )
    search = actions.add_parser("search", help="the entries nearest to a text")
    search.add_argument("text")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    actions.add_parser("stats", help="entry counts by label, dimension and origin")


def cmd_kb(args: argparse.Namespace) -> int:
    from pathlib import Path

    from hyperscore.evaluators.knowledge import api

    if args.kb_command == "build":
        if args.corpus and not Path(args.corpus).is_dir():
            raise ValueError(f"--corpus {args.corpus}: not a directory")
        count = api.build(args.corpus, uri=args.uri)
        print(f"knowledge base built: {count} entries")
    elif args.kb_command == "add":
        if not Path(args.path).is_dir():
            raise ValueError(f"{args.path}: not a directory")
        count = api.add(args.path, label=args.label, uri=args.uri)
        print(f"added {count} entries from {args.path} as {args.label}")
    elif args.kb_command == "search":
        for hit in api.search(args.text, k=args.k, uri=args.uri):
            if args.json:
                print(json.dumps(hit.__dict__, default=str))
            else:
                print(f"{hit.similarity:.3f}  {hit.label!s:12} {hit.id:28} {hit.text[:70]}")
    else:
        print(json.dumps(api.stats(uri=args.uri), indent=2, default=str))
    return 0

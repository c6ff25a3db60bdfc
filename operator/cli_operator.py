"""``hyperscore operator run``: the Kubernetes operator (kopf) in the foreground.

Flags become ``HYPERSCORE_*`` environment variables before the handlers are imported, so this
command and ``kopf run -m hyperscore.operator.controller.handlers`` behave the same; see
docs/operator.md.
"""

from __future__ import annotations

import argparse
import os
import sys

OPERATOR_EXAMPLES = """\
examples:
  hyperscore operator run --all-namespaces                  local Ray, every namespace
  hyperscore operator run -n ml-team --metrics-port 9090    one namespace, /metrics on :9090
  hyperscore operator run --ray-address raycluster-head.ray:6379   an existing Ray (KubeRay)
  hyperscore operator run --executor in-process             no Ray at all (small installs)
"""

LOG_LEVELS = ("debug", "info", "warning", "error")


def _positive(kind: type[int] | type[float]) -> argparse._ActionType:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not positive")
        return value

    return parse


def add_operator_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    operator = sub.add_parser(
        "operator",
        help="run the Kubernetes operator (MaturityAssessment controller)",
        description=__doc__,
        epilog=OPERATOR_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = operator.add_subparsers(dest="operator_command", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="watch MaturityAssessments and keep them scored")
    scope = run.add_mutually_exclusive_group()
    scope.add_argument(
        "--namespace", "-n", action="append", default=[], help="watch this namespace (repeatable)"
    )
    scope.add_argument("--all-namespaces", "-A", action="store_true", help="watch every namespace")
    run.add_argument(
        "--metrics-port",
        type=int,
        default=_env_int("HYPERSCORE_METRICS_PORT"),
        help="serve /metrics and /healthz on this port (default: $HYPERSCORE_METRICS_PORT, "
        "else none)",
    )
    run.add_argument(
        "--ray-address",
        default=os.environ.get("HYPERSCORE_RAY_ADDRESS"),
        help="join this Ray cluster (GCS host:port, or ray://host:10001) instead of starting a "
        "local Ray (default: $HYPERSCORE_RAY_ADDRESS)",
    )
    run.add_argument(
        "--executor",
        choices=("ray", "in-process"),
        default=os.environ.get("HYPERSCORE_EXECUTOR", "ray"),
        help="where the engine runs (default: ray)",
    )
    run.add_argument(
        "--liveness",
        metavar="URL",
        help="kopf's liveness endpoint, e.g. http://0.0.0.0:8080/healthz",
    )
    run.add_argument("--log-level", choices=LOG_LEVELS, default="info")
    run.add_argument(
        "--reconcile-seconds",
        type=_positive(float),
        help="how often each assessment is checked for a due run (default 10)",
    )
    run.add_argument("--max-concurrent", type=_positive(int), help="runs at once (default 2)")
    run.add_argument("--sandbox-image", help="image of sandboxed Job pods")
    run.add_argument("--pvc-root", help="where PVC sources are mounted in the operator's Pod")


def _env_int(key: str) -> int | None:
    text = os.environ.get(key, "")
    return int(text) if text.isdigit() else None


def cmd_operator(args: argparse.Namespace) -> int:
    environment = {
        "HYPERSCORE_EXECUTOR": args.executor,
        "HYPERSCORE_RAY_ADDRESS": args.ray_address,
        "HYPERSCORE_METRICS_PORT": None if args.metrics_port is None else str(args.metrics_port),
        "HYPERSCORE_RECONCILE_SECONDS": args.reconcile_seconds,
        "HYPERSCORE_MAX_CONCURRENT": args.max_concurrent,
        "HYPERSCORE_SANDBOX_IMAGE": args.sandbox_image,
        "HYPERSCORE_PVC_ROOT": args.pvc_root,
    }
    for key, value in environment.items():
        if value is not None:
            os.environ[key] = str(value)
    import kopf

    from hyperscore.operator.controller.config import ConfigError, OperatorConfig

    try:
        OperatorConfig.from_env()  # a bad setting fails here, as one line, before kopf starts
    except ConfigError as exc:
        print(f"hyperscore: error: {exc}", file=sys.stderr)
        return 2
    kopf.configure(
        debug=args.log_level == "debug",
        verbose=args.log_level == "debug",  # kopf's verbose is DEBUG; plain is INFO
        quiet=args.log_level in ("warning", "error"),
    )
    import hyperscore.operator.controller.handlers  # noqa: F401  (registers the handlers)

    settings = kopf.OperatorSettings()
    # Exact namespaces only: no namespace listing, which a namespaced RBAC forbids (kopf would
    # retry it for ~30 s before falling back to the names given).
    settings.scanning.disabled = bool(args.namespace) and not any(
        ch in ns for ns in args.namespace for ch in "*?[!"
    )
    kopf.run(
        clusterwide=args.all_namespaces or not args.namespace,
        namespaces=args.namespace,
        liveness_endpoint=args.liveness,
        standalone=True,
        settings=settings,
    )
    return 0

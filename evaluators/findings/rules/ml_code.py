"""Finding rules over ML code: unsafe model loading, hub pinning, hard-coded credentials.

Model files are programs: ``pickle``, ``joblib``, ``dill`` and (before PyTorch 2.6, or with
``weights_only=False``) ``torch.load`` run arbitrary code while loading, so a tampered checkpoint
is remote code execution. ``trust_remote_code=True`` does the same on purpose with code from the
Hub, and a hub download without a commit ``revision`` silently changes when the repository
does. Credentials in code, notebooks, CI files, images and DVC remotes are readable by everyone
who can read the repository, for as long as the history exists.

Rules read the typed facts of the Python/notebook parser (``code.call`` with its
``weights_only``/``trust_remote_code``/``revision`` flags, ``code.secret_literal``,
``code.notebook_output_secret``) and never the files themselves; messages carry masked previews
only, never a credential.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from hyperscore.evaluators.assessment import Dimension, PracticeResult, Severity
from hyperscore.evaluators.decompose.context import DetectionContext
from hyperscore.evaluators.findings.engine import Hit, rule
from hyperscore.evaluators.ingest.parsers.ci_common import CiJob, CiPipeline
from hyperscore.evaluators.ingest.parsers.code_kinds import (
    CodeCall,
    CodeModule,
    CodeNotebookOutputSecret,
    CodeSecretLiteral,
)
from hyperscore.evaluators.ingest.parsers.dependencies import DepRequirement
from hyperscore.evaluators.ingest.parsers.infra_docker import ComposeService, DockerfileRisk
from hyperscore.evaluators.ingest.parsers.pipeline_common import PipelineDataVersion

# --------------------------------------------------------------------------- shared helpers

_TEST_PATH_RE = re.compile(
    r"(?:^|/)(?:tests?|testing)/|(?:^|/)test_[^/]*\.py$|_test\.py$|(?:^|/)conftest\.py$"
)


def tests_in(ctx: DetectionContext) -> set[str]:
    """Files that are tests: by the parser's judgement (``code.module.is_test``) or by name.

    Tests load fixtures they wrote themselves and use fake credentials on purpose, so the
    deserialisation rules skip them and the credential rule treats them more leniently.
    """
    found = {m.path for m in ctx.typed(CodeModule) if m.is_test}
    found.update(p for p in ctx.files if _TEST_PATH_RE.search(p))
    return found


def where(item: CodeCall | CodeSecretLiteral | CodeNotebookOutputSecret) -> str:
    """`` in cell 3`` for notebook facts, `` in load_model()`` for code inside a function."""
    if item.cell is not None:
        return f" in cell {item.cell}"
    scope = getattr(item, "scope", "<module>")
    return f" in {scope}()" if scope and scope != "<module>" else ""


def call_text(call: CodeCall) -> str:
    """``torch.load('ckpt.pt')``: the call with its literal first argument, if any."""
    arg = f"{call.first_arg!r}" if call.first_arg else "..."
    return f"{call.function}({arg[:80]})"


# --------------------------------------------------------------------------- deserialisation


Found = tuple[CodeCall, str, Severity | None]


def per_file(found: Iterable[Found]) -> Iterator[Hit]:
    """One hit per file, function and severity, at the first call, naming the other lines.

    A script that reads forty intermediate pickles has one problem to fix, not forty; the
    report stays readable and SARIF still points at a real call.
    """
    groups: dict[tuple[str, str, Severity | None], list[tuple[CodeCall, str]]] = {}
    for call, message, severity in found:
        groups.setdefault((call.path, call.function, severity), []).append((call, message))
    for (_path, _function, severity), items in groups.items():
        items.sort(key=lambda item: item[0].line or 0)
        first, message = items[0]
        others = [str(call.line) for call, _ in items[1:] if call.line]
        if others:
            shown = ", ".join(others[:10]) + (", ..." if len(others) > 10 else "")
            message += f" (also line{'s' if len(others) > 1 else ''} {shown})"
        yield Hit.at(first, message, severity)


def _torch_default_safe(ctx: DetectionContext) -> bool:
    """True when every declared torch requirement is an exact pin at 2.6 or later.

    PyTorch 2.6 made ``weights_only=True`` the default, so an omitted flag is then only a
    portability risk (older installs), not an exploitable one.
    """
    versions = [
        r.version for r in ctx.typed(DepRequirement) if r.name == "torch" and r.group != "build"
    ]
    if not versions:
        return False
    for version in versions:
        match = re.match(r"(\d+)\.(\d+)", version or "")
        if match is None or (int(match.group(1)), int(match.group(2))) < (2, 6):
            return False
    return True


@rule(
    "torch-load-without-weights-only",
    "torch.load without weights_only=True",
    Severity.MEDIUM,
    "Pass weights_only=True to torch.load (load state_dicts, not pickled modules), or store "
    "weights as safetensors; only load checkpoints you produced or verified by hash.",
    Dimension.GOVERNANCE,
    ("security", "ml", "deserialisation"),
)
def torch_load_without_weights_only(
    ctx: DetectionContext, practices: list[PracticeResult]
) -> Iterator[Hit]:
    """``torch.load`` unpickles: without ``weights_only=True`` a crafted checkpoint executes code.

    An explicit ``weights_only=False`` is high; an omitted flag is medium (the default was False
    before torch 2.6), low when the project pins torch >= 2.6. A non-literal flag is skipped
    (it may well be True), and so are tests.
    """
    return per_file(_torch_loads(ctx))


def _torch_loads(ctx: DetectionContext) -> Iterator[Found]:
    tests = tests_in(ctx)
    default_safe = _torch_default_safe(ctx)
    for call in ctx.typed(CodeCall):
        if call.function != "torch.load" or call.path in tests or call.weights_only is True:
            continue
        if call.weights_only is False:
            message = (
                f"{call_text(call)} with weights_only=False{where(call)}: the checkpoint is "
                "unpickled and can run arbitrary code"
            )
            yield call, message, Severity.HIGH
        elif "weights_only" not in call.keywords:
            note = (
                "torch>=2.6 is pinned (safe default), but older installs would unpickle it"
                if default_safe
                else "before torch 2.6 this unpickles the file and can run arbitrary code"
            )
            message = f"{call_text(call)} without weights_only{where(call)}: {note}"
            yield call, message, Severity.LOW if default_safe else None


# Loaders that unpickle a file (or file-like object). ``*.loads`` on bytes is deliberately not
# here: ``pickle.loads(pickle.dumps(x))`` deep copies are common and not an attack surface.
_PICKLE_FILE_LOADS = frozenset(
    {
        "pickle.load",
        "pickle.Unpickler",
        "dill.load",
        "cloudpickle.load",
        "pandas.read_pickle",
        "shelve.open",
    }
)


@rule(
    "unsafe-pickle-load",
    "Pickle-based load of a file",
    Severity.MEDIUM,
    "Store models in a non-executable format (safetensors, ONNX, skops, JSON/Parquet for data) "
    "or verify the file's hash before unpickling; never unpickle files from users or the "
    "network.",
    Dimension.GOVERNANCE,
    ("security", "ml", "deserialisation"),
)
def unsafe_pickle_load(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """pickle/dill/cloudpickle/pandas.read_pickle/shelve loads run code embedded in the file.

    ``numpy.load(allow_pickle=True)`` is included; ``pickle.dump``/``dumps`` (writing) and
    tests are not.
    """
    tests = tests_in(ctx)
    found: list[Found] = []
    for call in ctx.typed(CodeCall):
        if call.path in tests:
            continue
        numpy_pickle = call.function == "numpy.load" and call.allow_pickle is True
        if call.function in _PICKLE_FILE_LOADS or numpy_pickle:
            how = " with allow_pickle=True" if numpy_pickle else ""
            message = f"{call_text(call)}{how}{where(call)}: unpickling executes code in the file"
            found.append((call, message, None))
    return per_file(found)


@rule(
    "joblib-load",
    "joblib.load of a model file",
    Severity.LOW,
    "Load only artefacts this project produced and verify them (hash or signature) before "
    "joblib.load; for scikit-learn models consider skops.io, which refuses unknown types.",
    Dimension.GOVERNANCE,
    ("security", "ml", "deserialisation"),
)
def joblib_load(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """``joblib.load`` is pickle underneath; it is the normal way to ship scikit-learn models,
    so it is low unless the path is clearly remote (a URL literal: medium)."""
    tests = tests_in(ctx)
    found: list[Found] = []
    for call in ctx.typed(CodeCall):
        if call.function != "joblib.load" or call.path in tests:
            continue
        remote = bool(call.first_arg and re.match(r"(?i)(?:https?|s3|gs)://", call.first_arg))
        message = f"{call_text(call)}{where(call)}: joblib files are pickles and run code on load"
        found.append((call, message, Severity.MEDIUM if remote else None))
    return per_file(found)


@rule(
    "unsafe-yaml-load",
    "yaml.load with an unsafe loader",
    Severity.MEDIUM,
    "Use yaml.safe_load (or Loader=yaml.SafeLoader); the full and unsafe loaders construct "
    "arbitrary Python objects from tagged YAML.",
    Dimension.GOVERNANCE,
    ("security", "deserialisation"),
)
def unsafe_yaml_load(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """``yaml.load`` without a safe loader (or ``yaml.unsafe_load``) can instantiate objects
    named in a config file; ML configs are often shared and downloaded. ``FullLoader`` is left
    alone: since PyYAML 5.4 it refuses the object-constructing tags."""
    tests = tests_in(ctx)
    for call in ctx.typed(CodeCall):
        if "unsafe-yaml-loader" not in call.risks or call.path in tests:
            continue
        if not (call.loader or "").endswith("FullLoader"):
            loader = f" (Loader={call.loader})" if call.loader else ""
            yield Hit.at(call, f"{call.function}{loader}{where(call)} is not a safe loader")


# --------------------------------------------------------------------------- Hugging Face Hub

# ``datasets.load_dataset`` builders that read local files rather than a hub repository.
_LOCAL_DATASET_BUILDERS = frozenset(
    {
        "csv", "json", "parquet", "text", "arrow", "pandas", "imagefolder", "audiofolder",
        "videofolder", "webdataset", "sql", "generator", "xml", "spark",
    }
)  # fmt: skip


def _local_model_dirs(ctx: DetectionContext) -> set[str]:
    """Directory-like ids that are really local: folders in the tree or written by the code."""
    dirs: set[str] = set()
    for path in ctx.files:
        parts = path.split("/")
        dirs.update("/".join(parts[:n]) for n in range(1, len(parts)))
    for call in ctx.typed(CodeCall):
        if call.function.endswith(".save_pretrained") and call.first_arg:
            dirs.add(call.first_arg.strip("/"))
    return dirs


def _hub_id(call: CodeCall) -> str | None:
    """The literal repository id of a hub call (first argument or a known keyword)."""
    if call.first_arg:
        return call.first_arg
    for key in ("repo_id", "pretrained_model_name_or_path", "path", "model"):
        value = call.literal_kwargs.get(key)
        if isinstance(value, str) and value != "<redacted>":
            return value
    return None


def _short(function: str) -> str:
    """``transformers.AutoTokenizer.from_pretrained`` -> ``AutoTokenizer.from_pretrained``."""
    parts = function.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else function


@rule(
    "hf-from-pretrained-without-revision",
    "Hugging Face Hub download without a pinned revision",
    Severity.LOW,
    'Pass revision="<40-hex commit sha>" to from_pretrained / hf_hub_download / '
    "snapshot_download / load_dataset so the model or data cannot change under you.",
    Dimension.REPRODUCIBILITY,
    ("ml", "supply-chain", "reproducibility"),
)
def hf_without_revision(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """Hub repositories are mutable: ``main`` moves, and a compromised account can push new
    weights (or code). Only a commit hash is reproducible. Local paths, ``load_dataset``
    builders (``csv``, ``json``...) and folders that exist in the tree or are written by
    ``save_pretrained`` are not hub downloads."""
    local: set[str] | None = None
    for call in ctx.typed(CodeCall):
        if "unpinned-hub-revision" not in call.risks:
            continue
        repo_id = _hub_id(call)
        if not repo_id:
            continue
        if call.function == "datasets.load_dataset" and repo_id.lower() in _LOCAL_DATASET_BUILDERS:
            continue
        if local is None:
            local = _local_model_dirs(ctx)
        if repo_id.strip("/") in local:
            continue
        if call.revision:
            detail = f"revision {call.revision!r} is a branch or tag, not a commit"
        else:
            detail = "no revision (follows the repository's main branch)"
        yield Hit.at(call, f"{_short(call.function)}({repo_id[:80]!r}){where(call)}: {detail}")


@rule(
    "trust-remote-code",
    "trust_remote_code=True executes code from the Hub",
    Severity.HIGH,
    "Avoid trust_remote_code=True; if the architecture needs it, review the repository's code "
    "and pin revision= to the reviewed commit (or vendor the modelling code).",
    Dimension.GOVERNANCE,
    ("security", "ml", "supply-chain"),
)
def trust_remote_code(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """``trust_remote_code=True`` downloads and imports Python from the model repository; with
    no commit pin, whoever controls the repository controls the process."""
    for call in ctx.typed(CodeCall):
        if call.trust_remote_code is not True:
            continue
        repo_id = _hub_id(call)
        target = f"({repo_id[:80]!r})" if repo_id else ""
        pinned = (
            "pinned to a commit"
            if call.revision_pinned
            else "with no commit revision, so the executed code can change at any time"
        )
        yield Hit.at(
            call,
            f"{_short(call.function)}{target} with trust_remote_code=True{where(call)}, {pinned}",
        )


# --------------------------------------------------------------------------- credentials

# Provider-format credentials for cloud accounts: directly usable against infrastructure.
_CLOUD_RULES = frozenset({"aws-access-key-id", "google-api-key", "private-key", "stripe-key"})
_RULE_LABELS = {
    "aws-access-key-id": "AWS access key id",
    "huggingface-token": "Hugging Face token",
    "openai-api-key": "OpenAI-style API key",
    "github-token": "GitHub token",
    "github-fine-grained-token": "GitHub fine-grained token",
    "gitlab-token": "GitLab token",
    "slack-token": "Slack token",
    "google-api-key": "Google API key",
    "stripe-key": "Stripe live key",
    "private-key": "private key",
    "credential-assignment": "credential",
}
# DVC remote settings that hold a secret themselves (not a path to one, not a flag).
_DVC_SECRET_KEYS = frozenset(
    {
        "secret_access_key", "session_token", "account_key", "sas_token", "connection_string",
        "gdrive_client_secret", "client_secret", "password", "token",
    }
)  # fmt: skip
_DVC_CLOUD_KEYS = frozenset(
    {"secret_access_key", "session_token", "account_key", "sas_token", "connection_string"}
)


def _label(rule_name: str) -> str:
    return _RULE_LABELS.get(rule_name, rule_name)


_NAME_WORDS_RE = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
#: Name words that mean "this value is a credential" on their own.
_STRONG_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "apikey", "credential", "credentials"}
)
_STRONG_SECRET_PAIRS = frozenset(
    {("api", "key"), ("access", "key"), ("secret", "key"), ("private", "key"), ("auth", "key")}
)
#: ``token`` alone is ambiguous in ML code (``pad_token``, ``mention_token``); these qualify it.
_TOKEN_QUALIFIERS = frozenset(
    {
        "auth", "access", "api", "bearer", "refresh", "bot", "hf", "hub", "huggingface",
        "github", "gh", "gitlab", "slack", "wandb", "openai", "session", "personal", "pat",
        "comet", "neptune", "kaggle", "discord", "telegram", "mlflow", "databricks",
    }
)  # fmt: skip
#: Previews of values that are not secrets: tokenizer specials, mentions, header names.
_NOT_SECRET_PREVIEW_RE = re.compile(r"^(?:[\[@<{#%]|X-[A-Za-z])")


def _credential_name(name: str | None) -> bool:
    """Whether a name-based match (``credential-assignment``) names a credential strongly
    enough to report: passwords, secrets and API keys; ``*_token`` only with a qualifier such
    as ``hf_token`` or ``access_token`` (``bos_token``, ``mention_token`` are not secrets)."""
    words = [w.lower() for w in _NAME_WORDS_RE.split(name or "") if w]
    if any(w in _STRONG_SECRET_WORDS for w in words):
        return True
    pairs = set(itertools.pairwise(words))
    if pairs & _STRONG_SECRET_PAIRS:
        return True
    return "token" in words and any(w in _TOKEN_QUALIFIERS for w in words)


def _code_secret_hits(ctx: DetectionContext) -> Iterator[Hit]:
    """Credential-shaped literals in Python files and notebook code cells.

    Provider-format matches are taken as they are. Name-based matches (``password = "..."``)
    are kept only for strongly credential-like names and previews that do not look like
    tokenizer special tokens, mentions or HTTP header names; they are skipped in tests.
    """
    tests = tests_in(ctx)
    for item in ctx.typed(CodeSecretLiteral):
        in_test = item.path in tests
        by_name = item.rule == "credential-assignment"
        if by_name and (
            in_test
            or not _credential_name(item.context)
            or _NOT_SECRET_PREVIEW_RE.match(item.masked)
        ):
            continue
        name = f" assigned to {item.context!r}" if item.context else ""
        message = f"{_label(item.rule)} {item.masked}{name}{where(item)} is hard-coded"
        if in_test:
            severity = Severity.MEDIUM
            message += " (in a test file)"
        elif by_name:
            severity = Severity.HIGH
        else:
            severity = Severity.CRITICAL
        yield Hit.at(item, message, severity)


def _ci_secret_hits(ctx: DetectionContext) -> Iterator[Hit]:
    """CI variables with a secret-like name set to a literal value in the pipeline file."""
    items: list[CiPipeline | CiJob] = [*ctx.typed(CiPipeline), *ctx.typed(CiJob)]
    for item in items:
        if item.plaintext_secret_env:
            names = ", ".join(item.plaintext_secret_env[:5])
            scope = f"job {item.job_id!r}" if isinstance(item, CiJob) else "the pipeline"
            yield Hit.at(
                item,
                f"{names} set to a literal value in {scope} (use the CI system's secret store)",
                Severity.HIGH,
            )


def _container_secret_hits(ctx: DetectionContext) -> Iterator[Hit]:
    """Literal secrets baked into an image (``ENV``) or written into a compose file."""
    for risk in ctx.typed(DockerfileRisk):
        if risk.risk == "secret-in-env" and risk.severity == "high":
            yield Hit.at(
                risk,
                f"{risk.detail} sets a secret-named variable to a literal: it is stored in every "
                "image layer built from this file",
                Severity.HIGH,
            )
    for service in ctx.typed(ComposeService):
        if service.secret_names:
            names = ", ".join(service.secret_names[:5])
            yield Hit.at(
                service,
                f"service {service.service!r} sets {names} to a literal value (use env_file or "
                "secrets:, kept out of git)",
                Severity.MEDIUM,
            )


def _dvc_secret_hits(ctx: DetectionContext) -> Iterator[Hit]:
    """Credentials in ``.dvc/config`` (committed), not ``.dvc/config.local`` (git-ignored)."""
    for remote in ctx.typed(PipelineDataVersion):
        if remote.source != "dvc-config" or remote.path.endswith("config.local"):
            continue
        keys = sorted(set(remote.credential_keys) & _DVC_SECRET_KEYS)
        if keys:
            cloud = bool(set(keys) & _DVC_CLOUD_KEYS)
            yield Hit.at(
                remote,
                f"DVC remote {remote.remote!r} stores {', '.join(keys)} in the committed config "
                "(use `dvc remote modify --local` so it lands in config.local)",
                Severity.CRITICAL if cloud else Severity.HIGH,
            )


@rule(
    "hardcoded-secret",
    "Hard-coded credential",
    Severity.CRITICAL,
    "Revoke and rotate the credential now (it is in the git history), then load it from the "
    "environment or a secret manager; add a secret scanner (gitleaks, detect-secrets) to "
    "pre-commit and CI.",
    Dimension.GOVERNANCE,
    ("security", "secrets"),
)
def hardcoded_secret(ctx: DetectionContext, practices: list[PracticeResult]) -> Iterator[Hit]:
    """Credentials committed to the repository, wherever the parsers saw them.

    Provider-format tokens in code (AWS, Hugging Face, OpenAI, GitHub...) are critical: they
    work as-is. Name-based matches (``password = "..."``) are high; tests are lenient.
    """
    yield from _code_secret_hits(ctx)
    yield from _ci_secret_hits(ctx)
    yield from _container_secret_hits(ctx)
    yield from _dvc_secret_hits(ctx)


@rule(
    "secret-in-notebook-output",
    "Credential in a saved notebook output",
    Severity.HIGH,
    "Revoke the credential, clear the notebook's outputs (jupyter nbconvert "
    "--ClearOutputPreprocessor.enabled=True or nbstripout) and rewrite the git history; add "
    "nbstripout as a pre-commit hook.",
    Dimension.GOVERNANCE,
    ("security", "secrets", "ml"),
)
def secret_in_notebook_output(
    ctx: DetectionContext, practices: list[PracticeResult]
) -> Iterator[Hit]:
    """Notebooks keep what a cell printed: a token echoed by a login cell is committed with the
    notebook even when the code itself reads it from the environment."""
    for item in ctx.typed(CodeNotebookOutputSecret):
        yield Hit.at(
            item,
            f"{_label(item.rule)} printed in a {item.output_type} output{where(item)}",
        )

"""Text analysis shared by the CI parsers: shell commands, roles, secrets, injection contexts.

Everything here works on strings only (no YAML, no evidence), so every CI system gets the same
answers for the same commands. Keyword sets are documented where they are defined; they are
deliberately conservative (a job is a "train" job when it runs something that trains, not when
its name merely contains "model").
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from functools import lru_cache

# --------------------------------------------------------------------------- commands

_SEGMENT_SPLIT_RE = re.compile(r"&&|\|\||;|\||\bthen\b|\bdo\b")
_ENV_ASSIGN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON_RE = re.compile(r"(?:.*/)?(?:python[23]?(?:\.\d+)?|py|pypy3?)(?:\.exe)?")
_SCRIPT_EXT = (".py", ".sh", ".bash", ".r", ".pl", ".rb", ".ps1", ".ipynb", ".js", ".ts")
_SINGLE_WRAPPERS = frozenset(
    {"sudo", "time", "nohup", "exec", "env", "xvfb-run", "stdbuf", "nice", "timeout", "command",
     "uvx", "torchrun", "deepspeed", "horovodrun", "mpirun", "srun", "papermill", "ipython"}
)  # fmt: skip
_PAIR_WRAPPERS = frozenset(
    {("poetry", "run"), ("uv", "run"), ("pipenv", "run"), ("pdm", "run"), ("hatch", "run"),
     ("rye", "run"), ("conda", "run"), ("mamba", "run"), ("micromamba", "run"), ("pixi", "run"),
     ("coverage", "run"), ("accelerate", "launch"), ("streamlit", "run"), ("jupyter", "execute"),
     ("pipx", "run")}
)  # fmt: skip
_ARG_FLAGS = frozenset(
    {"-n", "--name", "-p", "--prefix", "-e", "--env", "--with", "--group", "--nproc_per_node",
     "--nproc-per-node", "--nnodes", "--num_processes", "--num-processes", "--config_file",
     "--config-file", "-k", "-s", "-u", "--project", "--directory", "-C", "-f", "--file", "-t",
     "--tag", "-np", "--gpus", "--master_port", "--env-file", "-o", "--output", "-w", "--from"}
)  # fmt: skip
#: Modules run with ``python -m`` that are tools, not project code (no ``module:`` edge).
_TOOL_MODULES = frozenset(
    {"pytest", "pip", "build", "twine", "mypy", "black", "ruff", "flake8", "unittest", "coverage",
     "venv", "virtualenv", "http.server", "pip_audit", "tox", "nox", "isort", "pylint", "bandit",
     "sphinx", "mkdocs", "jupyter", "nbconvert", "ipykernel", "spacy", "nltk", "pre_commit",
     "setuptools", "wheel", "poetry", "uv", "pipx", "json.tool", "site", "ensurepip", "compileall",
     "pydoc", "doctest", "cProfile", "timeit", "torch.distributed.run", "torch.distributed.launch",
     "pytest_benchmark", "safety", "pyright", "pydocstyle", "pycodestyle", "grpc_tools.protoc",
     "hatch", "flit", "pdm", "nbqa", "notebook", "jupyterlab", "dvc", "mlflow", "streamlit",
     "uvicorn", "gunicorn", "huggingface_hub", "transformers", "accelerate.commands.launch",
     "py_compile"}
)  # fmt: skip


def split_commands(script: str) -> tuple[str, ...]:
    """Command lines of a script: continuations joined, blanks and comments dropped."""
    out: list[str] = []
    pending: list[str] = []
    for raw in script.splitlines():
        line = raw.strip()
        if line.endswith(("\\", "`")):
            pending.append(line[:-1].rstrip())
            continue
        line = " ".join([*pending, line]).strip() if pending else line
        pending = []
        if line and not line.startswith(("#", "//", "REM ", "rem ", "::")):
            out.append(line)
    if pending:
        out.append(" ".join(pending))
    return tuple(out)


#: A shell word: unquoted runs and quoted strings glued together (possessive: no backtracking).
_WORD_RE = re.compile(r"""(?:[^\s'"]++|'[^']*+'|"(?:[^"\\]++|\\.)*+")++""")


def _tokens(segment: str) -> list[str]:
    """Shell words with quotes removed, up to a comment (shlex is exact but ten times slower)."""
    words: list[str] = []
    for match in _WORD_RE.finditer(segment):
        word = match.group()
        if word.startswith("#"):
            break
        words.append(
            word.replace("'", "").replace('"', "") if ("'" in word or '"' in word) else word
        )
    return words


def _strip_prefix(tokens: list[str]) -> list[str]:
    """Drop env assignments, wrappers (sudo, poetry run, torchrun) and their flags."""
    idx, changed = 0, True
    while changed and idx < len(tokens):
        changed = False
        while idx < len(tokens) and _ENV_ASSIGN_RE.match(tokens[idx]):
            idx, changed = idx + 1, True
        if idx < len(tokens) and tokens[idx] in _SINGLE_WRAPPERS:
            idx, changed = idx + 1, True
        elif idx + 1 < len(tokens) and (tokens[idx], tokens[idx + 1]) in _PAIR_WRAPPERS:
            pair_head = tokens[idx]
            idx, changed = idx + 2, True
            if pair_head == "coverage":
                tokens = [*tokens[:idx], "python", *tokens[idx:]]
        while changed and idx < len(tokens) and tokens[idx].startswith("-"):
            has_arg = tokens[idx] in _ARG_FLAGS and "=" not in tokens[idx]
            idx += 2 if has_arg else 1
    return tokens[idx:]


def _repo_path(token: str, workdir: str | None) -> str | None:
    """A repository-relative POSIX path, or None for variables, globs and absolute paths."""
    if not token or any(c in token for c in "$*?{}%<>|`~") or token.startswith(("/", "-", "\\")):
        return None
    if re.match(r"[A-Za-z]:[\\/]", token) or "://" in token:
        return None
    if workdir and workdir.startswith("$"):
        return None  # relative to a directory we cannot resolve
    joined = posixpath.join(workdir, token) if workdir else token
    norm = posixpath.normpath(joined.replace("\\", "/"))
    if norm in {".", ""} or norm.startswith("../") or norm == ".." or norm.startswith("/"):
        return None
    return norm


def _first_with_ext(tokens: Iterable[str], exts: tuple[str, ...]) -> str | None:
    return next((t for t in tokens if t.lower().endswith(exts) and not t.startswith("-")), None)


def _python_targets(args: list[str], workdir: str | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for idx, tok in enumerate(args):
        if tok == "-c":
            return out
        if tok == "-m" and idx + 1 < len(args):
            module = args[idx + 1]
            if module not in _TOOL_MODULES and re.fullmatch(r"[A-Za-z_][\w.]*", module):
                out.append(("runs", f"module:{module}"))
            if module.startswith("torch.distributed") or module.startswith("accelerate"):
                script = _first_with_ext(args[idx + 2 :], (".py",))
                path = _repo_path(script, workdir) if script else None
                if path:
                    out.append(("runs", f"file:{path}"))
            return out
        if not tok.startswith("-"):
            path = _repo_path(tok, workdir)
            if path and tok.lower().endswith(_SCRIPT_EXT):
                out.append(("runs", f"file:{path}"))
            return out
    return out


def _make_targets(args: list[str], workdir: str | None) -> list[tuple[str, str]]:
    """``make-target:<t>``; with ``-C dir`` or a working directory ``make-target:<dir>:<t>``."""
    prefix = f"{workdir}:" if workdir and not workdir.startswith("$") else ""
    targets, skip = [], False
    for idx, tok in enumerate(args):
        if skip:
            skip = False
            continue
        if tok in {"-C", "-f", "--directory", "--file", "--makefile"} and idx + 1 < len(args):
            directory = args[idx + 1].rstrip("/")
            if tok in {"-C", "--directory"} and prefix:
                directory = posixpath.normpath(posixpath.join(prefix[:-1], directory))
            prefix, skip = directory + ":", True
        elif tok.startswith("-") or "=" in tok or "$" in tok:
            continue
        else:
            targets.append(tok)
    return [("runs", f"make-target:{prefix}{t}") for t in targets]


def _docker_build(args: list[str], workdir: str | None) -> list[tuple[str, str]]:
    dockerfile, context = None, None
    skip = False
    for idx, tok in enumerate(args):
        if skip:
            skip = False
            continue
        if tok in {"-f", "--file"} and idx + 1 < len(args):
            dockerfile, skip = args[idx + 1], True
        elif tok.startswith(("--file=", "-f=")):
            dockerfile = tok.split("=", 1)[1]
        elif tok.startswith("-"):
            skip = tok in _ARG_FLAGS or tok in {"--build-arg", "--target", "--platform", "--label"}
        elif tok != "build":
            context = tok
    if dockerfile is None:
        dockerfile = posixpath.join(context, "Dockerfile") if context else None
    path = _repo_path(dockerfile, workdir) if dockerfile else None
    return [("builds", f"file:{path}")] if path else []


def _kubectl_files(args: list[str], workdir: str | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not args or args[0] not in {"apply", "create", "replace"}:
        return out
    for idx, tok in enumerate(args[:-1]):
        if tok in {"-f", "--filename", "-k", "--kustomize"}:
            path = _repo_path(args[idx + 1], workdir)
            if path:
                out.append(("deploys", f"file:{path}"))
    return out


@lru_cache(maxsize=4096)
def _cached_targets(segment: str, workdir: str | None) -> tuple[tuple[str, str], ...]:
    """Steps repeat across jobs (``make setup`` ten times): analyse each segment once."""
    return tuple(_segment_targets(segment, workdir))


def _segment_targets(segment: str, workdir: str | None) -> list[tuple[str, str]]:
    tokens = _strip_prefix(_tokens(segment))
    if not tokens:
        return []
    head, args = tokens[0], tokens[1:]
    base = head.rsplit("/", 1)[-1]
    if _PYTHON_RE.fullmatch(head):
        return _python_targets(args, workdir)
    if base in {"bash", "sh", "zsh", "source", ".", "Rscript", "pwsh", "powershell", "node"}:
        script = next((t for t in args if not t.startswith("-")), None)
        if script and base in {"bash", "sh", "zsh"} and args and args[0] == "-c":
            return []
        if base in {"source", "."} and not (script or "").endswith((".sh", ".bash")):
            return []  # virtualenv activation and the like, not a project script
        path = _repo_path(script, workdir) if script else None
        return [("runs", f"file:{path}")] if path else []
    if base in {"make", "gmake"}:
        return _make_targets(args, workdir)
    if base == "dvc" and (args[:1] == ["repro"] or args[:2] == ["exp", "run"]):
        stages = [t for t in args[1:] if not t.startswith("-") and t != "run"]
        if not stages:
            return [("runs", "file:dvc.yaml")]
        return [("runs", f"stage:dvc:{s.rsplit(':', 1)[-1]}") for s in stages if "$" not in s]
    if base in {"docker", "podman"} and (args[:1] == ["build"] or args[:2] == ["buildx", "build"]):
        return _docker_build(args[1:] if args[0] == "buildx" else args, workdir)
    if base == "kubectl":
        return _kubectl_files(args, workdir)
    if base in {"jupyter", "papermill"} or head.lower().endswith(_SCRIPT_EXT):
        script = head if head.lower().endswith(_SCRIPT_EXT) else _first_with_ext(args, (".ipynb",))
        path = _repo_path(script, workdir) if script else None
        return [("runs", f"file:{path}")] if path else []
    if head.startswith("./") and "." not in base:
        path = _repo_path(head, workdir)
        return [("runs", f"file:{path}")] if path else []
    return []


_VAR_REF_RE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def expand_env(commands: Iterable[str], env: dict[str, str]) -> list[str]:
    """Commands with ``$NAME``/``${NAME}`` replaced by literal env values (``DVC: uvx ... dvc``
    makes ``$DVC repro`` a ``dvc repro``); values that are expressions are left alone."""
    literal = {k: v for k, v in env.items() if v and "$" not in v and "{{" not in v}
    if not literal:
        return list(commands)
    return [
        _VAR_REF_RE.sub(lambda m: literal.get(m.group(1), m.group(0)), command)
        for command in commands
    ]


def analyse_commands(commands: Iterable[str], workdir: str | None = None) -> list[tuple[str, str]]:
    """(rel, node) pairs for repository things the commands run, build or deploy."""
    out: dict[tuple[str, str], None] = {}
    for command in commands:
        in_subshell, saved = False, workdir
        for raw in _SEGMENT_SPLIT_RE.split(command):
            segment = raw.strip()
            if segment.startswith("(") and not in_subshell:
                in_subshell, saved = True, workdir
            closes = segment.endswith(")")
            segment = segment.strip("() ")
            if segment == "cd" or segment.startswith("cd "):
                workdir = _change_dir(workdir, segment[2:].strip())
            elif segment:
                for target in _cached_targets(segment, workdir):
                    out[target] = None
            if closes and in_subshell:
                in_subshell, workdir = False, saved
    return list(out)


def _change_dir(workdir: str | None, target: str) -> str | None:
    """The shell's directory after ``cd target`` (``$unknown`` once it cannot be followed)."""
    target = target.strip("'\"")
    if not target or any(c in target for c in "$~`") or target.startswith("/") or target == "-":
        return "$unknown"
    if workdir and workdir.startswith("$"):
        return workdir
    joined = posixpath.normpath(posixpath.join(workdir or "", target))
    return "$unknown" if joined.startswith("..") else (None if joined == "." else joined)


# --------------------------------------------------------------------------- roles

_ROLE_COMMANDS: dict[str, re.Pattern[str]] = {
    # test: test runners and the usual make/npm/go entry points
    "test": re.compile(
        r"\b(pytest|py\.test|tox|nox|unittest|nose2?|behave|ctest|coverage run|go test|cargo test"
        r"|(?:npm|yarn|pnpm) (?:run )?test|hatch (?:run )?test"
        r"|make(?: \S+){0,6} (?:test|tests|check)\b"
        r"|mvn(?: \S+){0,6} (?:test|verify)|gradlew?(?: \S+){0,6} test)\b"
    ),
    # lint: formatters, linters, type checkers
    "lint": re.compile(
        r"\b(ruff|flake8|pylint|black|isort|mypy|pyright|pre-commit|pycodestyle|pydocstyle"
        r"|eslint|prettier|hadolint|yamllint|shellcheck|codespell|markdownlint|nbqa)\b"
    ),
    # security: dependency, image and secret scanners
    "security": re.compile(
        r"\b(bandit|pip-audit|safety check|trivy|grype|snyk|gitleaks|trufflehog|semgrep|codeql"
        r"|osv-scanner|checkov|tfsec)\b"
    ),
    # build: packages and images
    "build": re.compile(
        r"\b(docker (?:buildx )?build|docker compose build|python3? -m build|poetry build|uv build"
        r"|pip wheel|setup\.py (?:s|b)dist|hatch build|flit build|conda build|buildah bud|kaniko"
        r"|gcloud builds submit|mvn(?: \S+){0,6} package|(?:npm|yarn) run build"
        r"|make(?: \S+){0,6} build)\b"
    ),
    # publish: releases of packages/artifacts
    "publish": re.compile(
        r"\b(twine upload|poetry publish|uv publish|flit publish|hatch publish|npm publish"
        r"|gh release create|huggingface-cli upload|hf upload|push_to_hub)\b"
    ),
    # deploy: changes a running environment (and image pushes, which feed deployments)
    "deploy": re.compile(
        r"\b(kubectl (?:apply|create|rollout|set image|replace|patch|scale)|helm (?:install|upgrade"
        r"|rollback)|helmfile (?:apply|sync)|terraform apply|tofu apply|pulumi up"
        r"|gcloud (?:\S+ ){0,6}deploy|gcloud ai endpoints|az ml (?!job)|az (?:webapp|containerapp"
        r"|functionapp) |sagemaker\S* .{0,200}(?:endpoint|deploy)|create-endpoint|(?:serverless|sls"
        r"|cdk|sam|eb|fly|flyctl|firebase|netlify) deploy|aws ecs update-service"
        r"|aws lambda update-function|cloudformation deploy|argocd app sync|docker push"
        r"|ansible-playbook|bentoml deploy|mlflow (?:models (?:serve|build-docker)|deployments)"
        r"|seldon|kserve|vercel --prod)"
    ),
    # register: model registry promotion
    "register": re.compile(
        r"(register[_-]?model|transition[_ -]model[_ -]version[_ -]stage|transition model stage"
        r"|set_registered_model_alias|model[_ -]registry|az ml model (?:create|register)"
        r"|gcloud ai models upload|create-model-package|wandb artifact put)",
        re.IGNORECASE,
    ),
    # train: training entry points and ML pipeline runs
    "train": re.compile(
        r"(\bpython[0-9.]*(?: -\S+){0,6} (?:\S*/)?\w*train\w*\.py|-m \S*train\b|\bdvc repro\b"
        r"|\bdvc exp run\b|\bkfp (?:run|pipeline)|\bvertex\b.{0,200}\bpipeline|custom-jobs create"
        r"|\baz ml job create|create-training-job|start-pipeline-execution|\bmlflow run\b"
        r"|\baccelerate launch\b|\btorchrun\b|\bdeepspeed\b|\bkedro run\b|\bzenml pipeline run"
        r"|\b(?:ludwig|yolo) train\b|\bpython[0-9.]* (?:\S*/)?\w*flow\.py run)"
    ),
    # docs
    "docs": re.compile(r"\b(mkdocs (?:build|gh-deploy)|sphinx-build|jupyter-book build|pdoc)\b"),
}
_ROLE_ACTIONS: dict[str, re.Pattern[str]] = {
    "publish": re.compile(r"pypa/gh-action-pypi-publish|softprops/action-gh-release|release", re.I),
    "build": re.compile(r"docker/build-push-action|docker/build|build", re.I),
    "deploy": re.compile(
        r"deploy|webapps|azure/ml|sagemaker|KubernetesManifest|AzureWebApp|HelmDeploy"
        r"|AzureFunctionApp|AzureContainerApps|ecs-deploy|cloudrun",
        re.I,
    ),
    "security": re.compile(r"codeql|trivy|snyk|scorecard|gitleaks|dependency-review|bandit", re.I),
    "test": re.compile(r"pytest|tox|codecov|coverage|test-reporter|PublishTestResults", re.I),
    "lint": re.compile(r"ruff|flake8|pre-commit|super-linter|black|pylint|mypy", re.I),
    "train": re.compile(r"setup-cml|dvc|kubeflow|vertex", re.I),
}
#: Words in job/step names that mark their role.
JOB_NAME_ROLES: dict[str, frozenset[str]] = {
    "test": frozenset({"test", "tests", "testing", "unit", "unittest", "unittests", "integration",
                       "e2e", "pytest", "tox", "nox"}),
    "lint": frozenset({"lint", "linting", "linter", "style", "typecheck", "mypy", "ruff",
                       "pre-commit", "precommit", "format", "formatting"}),
    "deploy": frozenset({"deploy", "deployment", "deploying", "production", "prod", "staging",
                         "rollout", "cd", "serve", "serving"}),
    "register": frozenset({"register", "registry", "promote", "promotion"}),
    "train": frozenset({"train", "training", "retrain", "retraining", "fit", "finetune",
                        "fine-tune"}),
    "build": frozenset({"build", "wheel", "wheels"}),
    "publish": frozenset({"publish", "release"}),
    "security": frozenset({"security", "codeql", "sast", "audit", "scan", "scorecard"}),
    "docs": frozenset({"docs", "documentation", "pages", "mkdocs", "sphinx"}),
}  # fmt: skip
_WORD_SPLIT_RE = re.compile(r"[^a-z0-9]+")


def name_roles(name: str) -> set[str]:
    words = set(_WORD_SPLIT_RE.split(name.lower().replace("pre-commit", "precommit")))
    return {role for role, keys in JOB_NAME_ROLES.items() if words & keys}


@lru_cache(maxsize=4096)
def _command_roles(text: str) -> frozenset[str]:
    return frozenset(role for role, pattern in _ROLE_COMMANDS.items() if pattern.search(text))


def classify_roles(names: Iterable[str], commands: Iterable[str], action: str | None) -> set[str]:
    """Roles a step or job plays, from its names, commands and the action it uses."""
    roles: set[str] = set()
    for name in names:
        roles |= name_roles(name)
    text = "\n".join(commands)
    if text:
        roles |= _command_roles(text)
    if action:
        roles |= {role for role, pattern in _ROLE_ACTIONS.items() if pattern.search(action)}
    return roles


# --------------------------------------------------------------------------- secrets & injection

#: GitHub contexts an outsider controls (GitHub Security Lab list plus workflow_run fields).
_UNTRUSTED_RE = re.compile(
    r"github\.event\.(?:issue\.(?:title|body)|pull_request\.(?:title|body|head\.(?:ref|label"
    r"|repo\.default_branch))|comment\.body|review\.body|review_comment\.body"
    r"|discussion\.(?:title|body)|pages\.[\w*\[\]]+\.page_name|commits\.[\w*\[\]]+\.(?:message"
    r"|author\.(?:email|name))|head_commit\.(?:message|author\.(?:email|name))"
    r"|workflow_run\.(?:head_branch|display_title|head_commit\.(?:message|author\.(?:email|name))"
    r"|pull_requests\.[\w*\[\]]+\.head\.ref))"
    r"|github\.head_ref"
)
_EXPR_RE = re.compile(r"\$\{\{(.{0,2000}?)\}\}", re.DOTALL)
_ECHO_RE = re.compile(r"^\s*(?:echo|printf|Write-Host|Write-Output)\b", re.IGNORECASE)
_SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----.{0,20000}?"
        r"(?:-----END [A-Z ]{0,40}PRIVATE KEY-----|\Z)",
        re.S,
    ),
    re.compile(
        r"\b(?:gh[pousr]_[A-Za-z0-9]{20,400}|github_pat_[A-Za-z0-9_]{20,400}|glpat-[\w-]{20,400})"
    ),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{35}\b"),
    re.compile(r"\b(?:xox[abprs]-[\w-]{10,400}|sk-[A-Za-z0-9_-]{20,400}|hf_[A-Za-z0-9]{30,400})"),
    re.compile(r"\b(?:npm_[A-Za-z0-9]{36}|pypi-[\w-]{50,400}|dckr_pat_[\w-]{20,400})"),
)
_ASSIGNED_SECRET_RE = re.compile(
    r"(?i)((?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key)\w{0,40}"
    r"[ \t]{0,5}[=:][ \t]{0,5}['\"]?)"
    r"([^\s'\"$%{(][^\s'\"]{5,400})"
)
_URL_CREDENTIAL_RE = re.compile(r"(://[^/\s:@]{1,200}:)([^@\s/$]{1,200})(@)")
_PASSWORD_FLAG_RE = re.compile(
    r"((?:--password|--token)[= ]|\blogin\b[^\n]{0,200}?\s-p ?)([^\s$'\"%-][^\s'\"]{3,400})"
)


def redact(text: str) -> str:
    """Mask credential-looking values: known token formats, key=value secrets, URL passwords."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("***", text)
    text = _ASSIGNED_SECRET_RE.sub(r"\1***", text)
    text = _URL_CREDENTIAL_RE.sub(r"\1***\3", text)
    return _PASSWORD_FLAG_RE.sub(r"\1***", text)


def untrusted_contexts(text: str) -> list[str]:
    """Attacker-controlled contexts interpolated with ``${{ }}`` into ``text``."""
    found: dict[str, None] = {}
    for expr in _EXPR_RE.findall(text):
        for match in _UNTRUSTED_RE.finditer(expr):
            found[match.group(0)] = None
    return list(found)


def echoes_secret(commands: Iterable[str], secret_vars: set[str], github: bool) -> bool:
    """True when a command prints a secret to the log (not piped, redirected or masked)."""
    for command in commands:
        for segment in re.split(r"&&|;", command):
            if not _ECHO_RE.match(segment) or "::add-mask::" in segment:
                continue
            if "|" in segment or ">" in segment:
                continue
            if github and re.search(r"\$\{\{[^}]*\bsecrets\.", segment):
                return True
            if secret_vars and shell_vars(segment) & secret_vars:
                return True
    return False


_SHELL_VAR_RE = re.compile(
    r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?|\$\(([A-Za-z_][\w.]*)\)|\$env:([A-Za-z_]\w*)"
    r"|%([A-Za-z_]\w*)%"
)


def shell_vars(text: str) -> set[str]:
    """Variable names referenced as $X, ${X}, $(X) (Azure), $env:X, %X%."""
    return {next(g for g in m.groups() if g) for m in _SHELL_VAR_RE.finditer(text)}


_GH_SECRET_RE = re.compile(r"\bsecrets\.([A-Za-z_][\w-]*)|\bsecrets\[\s*['\"]([^'\"]+)['\"]\s*\]")
_GH_TOKEN_RE = re.compile(r"\bgithub\.token\b")
_SECRET_WORDS = frozenset(
    {"TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASS", "APIKEY", "CREDENTIAL",
     "CREDENTIALS", "PAT", "PASSPHRASE", "PRIVATEKEY", "SECRETKEY", "ACCESSKEY"}
)  # fmt: skip
_KEY_QUALIFIERS = frozenset(
    {"API", "ACCESS", "PRIVATE", "SSH", "DEPLOY", "SIGNING", "SECRET", "ENCRYPTION", "MASTER",
     "LICENSE", "GPG", "AUTH"}
)  # fmt: skip
_NAME_PARTS_RE = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")


def is_secret_name(name: str) -> bool:
    """Heuristic on a variable name: HF_TOKEN, dbPassword, OPENAI_API_KEY -- not TOKENIZERS_*."""
    parts = [p.upper() for p in _NAME_PARTS_RE.split(name) if p]
    for idx, part in enumerate(parts):
        if part in _SECRET_WORDS:
            return True
        if part in {"KEY", "KEYS"} and idx > 0 and parts[idx - 1] in _KEY_QUALIFIERS:
            return True
    return False


def github_secrets(text: str) -> set[str]:
    """Names in ``${{ secrets.NAME }}`` (and ``github.token`` as GITHUB_TOKEN)."""
    found: set[str] = set()
    if "${{" not in text:
        return found
    for expr in _EXPR_RE.findall(text):
        for dotted, indexed in _GH_SECRET_RE.findall(expr):
            found.add(dotted or indexed)
        if _GH_TOKEN_RE.search(expr):
            found.add("GITHUB_TOKEN")
    return found


def literal_secret_env(env: dict[str, str]) -> list[str]:
    """Names of env entries with a secret-like name whose value is a literal (hard-coded)."""
    out: list[str] = []
    for name, value in env.items():
        text = value.strip()
        if not is_secret_name(name) or len(text) < 8 or text.isdigit():
            continue
        if any(marker in text for marker in ("$", "{{", "credentials(", "from_secret")):
            continue
        if text.lower() in {"true", "false", "required", "optional"}:
            continue
        out.append(name)
    return out

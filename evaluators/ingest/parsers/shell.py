"""Shell scripts (``*.sh``, ``*.bash``, ``*.zsh``, ``*.ksh``) and notebook ``!`` lines.

Each command becomes one ``code.shell_command`` with its program, subcommand, a category
(train/test/deploy/... as the CI parsers classify commands, else install/download) and
risks: ``pipe-to-shell`` (``curl ... | sh``) and ``unpinned-install`` (``pip install torch``).
Graph edges to the scripts, modules, DVC stages, Dockerfiles and manifests a command runs come
from :func:`ci_shell.analyse_commands`, so a shell script and a CI step running the same
command contribute the same edges. The scanner is line based: continuations are joined,
comments and heredoc bodies skipped, and commands split on ``;``, ``&&``, ``||``, ``|`` and
``&`` outside quotes and ``$(...)``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator

from hyperscore.evaluators.ingest.parsers.ci_shell import analyse_commands, classify_roles
from hyperscore.evaluators.ingest.parsers.code_kinds import CodeShellCommand
from hyperscore.evaluators.ingest.parsers.docs_markup import split_lines
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

LineMap = Callable[[int], int]
MAX_COMMAND_CHARS = 300
MAX_COMMANDS = 2000
MAX_TOKENISED_CHARS = 4000  # enough for any real command; bounds work on generated lines

_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][\w-]*)\1")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")
_ASSIGNED_SUBSTITUTION = re.compile(r"^(?:local\s+|export\s+)?[A-Za-z_]\w*=\$\(")
_LEADING_KEYWORDS = re.compile(r"^(?:(?:then|do|else|elif|if|while|until|time|!|\{|\()\s+)+")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time"})
_SKIP_FIRST = frozenset(
    {"fi", "done", "esac", "}", ")", ";;", "for", "case", "select", "function", "in", "[[",
     "[", "test", "echo", "printf", "cd", "pushd", "popd", "export", "set", "unset", "local",
     "shift", "exit", "return", "true", "false", ":", "read", "declare", "typeset", "readonly",
     "trap", "wait", "sleep", "break", "continue", "shopt", "alias", "let", "getopts",
     "mkdir", "rm", "cp", "mv", "ls", "cat", "touch", "chmod", "tee", "basename", "dirname"}
)  # fmt: skip
_WRAPPERS = frozenset({"sudo", "nohup", "nice", "command", "builtin", "stdbuf", "xargs", "exec"})
_SUBCOMMAND_TOOLS = frozenset(
    {"pip", "pip3", "uv", "conda", "mamba", "micromamba", "dvc", "mlflow", "docker", "podman",
     "kubectl", "helm", "git", "poetry", "pipenv", "pdm", "npm", "yarn", "make", "terraform",
     "gcloud", "gsutil", "aws", "az", "apt", "apt-get", "yum", "dnf", "apk", "brew",
     "huggingface-cli", "hf", "wandb", "kaggle", "bentoml", "kedro", "zenml", "cml", "gh"}
)  # fmt: skip
_PYTHON = re.compile(r"^(?:python[23]?(?:\.\d+)?|py|pypy3?)$")
_INSTALLERS = {
    "pip": "pip", "pip3": "pip", "uv": "pip", "conda": "conda", "mamba": "conda",
    "micromamba": "conda", "pipx": "pip",
}  # fmt: skip
_PIN = {
    "pip": re.compile(r"==|@|\.whl$|\.tar\.gz$|\.zip$"),
    "conda": re.compile(r"(?<![<>!~=])==?\d"),
}
_INSTALL_ARG_FLAGS = frozenset(
    {"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
     "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "-n", "--name",
     "-p", "--channel", "--python", "--platform", "--only-binary", "--no-binary", "--file"}
)  # fmt: skip
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "python", "python3", "perl", "ruby"})
_DOWNLOADERS = frozenset({"curl", "wget", "gdown", "aria2c"})
_ROLE_ORDER = (
    "train",
    "test",
    "deploy",
    "register",
    "publish",
    "build",
    "security",
    "lint",
    "docs",
)


def logical_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(first index, last index, text) of each command line: continuations joined, heredoc
    bodies and full-line comments skipped."""
    lines = split_lines(text)
    idx, count = 0, len(lines)
    while idx < count:
        start = idx
        parts = [lines[idx]]
        while parts[-1].endswith("\\") and idx + 1 < count and not _escaped_backslash(parts[-1]):
            parts[-1] = parts[-1][:-1]
            idx += 1
            parts.append(lines[idx])
        joined = " ".join(part.strip() for part in parts).strip()
        end = idx
        idx += 1
        heredoc = _HEREDOC.search(joined) if "<<" in joined else None
        if heredoc and "<<<" not in joined:
            delimiter = heredoc.group(2)
            while idx < count and lines[idx].strip() != delimiter:
                idx += 1
            idx += 1
        if joined and not joined.startswith("#"):
            yield start, end, joined


def _escaped_backslash(line: str) -> bool:
    """``foo \\\\`` ends in an escaped backslash, not a continuation."""
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 0


def split_segments(line: str) -> list[tuple[str, str]]:
    """(command, operator after it) pairs, honouring quotes, ``$(...)`` and comments."""
    segments: list[tuple[str, str]] = []
    buf: list[str] = []
    quote: str | None = None
    depth = 0
    idx, size = 0, len(line)
    while idx < size:
        char = line[idx]
        if quote is not None:
            buf.append(char)
            if char == "\\" and quote != "'" and idx + 1 < size:
                buf.append(line[idx + 1])
                idx += 1
            elif char == quote:
                quote = None
            idx += 1
            continue
        if char == "\\" and idx + 1 < size:
            buf.append(line[idx : idx + 2])
            idx += 2
            continue
        if char in "'\"`":
            quote = char
        elif char == "$" and line.startswith("$(", idx):
            depth += 1
            buf.append("$(")
            idx += 2
            continue
        elif depth and char in "()":
            depth += 1 if char == "(" else -1
        elif not depth and char == "#" and (idx == 0 or line[idx - 1] in " \t;|&("):
            break
        elif not depth and char in ";&|" and not _is_redirect(line, idx):
            op = line[idx : idx + 2] if line[idx : idx + 2] in ("&&", "||", ";;", "|&") else char
            segments.append(("".join(buf).strip(), op))
            buf = []
            idx += len(op)
            continue
        buf.append(char)
        idx += 1
    segments.append(("".join(buf).strip(), ""))
    return [(text, op) for text, op in segments if text]


def _is_redirect(line: str, idx: int) -> bool:
    """``2>&1``, ``&>``, ``>|`` are redirections, not command separators."""
    prev = line[idx - 1] if idx else ""
    nxt = line[idx + 1] if idx + 1 < len(line) else ""
    return (line[idx] == "&" and (prev in "<>" or nxt == ">")) or (line[idx] == "|" and prev == ">")


def _tokens(segment: str) -> list[str]:
    segment = segment[:MAX_TOKENISED_CHARS]
    try:
        return shlex.split(segment, posix=True)
    except ValueError:
        return segment.split()


def _command_tokens(tokens: list[str]) -> list[str]:
    """Tokens from the program on: keywords, env assignments and wrappers dropped."""
    idx = 0
    while idx < len(tokens):
        tok = tokens[idx]
        if tok in _KEYWORDS or _ASSIGNMENT.match(tok) or tok in _WRAPPERS:
            idx += 1
        elif tok == "env":
            idx += 1
            while idx < len(tokens) and (tokens[idx].startswith("-") or "=" in tokens[idx]):
                idx += 1
        elif tok == "timeout" and idx + 1 < len(tokens):
            idx += 2
        else:
            break
    return tokens[idx:]


def _install_facts(program: str, args: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Packages of an install command and those without an exact pin."""
    kind = _INSTALLERS.get(program)
    if kind is None:
        return (), ()
    if program == "uv" and args[:1] == ["pip"]:
        args = args[1:]
    if not args or args[0] not in ("install", "add"):
        return (), ()
    packages: list[str] = []
    skip = False
    for tok in args[1:]:
        if skip:
            skip = False
            continue
        if tok.startswith("-"):
            skip = tok in _INSTALL_ARG_FLAGS
            continue
        if tok in (".", "..") or tok.startswith(("./", "/", "../", "git+", "http", "$", "file:")):
            continue
        packages.append(tok)
    unpinned = tuple(p for p in packages if not _PIN[kind].search(p))
    return tuple(packages[:50]), unpinned[:50]


def command_facts(segment: str) -> dict[str, object] | None:
    """Program, subcommand, script, packages of one simple command (None: nothing to record)."""
    if _ASSIGNED_SUBSTITUTION.match(segment):
        return None  # X=$(cmd): the caller analyses cmd
    tokens = _command_tokens(_tokens(segment))
    if not tokens:
        return None
    head = tokens[0]
    program = head.rsplit("/", 1)[-1]
    if program in _SKIP_FIRST or program.endswith((")", "()")) or program.startswith(("$", "-")):
        return None
    args = tokens[1:]
    subcommand: str | None = None
    script: str | None = None
    if _PYTHON.match(program):
        program = "python"
        if "-m" in args and args.index("-m") + 1 < len(args):
            subcommand = args[args.index("-m") + 1]
            if subcommand == "pip":
                program, args = "pip", args[args.index("-m") + 2 :]
                subcommand = args[0] if args else None
        else:
            script = next((a for a in args if not a.startswith("-")), None)
    elif program in _SUBCOMMAND_TOOLS:
        subcommand = next((a for a in args if not a.startswith("-")), None)
    elif program in ("bash", "sh", "zsh", "source", ".") or program.endswith((".sh", ".py")):
        script = (
            head
            if program.endswith((".sh", ".py"))
            else next((a for a in args if not a.startswith("-")), None)
        )
    packages, unpinned = _install_facts(program, args)
    return {
        "program": program[:100],
        "subcommand": subcommand[:100] if subcommand else None,
        "script": script[:300] if script else None,
        "packages": packages,
        "unpinned": unpinned,
    }


def _category(segment: str, facts: dict[str, object]) -> str | None:
    roles = classify_roles((), [segment], None)
    for role in _ROLE_ORDER:
        if role in roles:
            return role
    program, subcommand = facts["program"], facts["subcommand"]
    if subcommand in ("install", "add") and (program in _INSTALLERS or program == "pip"):
        return "install"
    if program in ("apt", "apt-get", "yum", "dnf", "apk", "brew") and subcommand == "install":
        return "install"
    if program in _DOWNLOADERS or (program in ("dvc", "git") and subcommand in ("pull", "clone")):
        return "download"
    return None


def analyse_shell(
    path: str,
    text: str,
    line_map: LineMap | None = None,
    cell: int | None = None,
    workdir: str | None = None,
) -> list[Evidence]:
    """``code.shell_command`` items for every command in ``text`` (a script or ``!`` lines).

    ``workdir`` is the folder relative paths are resolved against: the repository root for
    scripts (they are usually run from there), the notebook's folder for ``!`` lines.
    """
    out: list[Evidence] = []
    mapper = line_map or (lambda idx: idx + 1)
    src = f"file:{path}"
    for start, end, line in logical_lines(text):
        segments = split_segments(line)
        for pos, (raw_segment, op) in enumerate(segments):
            segment = _LEADING_KEYWORDS.sub("", raw_segment)[:MAX_TOKENISED_CHARS]
            facts = command_facts(segment)
            if facts is None:
                for inner in _SUBSTITUTION.findall(segment):
                    fixed = _fixed_line(mapper(start))
                    out.extend(analyse_shell(path, inner, fixed, cell, workdir))
                continue
            risks: list[str] = []
            if op == "|" and facts["program"] in _DOWNLOADERS and pos + 1 < len(segments):
                following = _command_tokens(_tokens(segments[pos + 1][0]))
                if following and following[0].rsplit("/", 1)[-1] in _SHELLS:
                    risks.append("pipe-to-shell")
            if facts["unpinned"]:
                risks.append("unpinned-install")
            links = tuple(
                Link(src=src, dst=dst, rel=rel) for rel, dst in analyse_commands([segment], workdir)
            )
            out.append(
                CodeShellCommand.model_validate(
                    {
                        **facts,
                        "path": path,
                        "line": mapper(start),
                        "end_line": mapper(end),
                        "name": str(facts["program"]),
                        "cell": cell,
                        "command": segment[:MAX_COMMAND_CHARS],
                        "category": _category(segment, facts),
                        "risks": tuple(risks),
                        "links": links,
                    }
                )
            )
            if len(out) >= MAX_COMMANDS:
                return out
    return out


def _fixed_line(line: int) -> LineMap:
    """A line map sending every line to ``line`` (commands nested in one source line)."""
    return lambda _idx: line


@parser("shell", Modality.CODE, ["*.sh", "*.bash", "*.zsh", "*.ksh"])
def parse_shell(inp: ParseInput) -> list[Evidence]:
    return analyse_shell(inp.path, inp.text)

"""Task runners: Makefiles, justfiles and Taskfiles, one ``build.target`` per target.

Many ML projects hide their real entry points behind ``make train`` or ``just test``; CI then
runs the target, not the script. Each target becomes a :class:`BuildTarget` with its
prerequisites, its recipe (continuation lines joined, credentials redacted), its roles (the
same keyword classification the CI parsers use) and graph edges, so a CI job that runs
``make train`` reaches ``scripts/train.py`` through the target:

* ``file:<Makefile> -defines-> make-target:<name>`` -- ids exactly as :mod:`.ci_shell` writes
  them for ``make <name>``: a Makefile in a sub-directory gives ``make-target:<dir>:<name>``
  (what CI writes for ``make -C <dir> <name>``); justfiles give ``just-recipe:[<dir>:]<name>``
  and Taskfiles ``task-target:[<dir>:]<name>`` (no CI parser links those yet);
* ``<target> -depends-> <target>`` for prerequisites (``-depends-> file:<path>`` for a
  prerequisite that is a file of the repository and no target);
* ``<target> -runs-> file:<script>`` | ``module:<m>`` | ``make-target:<t>`` (``$(MAKE) t``),
  ``-builds-> file:<Dockerfile>``, ``-deploys-> file:<manifest>``: what the recipe runs,
  resolved against the directory the recipe runs in.

Nothing is executed: make variables stay unexpanded (paths containing them get no edge).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers.ci_shell import (
    analyse_commands,
    classify_roles,
    redact,
)
from hyperscore.evaluators.ingest.parsers.ci_yaml import (
    LineDict,
    end_of,
    key_line,
    load_single_mapping,
    mapping,
    scalar,
    seq,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parser
from hyperscore.evaluators.model import Evidence, Link, Modality

BuildTool = Literal["make", "just", "task"]
MAX_TARGETS = 1000
MAX_COMMANDS = 200
MAX_COMMAND_CHARS = 2000

_NODE_PREFIX: dict[BuildTool, str] = {
    "make": "make-target",
    "just": "just-recipe",
    "task": "task-target",
}
#: Targets whose name or recipe says "re-run the whole experiment" (CI has no such role).
_REPRODUCE_NAMES = frozenset({"reproduce", "repro", "reproduction", "replicate"})
_REPRODUCE_COMMAND = re.compile(r"\b(?:dvc repro|dvc exp run|snakemake|nextflow run)\b")


class BuildTarget(Evidence):
    """One Makefile target, just recipe or Taskfile task.

    ``node`` is the graph id; ``directory`` is where the recipe runs (repo-relative, ``""`` for
    the root); ``runs`` lists the nodes the recipe runs (scripts, modules, other targets).
    ``phony``: declared ``.PHONY`` (make) -- an action, not a file to build. ``private``:
    hidden from listings (``_name``/``[private]`` in just, ``internal: true`` in Taskfiles).
    """

    kind: Literal["build.target"] = "build.target"
    modality: Modality = Modality.CI
    tool: BuildTool
    target: str
    node: str
    prerequisites: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    phony: bool = False
    pattern: bool = False
    private: bool = False
    description: str | None = None
    directory: str = ""
    roles: tuple[str, ...] = ()
    runs: tuple[str, ...] = ()


@dataclass
class _Draft:
    """A target as read, before analysis (merged when a Makefile names a target twice)."""

    name: str
    line: int
    end_line: int
    prerequisites: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    description: str | None = None
    pattern: bool = False
    private: bool = False
    workdir: str = ""
    calls: list[str] = field(default_factory=list)  # other targets invoked by the recipe


def target_node(tool: BuildTool, directory: str, name: str) -> str:
    """The graph id of a target: ``make-target:[<dir>:]<name>`` and likewise for just/task."""
    prefix = _NODE_PREFIX[tool]
    return f"{prefix}:{directory}:{name}" if directory else f"{prefix}:{name}"


def _roles(name: str, commands: list[str]) -> tuple[str, ...]:
    roles = classify_roles([name], commands, None)
    words = set(re.split(r"[^a-z0-9]+", name.lower()))
    if words & _REPRODUCE_NAMES or any(_REPRODUCE_COMMAND.search(c) for c in commands):
        roles.add("reproduce")
    return tuple(sorted(roles))


def _looks_like_file(name: str) -> bool:
    last = name.rsplit("/", 1)[-1]
    return "/" in name or ("." in last.strip(".") and not last.startswith("."))


def _emit(
    path: str,
    tool: BuildTool,
    directory: str,
    drafts: Iterable[_Draft],
    *,
    last_line: int,
    phony: set[str] | None = None,
    analyse: set[str] | None = None,
) -> Iterator[BuildTarget]:
    """Evidence with links for drafted targets of one file.

    ``analyse``: the targets whose bodies are shell (None: all); only make prerequisites can be
    files (just and Taskfile dependencies always name recipes/tasks).
    """
    items = list(drafts)[:MAX_TARGETS]
    defined = {d.name for d in items}
    for draft in items:
        node = target_node(tool, directory, draft.name)
        links = [Link(src=f"file:{path}", dst=node, rel="defines")]
        variable = "$" in draft.name or "{{" in draft.name
        for prereq in draft.prerequisites:
            if "$" in prereq or "{{" in prereq or variable:
                continue
            if tool == "make" and prereq not in defined and _looks_like_file(prereq):
                resolved = posixpath.normpath(posixpath.join(directory, prereq))
                if not resolved.startswith(("..", "/")):
                    links.append(Link(src=node, dst=f"file:{resolved}", rel="depends"))
            else:
                links.append(
                    Link(src=node, dst=target_node(tool, directory, prereq), rel="depends")
                )
        commands = draft.commands[:MAX_COMMANDS]
        workdir = draft.workdir or None
        targets = (
            analyse_commands(commands, workdir) if analyse is None or draft.name in analyse else []
        )
        targets += [("runs", target_node(tool, directory, call)) for call in draft.calls]
        if not variable:
            links.extend(Link(src=node, dst=dst, rel=rel) for rel, dst in targets)
        line = min(max(1, draft.line), last_line)
        yield BuildTarget(
            path=path,
            line=line,
            end_line=min(max(line, draft.end_line), last_line),
            name=draft.name[:200],
            text=draft.description,
            links=tuple(dict.fromkeys(links)),
            tool=tool,
            target=draft.name,
            node=node,
            prerequisites=tuple(dict.fromkeys(draft.prerequisites)),
            commands=tuple(redact(c)[:MAX_COMMAND_CHARS] for c in commands),
            phony=draft.name in (phony or ()),
            pattern=draft.pattern,
            private=draft.private,
            description=draft.description,
            directory=draft.workdir,
            roles=_roles(draft.name, commands),
            runs=tuple(dict.fromkeys(dst for rel, dst in targets if rel == "runs")),
        )


def _directory(path: str) -> str:
    return posixpath.dirname(path)


# --------------------------------------------------------------------------- Makefiles

_MAKE_DIRECTIVES = frozenset(
    {"include", "-include", "sinclude", "export", "unexport", "override", "vpath", "undefine",
     "private", "load", "-load"}
)  # fmt: skip
_MAKE_CONDITIONALS = frozenset({"ifeq", "ifneq", "ifdef", "ifndef", "else", "endif"})
_SPECIAL_TARGET = re.compile(r"\.[A-Z_]+")
_HELP_COMMENT = re.compile(r"(?<!#)##+\s*(.*)$")
_MAKE_CALL = re.compile(r"\$[({]MAKE[)}]")
_TARGET_VAR = re.compile(r"^\s*(?:export\s+|override\s+|private\s+)*[\w.$(){}-]+\s*(?:[:+?!]|::)?=")
#: Directories that typically hold ``*.mk`` fragments included by the Makefile one level up.
_INCLUDE_DIRS = frozenset({"make", "mk", "makefiles", ".make", "makefile.d", "build", "tools"})


def _split_rule(text: str) -> tuple[str, str, str] | None:
    """``(targets, separator, rest)`` of a rule line, or None for assignments and other text.

    Scans for the first ``:`` or ``=`` outside ``$(...)``/``${...}`` so ``X := a:b`` is an
    assignment and ``$(BUILD)/x.o: x.c`` a rule.
    """
    depth = 0
    for idx, char in enumerate(text):
        if char in "({" and idx > 0 and text[idx - 1] == "$":
            depth += 1
        elif char in ")}" and depth:
            depth -= 1
        elif depth == 0 and char == "=":
            return None
        elif depth == 0 and char == ":":
            rest = text[idx + 1 :]
            if rest.startswith(("=", ":=", "::=")):
                return None
            if rest.startswith(":"):
                return text[:idx], "::", rest[1:]
            return text[:idx], ":", rest
    return None


def _strip_make_comment(text: str) -> str:
    """Text before an unescaped ``#`` (``\\#`` is a literal hash)."""
    idx = text.find("#")
    while idx > 0 and text[idx - 1] == "\\":
        idx = text.find("#", idx + 1)
    return text if idx < 0 else text[:idx]


def _recipe_command(text: str) -> str:
    """A recipe line as the shell sees it: ``@-+`` prefixes dropped, ``$$`` unescaped."""
    command = text.strip().lstrip("@-+").strip()
    return _MAKE_CALL.sub("make", command).replace("$$", "$")


class _MakeReader:
    """Line-by-line reader of GNU/BSD make syntax (no evaluation, no includes)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.targets: dict[str, _Draft] = {}
        self.phony: set[str] = set()
        self.current: list[_Draft] = []
        self.comment: list[str] = []

    def _logical(self, index: int) -> tuple[str, int]:
        """The logical line starting at ``index`` (backslash continuations joined), its end."""
        parts = [self.lines[index]]
        while parts[-1].endswith("\\") and index + 1 < len(self.lines):
            parts[-1] = parts[-1][:-1]
            index += 1
            parts.append(self.lines[index].lstrip("\t"))
        return " ".join(p.strip() if i else p.rstrip() for i, p in enumerate(parts)), index

    def read(self) -> None:
        index, in_define = 0, False
        while index < len(self.lines):
            raw = self.lines[index]
            if in_define:
                in_define = raw.strip() != "endef" and not raw.strip().startswith("endef ")
                index += 1
                continue
            text, end = self._logical(index)
            if raw.startswith("\t") and self.current:
                command = _recipe_command(text)
                if command and not command.startswith("#"):
                    for draft in self.current:
                        draft.commands.append(command)
                for draft in self.current:
                    draft.end_line = end + 1
                index = end + 1
                continue
            in_define = self._line(text, index + 1)
            index = end + 1

    def _line(self, text: str, number: int) -> bool:
        """Handle one non-recipe logical line; True when it opens a ``define`` block."""
        stripped = text.strip()
        if not stripped:
            self.comment = []
            return False
        if stripped.startswith("#"):
            self.comment.append(stripped.lstrip("#").strip())
            return False
        comment, self.comment = self.comment, []
        word = stripped.split(None, 1)[0]
        if word in _MAKE_CONDITIONALS:
            return False
        self.current = []
        if word == "define" or (word in {"export", "override"} and " define " in f" {stripped} "):
            return True
        if word in _MAKE_DIRECTIVES and not re.match(r"[\w-]+\s*(?::|::)(?!=)", stripped):
            return False
        split = _split_rule(_strip_make_comment(stripped))
        if split is None:
            return False
        names, separator, rest = split
        help_match = _HELP_COMMENT.search(stripped)
        description = help_match.group(1).strip() if help_match else " ".join(comment) or None
        rest = _strip_make_comment(rest)
        if _TARGET_VAR.match(rest):
            return False  # target-specific variable, not a rule
        recipe = ""
        if ";" in rest:
            rest, _, recipe = rest.partition(";")
        static_pattern = False
        if ":" in rest and separator == ":":  # static pattern rule: targets: pattern: prereqs
            rest, static_pattern = rest.split(":", 1)[1], True
        prereqs = [p for p in rest.split() if p != "|"]
        self._rule(
            names.split(),
            prereqs,
            recipe,
            number=number,
            description=description,
            static_pattern=static_pattern,
        )
        return False

    def _rule(
        self,
        names: list[str],
        prereqs: list[str],
        recipe: str,
        *,
        number: int,
        description: str | None,
        static_pattern: bool,
    ) -> None:
        for name in names:
            if _SPECIAL_TARGET.fullmatch(name):
                if name == ".PHONY":
                    self.phony.update(prereqs)
                continue
            draft = self.targets.get(name)
            if draft is None:
                if len(self.targets) >= MAX_TARGETS:
                    continue
                draft = _Draft(name=name, line=number, end_line=number)
                draft.pattern = "%" in name or static_pattern
                self.targets[name] = draft
            elif not draft.commands:
                draft.line = number  # the rule with the recipe is the one worth citing
            draft.end_line = max(draft.end_line, number)
            draft.prerequisites.extend(prereqs)
            draft.description = draft.description or description
            if recipe.strip():
                draft.commands.append(_recipe_command(recipe))
            self.current.append(draft)


def _make_directory(path: str) -> str:
    """Where the targets of ``path`` are invoked from: its directory; for a ``*.mk`` fragment in
    a ``make/``-like directory, the directory above (the Makefile that includes it)."""
    directory = _directory(path)
    if path.lower().endswith(".mk") and directory.rsplit("/", 1)[-1].lower() in _INCLUDE_DIRS:
        return _directory(directory)
    return directory


@parser("build-make", Modality.CI, ["Makefile", "makefile", "GNUmakefile", "*.mk"])
def parse_makefile(source: ParseInput) -> Iterator[Evidence]:
    """Every rule's targets with prerequisites, recipe, ``.PHONY`` membership and roles."""
    if "\x00" in source.text:
        raise FormatError("Makefile contains NUL bytes")
    reader = _MakeReader(source.lines)
    reader.read()
    directory = _make_directory(source.path)
    for draft in reader.targets.values():
        draft.workdir = directory
    yield from _emit(
        source.path,
        "make",
        directory,
        reader.targets.values(),
        last_line=max(1, len(source.lines)),
        phony=reader.phony,
    )


# --------------------------------------------------------------------------- justfiles

_JUST_SETTING = re.compile(r"(?:alias|set|export|import|mod)\b|[\w-]+\s*:=")
_JUST_HEADER = re.compile(r"(@?)([A-Za-z_][\w-]*)\b(.*)$")
_JUST_ATTRIBUTE = re.compile(r"\[([^\]]*)\]\s*$")
_JUST_INTERPOLATION = re.compile(r"\{\{.*?\}\}")
_JUST_CALL = re.compile(r"(?:^|&&|;|\|\|)\s*just\s+(?:-\S+\s+)*([A-Za-z_][\w-]*)")
_DOC_ATTRIBUTE = re.compile(r"""doc\(\s*["'](.*)["']\s*\)""")


def _just_colon(text: str) -> int:
    """Index of the ``:`` ending a recipe header (outside quotes and parentheses), or -1."""
    quote, depth = "", 0
    for idx, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif char == ":" and depth == 0:
            return -1 if text[idx + 1 : idx + 2] == "=" else idx
    return -1


def _just_dependencies(text: str) -> list[str]:
    """``a (b "x") && c`` -> ``[a, b, c]``."""
    text = re.sub(r"\(\s*([A-Za-z_][\w-]*)[^)]*\)", r"\1", text.split("#", 1)[0])
    return [t for t in text.split() if t != "&&" and re.fullmatch(r"[A-Za-z_][\w-]*", t)]


def _just_body(lines: list[str], start: int) -> tuple[list[str], int]:
    """Indented body lines from ``start`` (blank lines included), and the last body line."""
    body: list[str] = []
    last = start - 1
    index = start
    while index < len(lines):
        line = lines[index]
        if line.strip() and not line[:1].isspace():
            break
        body.append(line)
        if line.strip():
            last = index
        index += 1
    return body[: last - start + 1], last


def _just_commands(body: list[str]) -> tuple[list[str], bool]:
    """Command lines of a recipe body and whether it is a shell (not a shebang) recipe."""
    joined: list[str] = []
    pending = ""
    for raw in body:
        line = pending + raw.strip() if pending else raw.strip()
        if line.endswith("\\"):
            pending = line[:-1].rstrip() + " "
            continue
        pending = ""
        if line:
            joined.append(line)
    if pending.strip():
        joined.append(pending.strip())
    if joined and joined[0].startswith("#!"):
        shell = re.search(r"\b(?:ba|z|k)?sh\b", joined[0]) is not None
        return [c for c in joined[1:] if not c.startswith("#")], shell
    commands = [c.lstrip("@-").strip() for c in joined if not c.startswith("#")]
    return [c for c in commands if c], True


@parser("build-just", Modality.CI, ["justfile", ".justfile", "*.just"])
def parse_justfile(source: ParseInput) -> Iterator[Evidence]:
    """Recipes with dependencies, body commands, ``[private]``/doc attributes and roles."""
    lines = source.lines
    drafts: dict[str, _Draft] = {}
    shell_recipes: set[str] = set()
    directory = _directory(source.path)
    comment: list[str] = []
    attributes: list[str] = []
    index = 0
    while index < len(lines) and len(drafts) < MAX_TARGETS:
        raw = lines[index]
        stripped = raw.strip()
        index += 1
        if not stripped or raw[:1].isspace():
            comment, attributes = ([], []) if not stripped else (comment, attributes)
            continue
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("#!").strip())
            continue
        if stripped.startswith("[") and _JUST_ATTRIBUTE.match(stripped):
            attributes.append(stripped[1:-1])
            continue
        header = _JUST_HEADER.match(stripped)
        colon = _just_colon(stripped)
        if _JUST_SETTING.match(stripped) and (colon < 0 or ":=" in stripped[: colon + 2]):
            comment, attributes = [], []
            continue
        if header is None or colon < 0:
            comment, attributes = [], []
            continue
        name = header.group(2)
        body, last = _just_body(lines, index)
        commands, is_shell = _just_commands(body)
        doc = next((m.group(1) for a in attributes if (m := _DOC_ATTRIBUTE.search(a))), None)
        draft = _Draft(
            name=name,
            line=index,
            end_line=max(index, last + 1),
            prerequisites=_just_dependencies(stripped[colon + 1 :]),
            commands=commands,
            description=doc or (" ".join(comment) or None),
            private=name.startswith("_") or any(a.strip() == "private" for a in attributes),
            workdir="" if any("no-cd" in a for a in attributes) else directory,
        )
        draft.calls = [m.group(1) for c in commands for m in _JUST_CALL.finditer(c)]
        draft.commands = [_JUST_INTERPOLATION.sub("$JUSTVAR", c) for c in commands]
        drafts[name] = draft
        if is_shell:
            shell_recipes.add(name)
        comment, attributes = [], []
        index = max(index, last + 1)
    yield from _emit(
        source.path,
        "just",
        directory,
        drafts.values(),
        last_line=max(1, len(lines)),
        analyse=shell_recipes,
    )


# --------------------------------------------------------------------------- Taskfiles

_TASK_VAR = re.compile(r"\{\{.*?\}\}")


def _task_commands(spec: Any) -> tuple[list[str], list[str]]:
    """``(shell commands, tasks called)`` of a task's ``cmds`` (strings, ``cmd:``, ``task:``)."""
    commands: list[str] = []
    calls: list[str] = []
    for item in seq(spec)[:MAX_COMMANDS]:
        if isinstance(item, dict):
            called = scalar(item.get("task"))
            if called:
                calls.append(called)
            text = scalar(item.get("cmd")) or scalar(item.get("defer"))
        else:
            text = scalar(item)
        if text:
            commands.extend(line for line in text.splitlines() if line.strip())
    return [_TASK_VAR.sub("$TASKVAR", c) for c in commands], calls


@parser(
    "build-taskfile",
    Modality.CI,
    ["Taskfile.yml", "Taskfile.yaml", "Taskfile.dist.yml", "Taskfile.dist.yaml"],
)
def parse_taskfile(source: ParseInput) -> Iterator[Evidence]:
    """Tasks (go-task) with ``deps``, ``cmds`` (``task:`` calls link to the called task)."""
    doc = load_single_mapping(source.text, "Taskfile")
    if doc is None or not isinstance(doc.get("tasks"), dict):
        return
    tasks: LineDict = mapping(doc["tasks"])
    directory = _directory(source.path)
    drafts: list[_Draft] = []
    for name, raw in list(tasks.items())[:MAX_TARGETS]:
        spec = raw if isinstance(raw, dict) else {"cmds": raw}
        line = key_line(tasks, name) or 1
        commands, calls = _task_commands(spec.get("cmds") or spec.get("cmd"))
        deps = [
            text
            for dep in seq(spec.get("deps"))
            if (text := scalar(dep.get("task")) if isinstance(dep, dict) else scalar(dep))
        ]
        task_dir = scalar(spec.get("dir"))
        workdir = directory
        if task_dir and "{{" not in task_dir and not task_dir.startswith("/"):
            workdir = posixpath.normpath(posixpath.join(directory, task_dir))
            workdir = "" if workdir == "." else workdir
        drafts.append(
            _Draft(
                name=str(name),
                line=line,
                end_line=end_of(raw) or line,
                prerequisites=deps,
                commands=commands,
                calls=calls,
                description=scalar(spec.get("desc")) or scalar(spec.get("summary")),
                private=spec.get("internal") is True,
                workdir=workdir,
            )
        )
    yield from _emit(source.path, "task", directory, drafts, last_line=max(1, len(source.lines)))

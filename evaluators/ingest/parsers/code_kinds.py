"""Evidence kinds of the ``code.`` family: Python modules and notebooks, and shell scripts.

They live in one module because three parsers emit them (``python_code``, ``notebooks``,
``shell``): a notebook code cell yields the same facts as a ``.py`` file, with ``cell`` set.
Every value is JSON-serialisable; credential values never appear (only rule names and a
masked preview).
"""

from __future__ import annotations

from typing import Literal

from hyperscore.evaluators.model import Evidence, Modality

Scalar = str | int | float | bool | None


class CodeEvidence(Evidence):
    """Common base: code facts may come from a notebook cell (``cell`` is its 0-based index)."""

    modality: Modality = Modality.CODE
    cell: int | None = None


class CodeModule(CodeEvidence):
    """A Python module; ``text`` is the first paragraph of its docstring."""

    kind: Literal["code.module"] = "code.module"
    module: str | None
    package: bool = False
    is_test: bool = False
    functions: int = 0
    classes: int = 0
    lines: int = 0
    has_main_guard: bool = False
    threshold_asserts: int = 0


class CodeImport(CodeEvidence):
    """One import target: ``module`` is absolute where a relative import could be resolved."""

    kind: Literal["code.import"] = "code.import"
    module: str
    names: tuple[str, ...] = ()
    alias: str | None = None
    level: int = 0
    top_level: str = ""
    stdlib: bool = False
    optional: bool = False


class CodeCall(CodeEvidence):
    """A call the assessment cares about, by resolved dotted name (``mf.log_metric`` ->
    ``mlflow.log_metric``), with the keyword facts that decide whether it is safe."""

    kind: Literal["code.call"] = "code.call"
    function: str
    category: str
    scope: str = "<module>"
    first_arg: str | None = None
    keywords: tuple[str, ...] = ()
    literal_kwargs: dict[str, Scalar] = {}
    weights_only: bool | None = None
    trust_remote_code: bool | None = None
    allow_pickle: bool | None = None
    shell: bool | None = None
    revision: str | None = None
    revision_pinned: bool | None = None
    loader: str | None = None
    risks: tuple[str, ...] = ()


class CodeSeed(CodeEvidence):
    """A seeding/determinism call; ``count`` > 1 only for the per-file ``random_state`` tally."""

    kind: Literal["code.seed"] = "code.seed"
    function: str
    framework: str
    value: int | None = None
    value_expr: str | None = None
    seeded: bool = True
    count: int = 1


class CodeConfig(CodeEvidence):
    """A configuration point: CLI option, config load, config key read, env var read.

    ``role`` is one of option, argument, command, main, load, key, env, env-write,
    settings, configurable. Env defaults are never stored (names only).
    """

    kind: Literal["code.config"] = "code.config"
    framework: str
    role: str
    option: str = ""
    flags: tuple[str, ...] = ()
    default: Scalar = None
    has_default: bool = False
    type_name: str | None = None
    required: bool | None = None
    config_file: str | None = None
    config_name: str | None = None
    config_dir: str | None = None
    key: str | None = None
    source: str | None = None
    secret_like: bool = False


class CodeTest(CodeEvidence):
    """A test function, test method, test class or fixture."""

    kind: Literal["code.test"] = "code.test"
    qualname: str
    role: Literal["function", "method", "class", "fixture"]
    framework: str
    parametrized: bool = False
    param_cases: int | None = None
    markers: tuple[str, ...] = ()
    fixtures: tuple[str, ...] = ()
    asserts: int = 0
    has_threshold_assert: bool = False
    thresholds: tuple[str, ...] = ()
    is_async: bool = False


class CodeTestFile(CodeEvidence):
    """Summary of one test file."""

    kind: Literal["code.test_file"] = "code.test_file"
    frameworks: tuple[str, ...] = ()
    tests: int = 0
    fixtures: int = 0
    parametrized: int = 0
    has_threshold_assert: bool = False
    uses_hypothesis: bool = False
    markers: tuple[str, ...] = ()
    conftest: bool = False


class CodeSecretLiteral(CodeEvidence):
    """A string literal that looks like a credential: rule name and masked preview only."""

    kind: Literal["code.secret_literal"] = "code.secret_literal"
    rule: str
    masked: str
    context: str | None = None


class CodeShellCommand(CodeEvidence):
    """One command of a shell script or notebook ``!`` line."""

    kind: Literal["code.shell_command"] = "code.shell_command"
    program: str
    subcommand: str | None = None
    command: str
    category: str | None = None
    risks: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    unpinned: tuple[str, ...] = ()
    script: str | None = None


class CodeNotebook(CodeEvidence):
    """Summary of a Jupyter notebook."""

    kind: Literal["code.notebook"] = "code.notebook"
    nbformat: int | None = None
    cells: int = 0
    code_cells: int = 0
    markdown_cells: int = 0
    raw_cells: int = 0
    executed_cells: int = 0
    execution_in_order: bool | None = None
    has_outputs: bool = False
    outputs: int = 0
    error_outputs: int = 0
    kernel: str | None = None
    language: str | None = None
    magics: int = 0
    shell_commands: int = 0
    unparseable_cells: int = 0


class CodeNotebookOutputSecret(CodeEvidence):
    """A saved cell output containing something credential-shaped (rule name only)."""

    kind: Literal["code.notebook_output_secret"] = "code.notebook_output_secret"
    rule: str
    output_type: str

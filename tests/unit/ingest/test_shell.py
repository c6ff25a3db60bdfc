"""Shell scripts: commands per line, categories, risky patterns and graph edges."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest.parsers.code_kinds import CodeShellCommand
from hyperscore.evaluators.ingest.parsers.shell import (
    analyse_shell,
    logical_lines,
    parse_shell,
    split_segments,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parsers_for
from hyperscore.evaluators.model import Link

SCRIPT = r"""#!/usr/bin/env bash
set -euo pipefail
# Train and deploy
export PYTHONPATH=src
curl -sSL https://install.example.com/get.sh | sudo bash
pip install torch "numpy<2" pandas==2.2.0 -r requirements.txt
python -m pip install -e .
CUDA_VISIBLE_DEVICES=0 python src/train.py --epochs 10 \
    --lr 0.01  # trailing comment
dvc repro train && mlflow run . -e main
docker build -t registry/app:1.0 -f docker/Dockerfile . 2>&1 | tee build.log
kubectl apply -f k8s/deploy.yaml
helm install app charts/app
cat <<EOF > params.yaml
python not_a_command.py
EOF
if [ -f model.pt ]; then pytest tests/ -q; fi
for f in data/*.csv; do python scripts/check.py "$f"; done
SCORE=$(python -m pkg.evaluate)
echo "done # not a comment"
conda install -c conda-forge numpy=1.26 scipy
"""


def commands() -> list[CodeShellCommand]:
    items = list(parse_shell(ParseInput("scripts/run.sh", SCRIPT)))
    assert all(isinstance(item, CodeShellCommand) for item in items)
    return [item for item in items if isinstance(item, CodeShellCommand)]


def test_commands_with_lines_programs_and_categories() -> None:
    summary = [(c.line, c.end_line, c.program, c.subcommand, c.category) for c in commands()]
    assert summary == [
        (5, 5, "curl", None, "download"),
        (5, 5, "bash", None, None),
        (6, 6, "pip", "install", "install"),
        (7, 7, "pip", "install", "install"),
        (8, 9, "python", None, "train"),
        (10, 10, "dvc", "repro", "train"),
        (10, 10, "mlflow", "run", "train"),
        (11, 11, "docker", "build", "build"),
        (12, 12, "kubectl", "apply", "deploy"),
        (13, 13, "helm", "install", "deploy"),
        (17, 17, "pytest", None, "test"),
        (18, 18, "python", None, None),
        (19, 19, "python", "pkg.evaluate", None),
        (21, 21, "conda", "install", "install"),
    ]


def test_continuations_comments_and_keywords_are_normalised() -> None:
    by_line = {c.line: c for c in commands()}
    assert by_line[8].command == (
        "CUDA_VISIBLE_DEVICES=0 python src/train.py --epochs 10 --lr 0.01"
    )
    assert by_line[8].script == "src/train.py"
    assert by_line[17].command == "pytest tests/ -q"


def test_risks_pipe_to_shell_and_unpinned_installs() -> None:
    by_line = {(c.line, c.program): c for c in commands()}
    assert by_line[(5, "curl")].risks == ("pipe-to-shell",)
    pip = by_line[(6, "pip")]
    assert pip.packages == ("torch", "numpy<2", "pandas==2.2.0")
    assert pip.unpinned == ("torch", "numpy<2")
    assert pip.risks == ("unpinned-install",)
    assert by_line[(7, "pip")].risks == ()  # editable local install
    conda = by_line[(21, "conda")]
    assert (conda.packages, conda.unpinned) == (("numpy=1.26", "scipy"), ("scipy",))


def test_edges_to_scripts_stages_images_and_manifests() -> None:
    edges = {(link.rel, link.dst) for c in commands() for link in c.links}
    assert edges == {
        ("runs", "file:src/train.py"),
        ("runs", "stage:dvc:train"),
        ("builds", "file:docker/Dockerfile"),
        ("deploys", "file:k8s/deploy.yaml"),
        ("runs", "file:scripts/check.py"),
        ("runs", "module:pkg.evaluate"),
    }
    assert all(link.src == "file:scripts/run.sh" for c in commands() for link in c.links)


def test_heredoc_bodies_are_not_commands() -> None:
    assert "not_a_command.py" not in " ".join(c.command for c in commands())


def test_notebook_style_workdir_and_line_map() -> None:
    items = analyse_shell(
        "nb/explore.ipynb", "python train.py", line_map=lambda _: 42, cell=3, workdir="nb"
    )
    command = items[0]
    assert isinstance(command, CodeShellCommand)
    assert (command.line, command.cell) == (42, 3)
    assert command.links == (Link(src="file:nb/explore.ipynb", dst="file:nb/train.py", rel="runs"),)


def test_segment_splitting_respects_quotes_and_redirects() -> None:
    assert split_segments("a 'x;y' && b \"p|q\" 2>&1 | c # tail") == [
        ("a 'x;y'", "&&"),
        ('b "p|q" 2>&1', "|"),
        ("c", ""),
    ]
    assert split_segments("x=$(a | b); c") == [("x=$(a | b)", ";"), ("c", "")]


def test_logical_lines() -> None:
    text = "a \\\n  b\n# c\n\nd \\\\\ne\n"
    assert list(logical_lines(text)) == [(0, 1, "a b"), (4, 4, "d \\\\"), (5, 5, "e")]


def test_registered_by_extension() -> None:
    assert "shell" in [p.name for p in parsers_for("scripts/train.sh")]
    assert "shell" in [p.name for p in parsers_for("run.bash")]
    assert "shell" not in [p.name for p in parsers_for("train.py")]


def test_hostile_long_inputs_are_bounded() -> None:
    started = time.perf_counter()
    items = list(parse_shell(ParseInput("x.sh", "a;" * 50_000 + "\n" + "'" * 50_000)))
    assert len(items) <= 2000
    assert time.perf_counter() - started < 10


# --- property tests -----------------------------------------------------------------------


def check(text: str) -> None:
    try:
        items = list(parse_shell(ParseInput("x.sh", text)))
    except Exception:
        return
    count = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    for item in items:
        assert item.path == "x.sh"
        assert item.line is not None and 1 <= item.line <= count
        assert item.end_line is not None and item.line <= item.end_line <= count


shell_chars = st.text(alphabet="ab pythn-./|&;'\"`$()<>#\\\n=*{}", max_size=300)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=300) | shell_chars)
def test_random_text_never_breaks_the_parser(text: str) -> None:
    check(text)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0, max_value=len(SCRIPT)), insert=shell_chars)
def test_mutated_scripts_never_break_the_parser(cut: int, insert: str) -> None:
    check(SCRIPT[:cut] + insert + SCRIPT[cut:])

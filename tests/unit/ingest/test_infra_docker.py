"""Dockerfile and docker-compose parsing: facts, pins, risks and masked secrets."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.ingest.parsers.infra_common import EnvironmentSignal, ImageRef
from hyperscore.evaluators.ingest.parsers.infra_docker import (
    ComposeService,
    Dockerfile,
    DockerfileRisk,
    parse_compose,
    parse_dockerfile,
)
from hyperscore.evaluators.ingest.registry import ParseInput, parsers_for
from hyperscore.evaluators.model import Evidence

DOCKERFILE = """\
# syntax=docker/dockerfile:1.6
ARG BASE=python:3.11-slim
ARG HF_TOKEN
FROM ${BASE} AS builder
run pip install torch numpy==1.26 \\
    # comment lines inside a continuation are dropped
    -r requirements.txt
RUN apt-get update && apt-get install -y gcc && curl -fsSL https://get.example.sh | sudo bash
RUN <<EOF
set -e
chmod -R 777 /app
pip install --no-cache-dir flask
EOF
FROM builder
ENV AWS_SECRET_ACCESS_KEY=hunter2 MODEL_DIR=/models
COPY --from=builder models/model.onnx /models/
ADD https://user:pw@example.com/w.bin /w.bin
USER app:app
HEALTHCHECK --interval=30s CMD curl -f http://localhost/ || exit 1
EXPOSE 8080 9090/tcp
WORKDIR /app
CMD ["python", "serve.py"]
"""


def parse(text: str, path: str = "docker/Dockerfile") -> list[Evidence]:
    return list(parse_dockerfile(ParseInput(path, text)))


def summary(items: list[Evidence]) -> Dockerfile:
    (found,) = [i for i in items if isinstance(i, Dockerfile)]
    return found


def risks(items: list[Evidence]) -> list[tuple[str, str, int | None]]:
    return [(i.risk, i.severity, i.line) for i in items if isinstance(i, DockerfileRisk)]


def test_dockerfile_summary() -> None:
    info = summary(parse(DOCKERFILE))
    assert info.stages == ("builder", "1")
    assert info.base_image == "builder"
    assert info.final_user == "app:app" and info.runs_as_root is False
    assert info.healthcheck is True
    assert info.exposed_ports == ("8080", "9090/tcp")
    assert info.cmd == "python serve.py" and info.workdir == "/app"
    assert info.arg_names == ("BASE", "HF_TOKEN")
    assert info.env_names == ("AWS_SECRET_ACCESS_KEY", "MODEL_DIR")
    assert info.secret_names == ("HF_TOKEN", "AWS_SECRET_ACCESS_KEY")
    assert info.model_copies == ("models/model.onnx", "https://***@example.com/w.bin")
    assert info.add_urls == ("https://***@example.com/w.bin",)
    assert info.directives == {"syntax": "docker/dockerfile:1.6"}
    assert (info.line, info.end_line) == (1, 22)


def test_from_lines_are_image_refs_with_pins() -> None:
    images = [i for i in parse(DOCKERFILE) if isinstance(i, ImageRef)]
    assert [(i.ref, i.pin, i.line, i.stage_alias) for i in images] == [
        ("${BASE}", "variable", 4, "builder"),
        ("builder", "stage", 14, None),
    ]
    assert images[0].resolved_ref == "python:3.11-slim" and images[0].resolved_pin == "tag"
    assert [link.dst for link in images[0].links] == ["image:python:3.11-slim"]


def test_dockerfile_risks_with_lines() -> None:
    items = parse(DOCKERFILE)
    assert sorted(risks(items)) == sorted(
        [
            ("secret-in-arg", "medium", 3),
            ("pip-unpinned", "medium", 5),
            ("pip-no-cache-dir", "low", 5),
            ("curl-pipe-shell", "high", 8),
            ("apt-install-recommends", "low", 8),
            ("sudo", "medium", 8),
            ("chmod-777", "medium", 9),
            ("pip-unpinned", "medium", 9),
            ("secret-in-env", "high", 15),
            ("add-remote-url", "medium", 17),
        ]
    )
    found = [i for i in items if isinstance(i, DockerfileRisk)]
    assert next(i for i in found if i.line == 5 and i.risk == "pip-unpinned").detail == (
        "unpinned: torch"
    )
    heredoc = next(i for i in found if i.risk == "chmod-777")
    assert (heredoc.line, heredoc.end_line, heredoc.stage) == (9, 13, "builder")


def test_secret_values_never_leave_the_parser() -> None:
    dumped = "".join(i.model_dump_json() for i in parse(DOCKERFILE))
    assert "hunter2" not in dumped and ":pw@" not in dumped
    assert "ENV AWS_SECRET_ACCESS_KEY=***" in dumped


def test_no_user_means_root_and_healthcheck_none_disables() -> None:
    info = summary(parse("FROM ubuntu:22.04\nHEALTHCHECK NONE\nUSER root\n"))
    assert info.final_user == "root" and info.runs_as_root is True and info.healthcheck is False
    info = summary(parse("FROM ubuntu\nRUN true\n"))
    assert info.final_user is None and info.runs_as_root is True


def test_final_stage_inherits_user_from_parent_stage() -> None:
    text = "FROM python:3.12 AS base\nUSER 1000\nFROM base AS final\nCMD python app.py\n"
    info = summary(parse(text))
    assert info.final_user == "1000" and info.runs_as_root is False
    assert info.cmd == "python app.py"


@pytest.mark.parametrize(
    "run",
    [
        "ENV PIP_NO_CACHE_DIR=1\nRUN pip install a==1",
        "RUN --mount=type=cache,target=/root/.cache pip install a==1 b==2",
        "RUN pip install --no-cache-dir -e . ./pkg git+https://g/r.git x.whl",
        "RUN python -m pip install --no-cache-dir -r requirements.txt -c constraints.txt",
        "RUN apt-get install -y --no-install-recommends curl",
    ],
)
def test_clean_install_commands(run: str) -> None:
    assert risks(parse(f"FROM python:3.12\n{run}\n")) == []


def test_pipe_variants() -> None:
    found = risks(parse("FROM a\nRUN wget -qO- https://x | sh\nRUN bash <(curl -s https://y)\n"))
    assert found == [("wget-pipe-shell", "high", 2), ("curl-pipe-shell", "high", 3)]


def test_escape_directive_and_lowercase_instructions() -> None:
    text = (
        "# escape=`\nfrom mcr.microsoft.com/windows:ltsc2022\nrun echo a `\n  && echo b\n"
        "user ContainerUser\n"
    )
    items = parse(text, "Containerfile")
    info = summary(items)
    assert info.directives == {"escape": "`"}
    assert info.final_user == "ContainerUser"
    assert [i.line for i in items if isinstance(i, ImageRef)] == [2]


def test_arg_secret_default_is_not_used_for_resolution() -> None:
    items = parse("ARG API_TOKEN=abc\nARG BASE=alpine:3.19\nFROM $BASE\n")
    image = next(i for i in items if isinstance(i, ImageRef))
    assert image.resolved_ref == "alpine:3.19"
    assert "abc" not in "".join(i.model_dump_json() for i in items)


def test_dockerfile_globs() -> None:
    for path in ("Dockerfile", "docker/Dockerfile.gpu", "api.Dockerfile", "Containerfile"):
        assert "dockerfile" in [p.name for p in parsers_for(path)], path
    assert "dockerfile" not in [p.name for p in parsers_for("docs/dockerfile.md")]


COMPOSE = """\
services:
  api:
    build:
      context: ./api
      dockerfile: Dockerfile.prod
    ports: ["8000:8000", {target: 80, published: 8080}]
    environment:
      DB_PASSWORD: hunter2
      API_TOKEN: ${API_TOKEN}
      LOG_LEVEL: info
    depends_on:
      db: {condition: service_healthy}
    volumes: ["./models:/models:ro", "cache:/cache", "/var/run/docker.sock:/var/run/docker.sock"]
    deploy:
      resources:
        limits: {cpus: "2", memory: 4G}
        reservations:
          devices: [{driver: nvidia, capabilities: [gpu]}]
  db:
    image: postgres:16@sha256:abcd
    healthcheck:
      test: ["CMD", "pg_isready"]
    privileged: true
    restart: always
    user: "999"
    environment: ["POSTGRES_PASSWORD=hunter3", "POSTGRES_DB"]
  cache:
    image: redis
    healthcheck: {disable: true}
volumes:
  cache: {}
"""


def compose(text: str = COMPOSE, path: str = "deploy/docker-compose.prod.yml") -> list[Evidence]:
    return list(parse_compose(ParseInput(path, text)))


def test_compose_services() -> None:
    items = compose()
    services = {s.service: s for s in items if isinstance(s, ComposeService)}
    api, db, cache = services["api"], services["db"], services["cache"]
    assert api.line == 2 and db.line == 19 and cache.line == 27
    assert api.build_context == "./api" and api.dockerfile == "Dockerfile.prod"
    assert api.ports == ("8000:8000", "8080:80")
    assert api.depends_on == ("db",)
    assert api.host_volumes == ("./models", "/var/run/docker.sock")
    assert api.named_volumes == ("cache",)
    assert api.environment_names == ("DB_PASSWORD", "API_TOKEN", "LOG_LEVEL")
    assert api.secret_names == ("DB_PASSWORD",)  # API_TOKEN comes from the environment
    assert (api.cpu_limit, api.memory_limit, api.gpu, api.healthcheck) == ("2", "4G", True, None)
    assert db.image_pin == "digest" and db.privileged and db.restart == "always"
    assert db.user == "999" and db.healthcheck is True
    assert db.secret_names == ("POSTGRES_PASSWORD",)
    assert cache.image_pin == "untagged" and cache.healthcheck is False
    edges = {(link.src, link.dst, link.rel) for link in api.links}
    node = "service:deploy/docker-compose.prod.yml#api"
    assert (node, "file:deploy/api/Dockerfile.prod", "builds") in edges
    assert (node, "service:deploy/docker-compose.prod.yml#db", "depends") in edges
    assert ("file:deploy/docker-compose.prod.yml", node, "defines") in edges


def test_compose_images_and_environment() -> None:
    items = compose()
    images = [(i.ref, i.pin, i.line) for i in items if isinstance(i, ImageRef)]
    assert images == [("postgres:16@sha256:abcd", "digest", 20), ("redis", "untagged", 28)]
    runs = next(i for i in items if isinstance(i, ImageRef)).links[0]
    assert (runs.src, runs.rel) == ("service:deploy/docker-compose.prod.yml#db", "runs")
    env = [i for i in items if isinstance(i, EnvironmentSignal)]
    assert [(e.environment, e.source) for e in env] == [("prod", "file-name")]
    dumped = "".join(i.model_dump_json() for i in items)
    assert "hunter2" not in dumped and "hunter3" not in dumped


def test_compose_v1_layout_and_non_mapping() -> None:
    text = "web:\n  image: nginx:1.25\n  links: [db]\ndb:\n  image: mysql\n"
    items = compose(text, "docker-compose.yml")
    assert [s.service for s in items if isinstance(s, ComposeService)] == ["web", "db"]
    assert compose("- a\n- b\n", "composer.yaml") == []
    with pytest.raises(ValueError, match="invalid YAML"):
        compose("services: [unclosed\n", "compose.yaml")


def test_compose_globs() -> None:
    for path in ("docker-compose.yml", "ops/docker-compose.override.yaml", "compose.yaml"):
        assert "docker-compose" in [p.name for p in parsers_for(path)], path

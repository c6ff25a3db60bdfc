"""Shared infrastructure helpers: image pins, secret names, URI redaction, located YAML."""

from __future__ import annotations

import pytest

from hyperscore.evaluators.ingest import formats
from hyperscore.evaluators.ingest.formats import FormatError
from hyperscore.evaluators.ingest.parsers import infra_common
from hyperscore.evaluators.ingest.parsers.infra_common import (
    YamlList,
    YamlMap,
    environment_of,
    image_evidence,
    is_secret_name,
    load_yaml_located,
    mask_inline_secrets,
    parse_image_ref,
    redact_uri,
)


@pytest.mark.parametrize(
    ("ref", "image", "registry", "tag", "digest", "pin"),
    [
        ("python:3.11-slim", "python", None, "3.11-slim", None, "tag"),
        ("python", "python", None, None, None, "untagged"),
        ("nginx:latest", "nginx", None, "latest", None, "latest"),
        ("localhost:5000/app", "localhost:5000/app", "localhost:5000", None, None, "untagged"),
        ("localhost:5000/app:2", "localhost:5000/app", "localhost:5000", "2", None, "tag"),
        ("ghcr.io/o/a:1@sha256:ab", "ghcr.io/o/a", "ghcr.io", "1", "sha256:ab", "digest"),
        ("ubuntu@sha256:ff", "ubuntu", None, None, "sha256:ff", "digest"),
        ("${BASE_IMAGE}", "${BASE_IMAGE}", None, None, None, "variable"),
        ("repo/$NAME:1", "repo/$NAME:1", None, None, None, "variable"),
        ("{{ .Values.image }}", "{{ .Values.image }}", None, None, None, "variable"),
        ("scratch", "scratch", None, None, None, "scratch"),
        ('"quoted:1"', "quoted", None, "1", None, "tag"),
    ],
)
def test_parse_image_ref(
    ref: str, image: str, registry: str | None, tag: str | None, digest: str | None, pin: str
) -> None:
    spec = parse_image_ref(ref)
    assert (spec.image, spec.registry, spec.tag, spec.digest, spec.pin) == (
        image,
        registry,
        tag,
        digest,
        pin,
    )


def test_stage_alias_is_case_insensitive() -> None:
    assert parse_image_ref("Builder", ["builder"]).pin == "stage"
    assert parse_image_ref("builder2", ["builder"]).pin == "untagged"


def test_image_evidence_links_owner_and_resolved_variable() -> None:
    owned = image_evidence("k.yaml", 3, "nginx:1.25", "kubernetes", owner="k8s:Pod/default/p")
    assert [(link.src, link.dst, link.rel) for link in owned.links] == [
        ("k8s:Pod/default/p", "image:nginx:1.25", "runs")
    ]
    variable = image_evidence("Dockerfile", 2, "${BASE}", "dockerfile", resolved_ref="python:3")
    assert variable.pin == "variable" and variable.resolved_pin == "tag"
    assert [link.dst for link in variable.links] == ["image:python:3"]
    unresolved = image_evidence("Dockerfile", 2, "${BASE}", "dockerfile")
    assert unresolved.links == ()
    assert (
        image_evidence("Dockerfile", 5, "build", "dockerfile", stage_aliases=["build"]).links == ()
    )


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_ACCESS_KEY_ID", True),
        ("HF_TOKEN", True),
        ("DB_PASSWORD", True),
        ("OPENAI_API_KEY", True),
        ("apiKey", True),
        ("dbPassword", True),
        ("APIKEY", True),
        ("TOKENIZERS_PARALLELISM", False),
        ("POSTGRES_PASSWORD_FILE", False),
        ("CACHE_KEY", False),
        ("MODEL_DIR", False),
        ("", False),
    ],
)
def test_is_secret_name(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret


def test_redact_uri_masks_credentials_but_keeps_refs() -> None:
    assert redact_uri("https://user:pw@host/x") == "https://***@host/x"
    assert redact_uri("git::https://g/r.git?ref=v1.2.0") == "git::https://g/r.git?ref=v1.2.0"
    masked = redact_uri("https://a.blob.core.windows.net/c/m?sv=2020&sig=abc&se=1")
    assert "abc" not in masked and "sig=***" in masked and "sv=2020" in masked
    assert "zz9" not in redact_uri("https://h/x?token=zz9&page=2")


def test_mask_inline_secrets() -> None:
    masked = mask_inline_secrets('curl -H "Authorization: Bearer abc.def" https://u:p@h/x?token=zz')
    assert "abc.def" not in masked and "u:p" not in masked and "zz" not in masked
    assert len(mask_inline_secrets("x" * 1000)) == 160


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("deploy/overlays/prod/kustomization.yaml", ("prod", "prod", "directory")),
        ("envs/production/main.tf", ("prod", "production", "directory")),
        ("charts/api/values-staging.yaml", ("staging", "staging", "file-name")),
        ("docker-compose.dev.yml", ("dev", "dev", "file-name")),
        ("tests/integration/main.tf", None),
        ("values.yaml", None),
    ],
)
def test_environment_of(path: str, expected: tuple[str, str, str] | None) -> None:
    assert environment_of(path) == expected


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the libyaml fast path and with the pure-Python limited loader."""
    if request.param == "pure-python":
        python_loaders = {
            tolerant: infra_common._located(formats.LimitedLoader, tolerant)
            for tolerant in (False, True)
        }
        monkeypatch.setattr(infra_common, "_FAST", False)
        monkeypatch.setattr(infra_common, "_LOADERS", python_loaders)
    return str(request.param)


@pytest.mark.usefixtures("yaml_backend")
def test_located_yaml_lines() -> None:
    text = "a: 1\nb:\n  c:\n    - x: 1\n      y: 2\n    - z\nwhen: 2024-01-01\n---\nk: v\n"
    first, second = load_yaml_located(text)
    assert isinstance(first, YamlMap) and first.key_lines == {"a": 1, "b": 2, "when": 7}
    items = first["b"]["c"]
    assert isinstance(items, YamlList) and items.item_lines == [4, 6]
    assert items[0].line == 4 and items[0].end_line == 5
    assert first["when"] == "2024-01-01"  # timestamps stay strings
    assert second.line == 9


@pytest.mark.usefixtures("yaml_backend")
def test_located_yaml_keeps_raw_scalar_keys() -> None:
    (doc,) = load_yaml_located("on: push\n80: http\n")
    assert set(doc) == {"on", "80"}


@pytest.mark.usefixtures("yaml_backend")
def test_cloudformation_tags_only_with_tolerant_loader() -> None:
    text = "A: !Ref Bucket\nB: !GetAtt X.Arn\nC: !Sub [a, {b: 1}]\n"
    with pytest.raises(FormatError):
        load_yaml_located(text)
    (doc,) = load_yaml_located(text, tolerant_tags=True)
    assert doc == {
        "A": {"Ref": "Bucket"},
        "B": {"Fn::GetAtt": "X.Arn"},
        "C": {"Fn::Sub": ["a", {"b": 1}]},
    }


@pytest.mark.usefixtures("yaml_backend")
def test_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    bomb += "z: [" + ", ".join(["*a"] * 120) + "]\n"
    with pytest.raises(FormatError):
        load_yaml_located(bomb)


@pytest.mark.usefixtures("yaml_backend")
def test_python_tags_are_refused_even_when_tolerant() -> None:
    with pytest.raises(FormatError):
        load_yaml_located("x: !!python/object/apply:os.system [ls]\n", tolerant_tags=True)


@pytest.mark.usefixtures("yaml_backend")
def test_deep_nesting_is_refused() -> None:
    deep = "".join(" " * i + "k:\n" for i in range(150)) + " " * 150 + "v\n"
    with pytest.raises(FormatError, match="deeper"):
        load_yaml_located(deep)
    with pytest.raises(FormatError):
        load_yaml_located("[" * 5000 + "]" * 5000)


@pytest.mark.usefixtures("yaml_backend")
def test_recursive_anchor_does_not_loop() -> None:
    try:
        docs = load_yaml_located("a: &a [*a]\n")
    except FormatError:
        return
    assert docs[0]["a"][0] is docs[0]["a"]

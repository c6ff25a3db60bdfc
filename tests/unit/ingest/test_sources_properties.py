"""Properties of the path, link and URL rules every source shares (hypothesis)."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from hyperscore.evaluators.ingest.sources import (
    display_path,
    normalise_relative,
    redact_text,
    redact_url,
    resolve_in_tree,
)

COMPONENTS = st.sampled_from(["a", "b", "c", ".", "..", "", "d e", "é", "\\", "x\n"])
PATHS = st.lists(COMPONENTS, min_size=1, max_size=6).map("/".join)
PATHS_MAYBE_ABSOLUTE = st.tuples(st.booleans(), PATHS).map(lambda t: ("/" if t[0] else "") + t[1])


def is_clean(path: str) -> bool:
    parts = path.split("/")
    return not path.startswith("/") and all(p not in ("", ".", "..") for p in parts)


@settings(max_examples=300, deadline=None)
@given(PATHS_MAYBE_ABSOLUTE)
def test_normalised_member_names_never_leave_the_root(name: str) -> None:
    path, why = normalise_relative(name)
    if path is None:
        assert why
    else:
        assert is_clean(path) and why == ""


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "a/b", "c/d", "c", "d"]), PATHS_MAYBE_ABSOLUTE, max_size=6
    ),
    PATHS,
)
def test_symlink_resolution_terminates_inside_the_tree(links: dict[str, str], start: str) -> None:
    outcome, resolved = resolve_in_tree(start, links.get)
    assert outcome in ("ok", "escape", "loop")
    if outcome == "ok":
        assert resolved == "" or is_clean(resolved)
        assert resolved not in links  # fully resolved: never stops on a link


SECRET_CHARS = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@%[] \"<>"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=SECRET_CHARS, min_size=1, max_size=30),
    st.sampled_from(["https", "http", "ssh", "git"]),
)
def test_passwords_never_survive_redaction(password: str, scheme: str) -> None:
    url = f"{scheme}://deploy:{password}@git.example.org/org/repo.git"
    assert redact_url(url) == f"{scheme}://deploy:***@git.example.org/org/repo.git"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + "-._~", min_size=8, max_size=40))
def test_tokens_in_messages_are_masked(token: str) -> None:
    message = f"fatal: unable to access 'https://{token}@h.example/r.git/?token={token}': 403"
    assert token not in redact_text(message)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_any_file_name_displays_as_serialisable_text(raw: bytes) -> None:
    shown = display_path(raw.decode("utf-8", "surrogateescape"))
    shown.encode("utf-8")  # never raises
    assert not any(ord(c) < 32 for c in shown)

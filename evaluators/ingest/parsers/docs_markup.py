"""Line scanners that split Markdown into sections, plus the helpers all scanners share.

These are deliberately not full CommonMark/docutils parsers: ingestion needs headings, section
bodies, fenced code blocks, local links and badges with exact line numbers, at thousands of
files per second, from text that may be malformed. Each scanner is one linear pass over the
lines; every regex is compiled once here. Results use 0-based line indices relative to the
text given, so the notebook parser can map them onto the notebook's JSON lines. The
reStructuredText and plain-text scanners live in :mod:`docs_rst`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

MAX_HEADING_CHARS = 200
MAX_LINKS = 500
MAX_SECTIONS = 2000
MAX_BLOCKS = 1000


@dataclass
class Heading:
    """A heading: ``line`` is its first line, ``body`` the first line after it."""

    text: str
    level: int
    line: int
    body: int


@dataclass
class Block:
    """A fenced/directive code block; ``runnable_marker`` says what marked it runnable."""

    language: str
    info: str
    line: int
    end_line: int
    text: str
    runnable_marker: str | None = None
    doctest: bool = False
    heading_path: tuple[str, ...] = ()


@dataclass
class Ref:
    """A reference from the document to a target (URL or path) as written."""

    target: str
    label: str
    line: int
    link_type: str


@dataclass
class Badge:
    image_url: str
    link_url: str | None
    alt: str
    line: int


@dataclass
class Section:
    heading: str
    level: int
    heading_path: tuple[str, ...]
    line: int
    end_line: int
    body: str
    continuation: bool = False


@dataclass
class Markup:
    """Everything one scan found. ``stack`` is the heading stack at the end of the text."""

    sections: list[Section] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    badges: list[Badge] = field(default_factory=list)
    front_matter: str | None = None
    stack: list[tuple[int, str]] = field(default_factory=list)


def split_lines(text: str) -> list[str]:
    """Lines as editors and ``ast`` count them: CRLF and lone CR are newlines, nothing else.

    A leading byte-order mark is dropped (it would hide a heading on the first line).
    """
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


# --- shared helpers -------------------------------------------------------------------------

_INLINE_CODE = re.compile(r"`+[^`\n]*`+")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*)")
_TAGS = re.compile(r"<[^>\n]*>")
_EMPHASIS = re.compile(r"[*_`]+")
_HEADING_ID = re.compile(r"\{#[^}]*\}\s*$")


def clean_heading(text: str) -> str:
    """Heading text without inline markup (links keep their label), bounded in length."""
    text = text[: MAX_HEADING_CHARS * 5]
    text = _MD_LINK.sub(r"\1", text)
    text = _TAGS.sub("", text)
    text = _EMPHASIS.sub("", text)
    text = _HEADING_ID.sub("", text)
    return " ".join(text.split())[:MAX_HEADING_CHARS]


def build_sections(
    lines: list[str],
    headings: list[Heading],
    skip_until: int,
    stack: list[tuple[int, str]],
) -> tuple[list[Section], list[int], list[tuple[str, ...]]]:
    """Turn heading positions into sections; also return starts and paths for lookups.

    The text before the first heading becomes a preamble section (level 0) when it has
    content; with an inherited ``stack`` (notebook cells) it continues the open section.
    """
    sections: list[Section] = []
    starts: list[int] = []
    paths: list[tuple[str, ...]] = []
    inherited = tuple(text for _, text in stack)
    first = headings[0].line if headings else len(lines)
    pre = _body(lines, skip_until, first)
    if pre[0]:
        sections.append(
            Section(
                heading=inherited[-1] if inherited else "",
                level=stack[-1][0] if stack else 0,
                heading_path=inherited,
                line=pre[1],
                end_line=pre[2],
                body=pre[0],
                continuation=bool(stack),
            )
        )
    starts.append(-1)
    paths.append(inherited)
    for idx, head in enumerate(headings):
        while stack and stack[-1][0] >= head.level:
            stack.pop()
        stack.append((head.level, head.text))
        path = tuple(text for _, text in stack)
        end = headings[idx + 1].line if idx + 1 < len(headings) else len(lines)
        body, _, last = _body(lines, head.body, end)
        sections.append(
            Section(
                heading=head.text,
                level=head.level,
                heading_path=path,
                line=head.line,
                end_line=max(last, head.body - 1) if body else head.body - 1,
                body=body,
            )
        )
        starts.append(head.line)
        paths.append(path)
    return sections, starts, paths


def _body(lines: list[str], start: int, end: int) -> tuple[str, int, int]:
    """Stripped text of ``lines[start:end]`` with its first and last non-blank line index."""
    first = start
    while first < end and not lines[first].strip():
        first += 1
    last = end - 1
    while last >= first and not lines[last].strip():
        last -= 1
    if first > last:
        return "", start, start
    return "\n".join(lines[first : last + 1]), first, last


def assign_paths(blocks: list[Block], starts: list[int], paths: list[tuple[str, ...]]) -> None:
    for block in blocks:
        block.heading_path = paths[bisect.bisect_right(starts, block.line) - 1]


# --- Markdown -------------------------------------------------------------------------------

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_HTML_HEADING = re.compile(r"^\s*<h([1-6])\b[^>]*>(.*?)</h\1>\s*$", re.IGNORECASE)
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
_NOT_PARAGRAPH = re.compile(r"^\s*(?:[-*+>|]|\d+[.)]\s|<)")
_RUNNABLE_COMMENT = re.compile(r"<!--\s*[\w:.-]*\s*runnable\b", re.IGNORECASE)
_RUNNABLE_INFO = re.compile(r"(?:^|[\s{,.])runnable\b", re.IGNORECASE)
DOCTEST_PROMPT = re.compile(r"^[ \t]*>>>\s", re.MULTILINE)
DOCTEST_COMMENT = re.compile(r"^\s*#\s*doctest\b", re.IGNORECASE)
# Destinations stop at brackets/parentheses and repetitions are bounded, so a line of
# thousands of unclosed ``[](`` costs linear time (real destinations rarely contain them).
_DEST = r"\s*<?([^()\[\]\s<>]{1,1000})>?(?:\s+[\"'(][^()\[\]\n]{0,300})?\s*\)"
_BADGE_INLINE = re.compile(r"\[!\[([^\[\]\n]{0,500})\]\(" + _DEST + r"\]\(" + _DEST)
_BADGE_REF = re.compile(r"\[!\[([^\]\n]*)\]\[([^\]\n]*)\]\]\[([^\]\n]*)\]")
_IMAGE_REF = re.compile(r"!\[([^\]\n]*)\]\[([^\]\n]*)\]")
_LINK_INLINE = re.compile(r"(!?)\[([^\[\]\n]{0,500})\]\(" + _DEST)
_REF_DEF = re.compile(r"^ {0,3}\[([^\]\n]+)\]:\s*<?(\S+?)>?(?:\s+.*)?$")
# Bounded repetitions keep these linear on hostile one-line documents.
_HTML_A_IMG = re.compile(
    r"<a\s[^<>]{0,500}?href\s*=\s*[\"']([^\"'<>]{1,1000})[\"'][^<>]{0,500}>\s*"
    r"<img\s[^<>]{0,500}?src\s*=\s*[\"']([^\"'<>]{1,1000})[\"']([^<>]{0,500})>",
    re.IGNORECASE,
)
_HTML_SRC = re.compile(
    r"<(img|a|source)\s[^<>]{0,500}?(?:src|href)\s*=\s*[\"']([^\"'<>]{1,1000})[\"']", re.I
)
_HTML_ALT = re.compile(r"alt\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)


def scan_markdown(
    text: str, stack: list[tuple[int, str]] | None = None, allow_front_matter: bool = True
) -> Markup:
    """Headings (ATX, setext, HTML ``<hN>``), fenced code, links and badges of Markdown."""
    lines = split_lines(text)
    out = Markup()
    headings: list[Heading] = []
    ref_defs: dict[str, str] = {}
    pending_badges: list[tuple[str, str, str, int]] = []
    skip_until = 0
    if allow_front_matter and lines and lines[0].strip() == "---":
        for idx in range(1, len(lines)):
            if lines[idx].strip() in ("---", "..."):
                out.front_matter = "\n".join(lines[1:idx])
                skip_until = idx + 1
                break
    fence: tuple[str, int, int, str, str | None] | None = None  # char, len, start, info, marker
    fence_lines: list[str] = []
    in_comment = False
    paragraph: int | None = None
    marker_line = -2
    idx = skip_until - 1
    for idx in range(skip_until, len(lines)):
        line = lines[idx]
        if fence is not None:
            close = _FENCE.match(line)
            char, size, start, info, marker = fence
            if (
                close
                and close.group(2)[0] == char
                and len(close.group(2)) >= size
                and not (close.group(3).strip())
            ):
                out.blocks.append(_md_block(info, start, idx, fence_lines, marker))
                fence = None
            else:
                fence_lines.append(line)
            continue
        if in_comment:
            if "-->" in line:
                in_comment = False
            continue
        stripped = line.strip()
        if not stripped:
            paragraph = None
            continue
        if stripped.startswith("<!--"):
            if _RUNNABLE_COMMENT.search(stripped):
                marker_line = idx
            if "-->" not in stripped:
                in_comment = True
            paragraph = None
            continue
        opened = _FENCE.match(line)
        if opened and not (opened.group(2)[0] == "`" and "`" in opened.group(3)):
            info = opened.group(3).strip()
            marker = "comment" if prev_nonblank(lines, idx) == marker_line else None
            if marker is None and _RUNNABLE_INFO.search(info):
                marker = "info-string"
            fence = (opened.group(2)[0], len(opened.group(2)), idx, info, marker)
            fence_lines = []
            paragraph = None
            continue
        atx = _ATX.match(line)
        if atx:
            headings.append(
                Heading(clean_heading(_atx_text(atx.group(2))), len(atx.group(1)), idx, idx + 1)
            )
            paragraph = None
            _md_refs(line, idx, out, ref_defs, pending_badges)
            continue
        if paragraph is not None and _SETEXT.match(line):
            title = " ".join(part.strip() for part in lines[paragraph:idx])
            level = 1 if stripped[0] == "=" else 2
            headings.append(Heading(clean_heading(title), level, paragraph, idx + 1))
            paragraph = None
            continue
        html = _HTML_HEADING.match(line)
        if html:
            headings.append(Heading(clean_heading(html.group(2)), int(html.group(1)), idx, idx + 1))
            paragraph = None
            _md_refs(line, idx, out, ref_defs, pending_badges)
            continue
        if (
            paragraph is None
            and not line.startswith(("    ", "\t"))
            and not _NOT_PARAGRAPH.match(line)
        ):
            paragraph = idx
        _md_refs(line, idx, out, ref_defs, pending_badges)
    if fence is not None:  # unclosed: the block runs to the last non-blank line
        char, size, start, info, marker = fence
        while fence_lines and not fence_lines[-1].strip():
            fence_lines.pop()
        out.blocks.append(_md_block(info, start, start + len(fence_lines), fence_lines, marker))
    for alt, image_ref, link_ref, line_no in pending_badges:
        image = ref_defs.get(image_ref.lower()) or ref_defs.get(alt.lower())
        if image and looks_like_badge(image):
            out.badges.append(Badge(image, ref_defs.get(link_ref.lower()), alt, line_no))
    work_stack = list(stack or [])
    del headings[MAX_SECTIONS:], out.blocks[MAX_BLOCKS:]
    sections, starts, paths = build_sections(lines, headings, skip_until, work_stack)
    assign_paths(out.blocks, starts, paths)
    out.sections = sections
    out.stack = work_stack
    del out.refs[MAX_LINKS:]
    return out


def _atx_text(raw: str | None) -> str:
    """ATX heading text without its optional closing ``###`` sequence (linear, no regex)."""
    text = (raw or "").strip()
    closed = text.rstrip("#")
    if closed != text and (not closed or closed[-1] in " \t"):
        text = closed.rstrip()
    return text


def prev_nonblank(lines: list[str], idx: int) -> int:
    idx -= 1
    while idx >= 0 and not lines[idx].strip():
        idx -= 1
    return idx


def _md_block(info: str, start: int, end: int, body: list[str], marker: str | None) -> Block:
    text = "\n".join(body)
    if marker is None and body and DOCTEST_COMMENT.match(body[0]):
        marker = "doctest-comment"
    language = info
    if language.startswith("{"):
        inner = language.strip("{}").split()
        classes = [tok[1:] for tok in inner if tok.startswith(".") and tok != ".runnable"]
        language = classes[0] if classes else ""
    else:
        language = language.split(maxsplit=1)[0] if language else ""
        language = language.split("{", 1)[0].split(",", 1)[0]
    return Block(
        language=language.lower()[:40],
        info=info[:120],
        line=start,
        end_line=end,
        text=text,
        runnable_marker=marker,
        doctest=bool(DOCTEST_PROMPT.search(text)),
    )


def _md_refs(
    line: str,
    idx: int,
    out: Markup,
    ref_defs: dict[str, str],
    pending_badges: list[tuple[str, str, str, int]],
) -> None:
    """Links, images, reference definitions and badges on one non-code Markdown line."""
    if "[" not in line and "<" not in line:
        return
    if "`" in line:
        line = _INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)
    ref_def = _REF_DEF.match(line)
    if ref_def:
        ref_defs[ref_def.group(1).strip().lower()] = ref_def.group(2)
        out.refs.append(Ref(ref_def.group(2), ref_def.group(1).strip(), idx, "reference"))
        return
    if "](" in line:
        for match in _BADGE_INLINE.finditer(line):
            alt, image, link = match.groups()
            if looks_like_badge(image):
                out.badges.append(Badge(image, link, alt, idx))
            else:
                out.refs.append(Ref(image, alt, idx, "image"))
            out.refs.append(Ref(link, alt, idx, "link"))
        if "[![" in line:
            line = _BADGE_INLINE.sub(lambda m: " " * len(m.group(0)), line)
        for match in _LINK_INLINE.finditer(line):
            bang, label, target = match.groups()
            if bang and looks_like_badge(target):
                out.badges.append(Badge(target, None, label, idx))
            else:
                out.refs.append(Ref(target, label, idx, "image" if bang else "link"))
    if "][" in line:
        for match in _BADGE_REF.finditer(line):
            pending_badges.append((match.group(1), match.group(2), match.group(3), idx))
        line = _BADGE_REF.sub(lambda m: " " * len(m.group(0)), line)
        for match in _IMAGE_REF.finditer(line):
            pending_badges.append((match.group(1), match.group(2), "", idx))
    if "<" in line:
        consumed: set[str] = set()
        for match in _HTML_A_IMG.finditer(line):
            href, src, rest = match.groups()
            if looks_like_badge(src):
                alt = _HTML_ALT.search(rest)
                out.badges.append(Badge(src, href, alt.group(1) if alt else "", idx))
                consumed.update((href, src))
        for match in _HTML_SRC.finditer(line):
            tag, target = match.groups()
            if target in consumed:
                continue
            if tag.lower() == "img" and looks_like_badge(target):
                out.badges.append(Badge(target, None, "", idx))
            else:
                out.refs.append(Ref(target, "", idx, "image" if tag.lower() == "img" else "html"))


_BADGE_HOSTS = (
    "shields.io",
    "badge.fury.io",
    "codecov.io",
    "coveralls.io",
    "travis-ci.",
    "circleci.com",
    "readthedocs.org/projects",
    "readthedocs.io/projects",
    "pepy.tech",
    "app.codacy.com",
    "sonarcloud.io/api/project_badges",
    "api.securityscorecards.dev",
    "bestpractices.",
    "colab.research.google.com/assets",
    "mybinder.org/badge",
    "api.codeclimate.com",
    "snyk.io/test",
    "anaconda.org",
    "deepsource.io",
    "img.shields",
    "badgen.net",
)


def looks_like_badge(url: str) -> bool:
    """Whether an image URL is a status badge (CI, coverage, version...) rather than a figure."""
    low = url.lower()
    if not low.startswith(("http://", "https://", "//")):
        return False
    return (
        "badge" in low
        or low.endswith(("/pipeline.svg", "/coverage.svg", "/build.svg"))
        or any(host in low for host in _BADGE_HOSTS)
    )

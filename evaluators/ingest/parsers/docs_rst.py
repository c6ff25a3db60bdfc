"""Line scanners for reStructuredText and plain text (see :mod:`docs_markup` for Markdown).

RST titles are underlined (optionally overlined) text whose level follows the order in which
each adornment style first appears, as docutils does; code comes from ``code-block``/
``doctest``-style directives, ``::`` literal blocks and ``>>>`` doctest blocks. Plain text
is split on stand-alone title lines. Both return the same :class:`Markup` as Markdown.
"""

from __future__ import annotations

import re

from hyperscore.evaluators.ingest.parsers.docs_markup import (
    DOCTEST_COMMENT,
    DOCTEST_PROMPT,
    MAX_BLOCKS,
    MAX_LINKS,
    MAX_SECTIONS,
    Badge,
    Block,
    Heading,
    Markup,
    Ref,
    assign_paths,
    build_sections,
    clean_heading,
    looks_like_badge,
    prev_nonblank,
    split_lines,
)

_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+\s*$")
_RST_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(?:\|[^|]+\|\s+)?([\w:-]+)::\s*(.*)$")
_RST_CODE_DIRECTIVES = {"code-block": "", "code": "", "sourcecode": "", "highlight": ""}
_RST_RUN_DIRECTIVES = {"doctest", "testcode", "jupyter-execute", "ipython", "runblock", "exec"}
_RST_LINK_DIRECTIVES = {
    "image": "image",
    "figure": "image",
    "include": "include",
    "literalinclude": "include",
    "download": "link",
}
_RST_INLINE_LINK = re.compile(r"`([^`<]*)<([^`>]+)>`__?")
_RST_TARGET = re.compile(r"^\s*\.\.\s+_([^:]+):\s*(\S+)\s*$")
_RST_ROLE = re.compile(r":(doc|download|ref):`(?:([^`<]*)<)?([^`>]+)>?`")
_RST_OPTION = re.compile(r"^\s+:([\w-]+):\s*(.*)$")
_RST_COMMENT_RUNNABLE = re.compile(r"^\s*\.\.\s+[\w:-]*\s*runnable\b", re.IGNORECASE)


def scan_rst(text: str) -> Markup:
    """Titles (underlined and overlined; levels by first appearance of each style), code
    directives and literal blocks, local references, and ``image::`` badges."""
    lines = split_lines(text)
    out = Markup()
    headings: list[Heading] = []
    styles: dict[tuple[str, bool], int] = {}
    count = len(lines)
    idx = 0
    marker_line = -2
    while idx < count:
        line = lines[idx]
        stripped = line.strip()
        if not stripped:
            idx += 1
            continue
        blank_before = idx == 0 or not lines[idx - 1].strip()
        adorn = _RST_ADORNMENT.match(line)
        if adorn and blank_before and idx + 2 < count:
            under = _RST_ADORNMENT.match(lines[idx + 2])
            title = lines[idx + 1].strip()
            if (
                under
                and under.group(1) == adorn.group(1)
                and title
                and not _RST_ADORNMENT.match(lines[idx + 1])
            ):
                level = styles.setdefault((adorn.group(1), True), len(styles) + 1)
                headings.append(Heading(clean_heading(title), level, idx, idx + 3))
                idx += 3
                continue
        if (
            not adorn
            and blank_before
            and not line[0].isspace()
            and idx + 1 < count
            and not stripped.startswith("..")
        ):
            under = _RST_ADORNMENT.match(lines[idx + 1])
            underline = lines[idx + 1].rstrip()
            if under and (len(underline) >= len(line.rstrip()) or len(underline) >= 3):
                level = styles.setdefault((under.group(1), False), len(styles) + 1)
                headings.append(Heading(clean_heading(stripped), level, idx, idx + 2))
                idx += 2
                continue
        directive = _RST_DIRECTIVE.match(line)
        if directive:
            idx = _rst_directive(lines, idx, directive, out, marker_line)
            continue
        if _RST_COMMENT_RUNNABLE.match(line):
            marker_line = idx
            idx += 1
            continue
        _rst_refs(line, idx, out)
        if stripped.endswith("::") and not stripped.startswith(".."):
            idx = _rst_literal(lines, idx, out)
            continue
        if stripped.startswith(">>>") and blank_before:
            end = idx
            while end + 1 < count and lines[end + 1].strip():
                end += 1
            block_text = "\n".join(lines[idx : end + 1])
            out.blocks.append(Block("pycon", "", idx, end, block_text, None, True))
            idx = end + 1
            continue
        idx += 1
    del headings[MAX_SECTIONS:], out.blocks[MAX_BLOCKS:]
    sections, starts, paths = build_sections(lines, headings, 0, out.stack)
    assign_paths(out.blocks, starts, paths)
    out.sections = sections
    del out.refs[MAX_LINKS:]
    return out


def _indented_block(lines: list[str], start: int, indent: int) -> int:
    """Index of the last line of the block indented deeper than ``indent`` after ``start``."""
    end = start
    for idx in range(start + 1, len(lines)):
        line = lines[idx]
        if not line.strip():
            continue
        if len(line) - len(line.lstrip()) <= indent:
            break
        end = idx
    return end


def _rst_directive(
    lines: list[str], idx: int, match: re.Match[str], out: Markup, marker_line: int
) -> int:
    indent, name, argument = len(match.group(1)), match.group(2).lower(), match.group(3).strip()
    end = _indented_block(lines, idx, indent)
    if name in _RST_CODE_DIRECTIVES or name in _RST_RUN_DIRECTIVES:
        body = [line for line in lines[idx + 1 : end + 1] if not _RST_OPTION.match(line)]
        while body and not body[0].strip():
            body.pop(0)
        marker = "directive" if name in _RST_RUN_DIRECTIVES else None
        if marker is None and prev_nonblank(lines, idx) == marker_line:
            marker = "comment"
        block_text = _dedent(body)
        if marker is None and body and DOCTEST_COMMENT.match(block_text):
            marker = "doctest-comment"
        language = argument.split()[0].lower() if argument else ""
        if not language and name in _RST_RUN_DIRECTIVES:
            language = "python"
        out.blocks.append(
            Block(
                language[:40],
                f"{name}:: {argument}"[:120],
                idx,
                end,
                block_text,
                marker,
                bool(DOCTEST_PROMPT.search(block_text)) or name == "doctest",
            )
        )
        return end + 1
    link_type = _RST_LINK_DIRECTIVES.get(name)
    if link_type and argument:
        options = {
            opt.group(1).lower(): opt.group(2).strip()
            for opt in map(_RST_OPTION.match, lines[idx + 1 : end + 1])
            if opt
        }
        if link_type == "image" and looks_like_badge(argument):
            out.badges.append(Badge(argument, options.get("target"), options.get("alt", ""), idx))
        else:
            out.refs.append(Ref(argument, options.get("alt", ""), idx, link_type))
            if "target" in options:
                out.refs.append(Ref(options["target"], "", idx, "link"))
        return end + 1
    return idx + 1


def _rst_literal(lines: list[str], idx: int, out: Markup) -> int:
    """A paragraph ending in ``::`` introduces an indented literal block."""
    indent = len(lines[idx]) - len(lines[idx].lstrip())
    end = _indented_block(lines, idx, indent)
    if end == idx:
        return idx + 1
    block_text = _dedent(lines[idx + 1 : end + 1])
    out.blocks.append(
        Block("", "::", idx, end, block_text, None, bool(DOCTEST_PROMPT.search(block_text)))
    )
    return end + 1


def _dedent(lines: list[str]) -> str:
    widths = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(widths) if widths else 0
    return "\n".join(line[cut:] for line in lines).strip("\n")


def _rst_refs(line: str, idx: int, out: Markup) -> None:
    if "`" not in line and ".. _" not in line:
        return
    target = _RST_TARGET.match(line)
    if target:
        out.refs.append(Ref(target.group(2), target.group(1).strip(), idx, "reference"))
        return
    for match in _RST_INLINE_LINK.finditer(line):
        out.refs.append(Ref(match.group(2).strip(), match.group(1).strip(), idx, "link"))
    for match in _RST_ROLE.finditer(line):
        role, label, target_text = match.groups()
        if role == "ref":
            continue
        link_type = "doc-role" if role == "doc" else "link"
        out.refs.append(Ref(target_text.strip(), (label or "").strip(), idx, link_type))


# --- plain text -----------------------------------------------------------------------------

_TEXT_UNDERLINE = re.compile(r"^\s*([=\-~*#])\1{2,}\s*$")
_TEXT_NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*[.)]?|[IVX]+\.)\s+[A-Z]\S*")


def scan_text(text: str) -> Markup:
    """Plain text: one section, split on title lines.

    A title line stands alone between blank lines (or is underlined with ``===``/``---``) and
    is short, not sentence-like: ALL CAPS, numbered (``2. Usage``), or ending in ``:``.
    """
    lines = split_lines(text)
    out = Markup()
    headings: list[Heading] = []
    count = len(lines)
    for idx, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or len(stripped) > 80:
            continue
        before = idx == 0 or not lines[idx - 1].strip()
        if not before:
            continue
        nxt = lines[idx + 1] if idx + 1 < count else ""
        under = _TEXT_UNDERLINE.match(nxt)
        if under and not _TEXT_UNDERLINE.match(line):
            headings.append(Heading(stripped, 1 if under.group(1) == "=" else 2, idx, idx + 2))
            continue
        if nxt.strip() or len(stripped.split()) > 8 or stripped[-1] in ".,;!?":
            continue
        letters = [ch for ch in stripped if ch.isalpha()]
        if letters and all(ch.isupper() for ch in letters) and len(letters) >= 3:
            headings.append(Heading(stripped.rstrip(":"), 1, idx, idx + 1))
        elif _TEXT_NUMBERED.match(stripped) or (stripped.endswith(":") and stripped[0].isupper()):
            headings.append(Heading(stripped.rstrip(":"), 2, idx, idx + 1))
    del headings[MAX_SECTIONS:]
    out.sections, _, _ = build_sections(lines, headings, 0, out.stack)
    return out

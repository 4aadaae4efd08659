"""Markdown a rater's browser can draw without fetching anything: images and links as text.

An answer (or a prompt) is markdown written by someone else. Drawn as is, an image
``![](https://host/pixel.png)`` makes the rater's browser call that host: a beacon that
tells the host the rater's address and when they read the answer. A link is one click
away from the same. :func:`inert_markdown` keeps the formatting (emphasis, lists,
tables, headings, code) and makes image, link and HTML syntax show as the text typed.

How: every image, link, reference definition, ``<autolink>``, HTML tag and bare URL
needs two characters side by side (``![``, ``](``, ``][``, ``]:``, ``<`` and a letter,
``://``, ``www.``). A word joiner (U+2060) between them breaks the syntax. It is
invisible and, unlike a zero-width space, adds no place to wrap a line, so the rater
reads exactly what the model wrote. It goes in everywhere, code included, so safety
never depends on telling code from prose: a wrong guess about where code starts would
let a link form. In code the joiner changes nothing visible.

Two changes are only cosmetic and skip code (fenced blocks and inline code spans, found
by a simple scan; a wrong guess shows a stray backslash or lost line break, nothing more):
``$`` is escaped so dollar amounts are not read as LaTeX math, and single line breaks
become hard breaks so the lines of a poem or an address stay lines.
"""

from __future__ import annotations

import re

__all__ = ["WORD_JOINER", "inert_markdown"]

WORD_JOINER = "\u2060"
"""Invisible character put between the two halves of an image, link or tag opener."""

# Each pattern matches the empty position between two characters that together open
# an image, link, reference, autolink, HTML tag or GFM autolink literal.
_SYNTAX_JOINTS = re.compile(
    r"(?<=[!\]])(?=\[)"  # ![ image; ][ full or collapsed reference
    r"|(?<=\])(?=[(:])"  # ]( inline link or image; ]: reference or footnote definition
    r"|(?<=<)(?=[A-Za-z/!?])"  # <https://...>, <a@b.c>, <img ...>, </a>, <!-- -->, <?
    r"|(?<=:)(?=//)"  # https://... as a bare URL
    r"|(?i:(?<=www)(?=\.))"  # www.example.com as a bare URL
    r"|(?<=`{3})(?=[ \t]*mermaid)"  # ```mermaid would draw a diagram (labels may hold HTML)
    r"|(?<=~{3})(?=[ \t]*mermaid)"
)

# A line opening a fenced code block: 3+ backticks or tildes.
_FENCE_OPEN = re.compile(r"^[ \t]*(`{3,}|~{3,})")

# An inline code span: n backticks, then anything on the same paragraph up to exactly n.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)\1(?!`)", re.DOTALL)

# A dollar sign with the backslashes before it (an odd count means it is escaped already).
_DOLLAR = re.compile(r"(\\*)\$")

# A line break inside a paragraph: text before, more text on the next line.
_SOFT_BREAK = re.compile(r"(?<=\S)[ \t]*\n(?=[ \t]*\S)")


def _escape_dollar(match: re.Match[str]) -> str:
    slashes = match.group(1)
    return match.group(0) if len(slashes) % 2 else f"{slashes}\\$"


def _prose(text: str, *, hard_breaks: bool) -> str:
    text = _DOLLAR.sub(_escape_dollar, text)
    return _SOFT_BREAK.sub("  \n", text) if hard_breaks else text


def _split_fences(text: str) -> list[tuple[bool, str]]:
    """(is fenced code, chunk) in order; the chunks joined give back ``text``."""
    chunks: list[tuple[bool, str]] = []
    lines: list[str] = []
    fence = ""
    for line in text.splitlines(keepends=True):
        if fence:
            lines.append(line)
            closing = line.strip()
            if closing and set(closing) == {fence[0]} and len(closing) >= len(fence):
                chunks.append((True, "".join(lines)))
                lines, fence = [], ""
            continue
        opening = _FENCE_OPEN.match(line)
        if opening:
            if lines:
                chunks.append((False, "".join(lines)))
            fence, lines = opening.group(1), [line]
            continue
        lines.append(line)
    if lines:
        chunks.append((bool(fence), "".join(lines)))
    return chunks


def _outside_code(text: str, *, hard_breaks: bool) -> str:
    """Apply the cosmetic changes to ``text`` except inside the code it can spot."""
    out: list[str] = []
    for is_fenced, chunk in _split_fences(text):
        if is_fenced:
            out.append(chunk)
            continue
        last = 0
        for span in _CODE_SPAN.finditer(chunk):
            out.append(_prose(chunk[last : span.start()], hard_breaks=hard_breaks))
            out.append(span.group(0))
            last = span.end()
        out.append(_prose(chunk[last:], hard_breaks=hard_breaks))
    return "".join(out)


def inert_markdown(text: str, *, hard_breaks: bool = True) -> str:
    """Markdown that draws no image, link or HTML, so the browser fetches nothing.

    Parameters
    ----------
    text : str
        Markdown from a model or a prompt author.
    hard_breaks : bool
        Keep single line breaks as line breaks (markdown would join the lines).

    Returns
    -------
    str
        Markdown for ``st.markdown`` (HTML off) that looks like ``text`` but in which
        image, link, reference, autolink and HTML syntax shows as the text typed,
        dollar signs are literal and code is unchanged but for invisible spaces.

    Examples
    --------
    >>> inert_markdown("![chart](https://x.example/c.png)").replace(WORD_JOINER, "|")
    '!|[chart]|(https:|//x.example/c.png)'
    >>> inert_markdown("Costs $5, see `echo $HOME`")
    'Costs \\\\$5, see `echo $HOME`'
    """
    return _SYNTAX_JOINTS.sub(WORD_JOINER, _outside_code(text, hard_breaks=hard_breaks))

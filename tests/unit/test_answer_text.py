"""answer_text.inert_markdown: no image, link or HTML can form, and the text reads as typed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blindside.answer_text import WORD_JOINER, inert_markdown

# Every pair of characters that opens an image, link, reference, autolink, HTML or a bare
# URL in CommonMark + GFM. None may survive side by side.
OPENERS = re.compile(r"!\[|\]\(|\]\[|\]:|<[A-Za-z/!?]|://|(?i:www\.)")

TRACKER = "https://tracker.example.com/p.png"

NASTY = {
    "inline image": f"Look: ![chart]({TRACKER})",
    "image with title": f'![x]({TRACKER} "title")',
    "image in a link": f"[![badge]({TRACKER})](https://example.com)",
    "reference image": f"![alt][ref]\n\n[ref]: {TRACKER}",
    "collapsed reference": f"![ref][]\n\n[ref]: {TRACKER}",
    "shortcut reference": f"![ref]\n\n[ref]: <{TRACKER}>",
    "multi-line label": f"![a\nb][r]\n\n[r]:\n  {TRACKER}",
    "raw img": f'<img src="{TRACKER}" width=1>',
    "raw img no quotes": f"<IMG SRC={TRACKER}>",
    "html block": f'<div>\n<img src="{TRACKER}">\n</div>',
    "picture source": f'<picture><source srcset="{TRACKER}"></picture>',
    "svg image": f'<svg><image href="{TRACKER}"/></svg>',
    "comment": "<!-- hidden -->",
    "autolink": f"<{TRACKER}>",
    "email autolink": "<rater@example.com>",
    "bare url": f"see {TRACKER} now",
    "bare www": "see www.tracker.example.com/p.png",
    "link": "[click](https://tracker.example.com)",
    "footnote definition": f"text[^1]\n\n[^1]: {TRACKER}",
    "escaped backslash before image": f"\\\\![x]({TRACKER})",
    "backslash-escaped backtick": f"\\`![x]({TRACKER})\\`",
    "code span across lines": f"`a\nb` ![x]({TRACKER}) `",
    "unclosed fence in a list": f"- a\n\n  ```\n  code\n![x]({TRACKER})\n  ```",
    "fence in an indented code block": f"    ```\n![x]({TRACKER})\n    ```",
    "image in a table": f"| a | b |\n|---|---|\n| ![x]({TRACKER}) | 2 |",
    "image in a heading": f"# ![x]({TRACKER})",
    "image in a blockquote": f"> ![x]({TRACKER})",
    "entity-encoded": f"&#33;&#91;x&#93;({TRACKER})",
    "mermaid": f'```mermaid\ngraph TD; A["<img src={TRACKER}>"]\n```',
    "tilde mermaid": "~~~ mermaid\ngraph TD; A-->B\n~~~",
}


@pytest.mark.parametrize("text", NASTY.values(), ids=NASTY.keys())
def test_no_opener_survives(text: str) -> None:
    out = inert_markdown(text)
    assert not OPENERS.search(out), out


@pytest.mark.parametrize("text", NASTY.values(), ids=NASTY.keys())
def test_the_text_reads_as_typed(text: str) -> None:
    # Only invisible joiners, escaped dollars and hard breaks ("  " before a newline) differ.
    shown = inert_markdown(text).replace(WORD_JOINER, "").replace("  \n", "\n")
    assert shown == text


def test_a_mermaid_fence_stays_a_plain_code_block() -> None:
    # Streamlit draws ```mermaid as a diagram, whose labels may hold HTML.
    out = inert_markdown("```mermaid\ngraph TD; A-->B\n```")
    assert out.startswith("```" + WORD_JOINER + "mermaid\n")
    assert out.endswith("\n```")
    assert inert_markdown("~~~ mermaid\nx\n~~~").startswith("~~~" + WORD_JOINER + " mermaid")


def test_fenced_code_keeps_its_characters() -> None:
    code = '```python\nprint(f"{a[0]} <b> $HOME")\nx = 1\ny = 2\n```'
    out = inert_markdown(code)
    # Only the invisible joiner after "<" is added: no backslash, no hard break.
    assert out == code.replace("<b>", "<" + WORD_JOINER + "b>")


def test_inline_code_keeps_dollars_and_brackets() -> None:
    assert inert_markdown("run `echo $HOME` and `a[0]`") == "run `echo $HOME` and `a[0]`"


def test_dollars_in_prose_are_literal() -> None:
    assert inert_markdown("costs $5 or $6") == "costs \\$5 or \\$6"
    # Already escaped: left alone, not doubled.
    assert inert_markdown("costs \\$5") == "costs \\$5"
    assert inert_markdown("a \\\\$x$") == "a \\\\\\$x\\$"


def test_line_breaks_are_kept_outside_code() -> None:
    poem = "Roses are red\nviolets are blue\n\nA new stanza"
    assert inert_markdown(poem) == "Roses are red  \nviolets are blue\n\nA new stanza"
    assert inert_markdown(poem, hard_breaks=False) == poem


def test_markdown_formatting_is_kept() -> None:
    text = "# Title\n\n**bold** and _it_\n\n- one\n- two\n\n1. a\n2. b\n\n> quote\n\n---"
    assert inert_markdown(text).replace("  \n", "\n") == text


def test_plain_text_is_unchanged() -> None:
    text = "The answer is 42. It depends on a < b and c > d."
    assert inert_markdown(text) == text


def test_a_200_kb_answer_is_quick_and_whole() -> None:
    text = ("word [x](y) ![i](https://h/p.png) `a[0]` $1\n" * 5000)[:200_000]
    out = inert_markdown(text)
    assert not OPENERS.search(out)
    assert out.replace(WORD_JOINER, "").replace("\\$", "$").replace("  \n", "\n") == text


def test_the_pages_never_turn_html_on() -> None:
    # inert_markdown relies on st.markdown drawing no HTML; st.html and components would.
    # One exception: ui/session.py writes the session cookie with st.html, and only ever
    # with its own fixed script (_cookie_script), never with prompt or answer text.
    root = Path(__file__).resolve().parents[2]
    files = [root / "app.py", *(root / "app_pages").glob("*.py")]
    files += (root / "src" / "blindside" / "ui").glob("*.py")
    assert len(files) > 5
    for path in files:
        source = path.read_text()
        if path.name == "session.py":
            calls = source.count("st.html(")
            assert calls == source.count("st.html(_cookie_script(") == 2, path
            source = source.replace("st.html(_cookie_script(", "")
        for needle in ("unsafe_allow_html", "st.html(", "components.v1", ".components"):
            assert needle not in source, f"{path.name} uses {needle}"

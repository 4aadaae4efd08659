"""Tests for blindside.config.locator: the line of a table or key in TOML text."""

from __future__ import annotations

from blindside.config.locator import Locator

TEXT = """\
top = 1
# [[models]] in a comment is no header
[[endpoints]]
name = "a"
"kind" = "demo"

[[models]]   # first model
name = "M"
pricing.input = 1

[[models]]
'name' = "N"

[models.pricing]
input = 2
output = 3

[[endpoints]]
name = "b"
"""


def test_top_level_key_and_first_header() -> None:
    loc = Locator(TEXT)
    assert loc.top_level("top") == 1
    assert loc.top_level("models") == 7
    assert loc.top_level("absent") is None


def test_block_of_the_nth_array_element_spans_its_sub_tables() -> None:
    loc = Locator(TEXT)
    assert loc.block("endpoints", 0) == (2, 6)
    assert loc.block("models", 1) == (10, 17)  # [models.pricing] belongs to it
    assert loc.block("endpoints", 1) == (17, 19)
    assert loc.block("models", 2) is None


def test_line_of_bare_quoted_and_dotted_keys() -> None:
    loc = Locator(TEXT)
    assert loc.line("endpoints", 0, ("kind",)) == 5
    assert loc.line("models", 0) == 7
    assert loc.line("models", 0, ("pricing", "input")) == 9  # dotted key
    assert loc.line("models", 1, ("name",)) == 12


def test_line_in_a_sub_table_and_fallbacks() -> None:
    loc = Locator(TEXT)
    assert loc.line("models", 1, ("pricing", "output")) == 16
    assert loc.line("models", 1, ("pricing", "cached_input")) == 14  # the sub-table header
    assert loc.line("models", 0, ("active",)) == 7  # absent key: the block header
    # no [[x]] block at all: the top-level key (an inline array of tables)
    assert Locator("x = [{a = 1}]\n").line("x", 0, ("a",)) == 1

"""``[[judge_rubrics]]`` in ``models.toml``: the written rubric an LLM judge follows, per tier.

Each entry overrides the shipped rubric of one tier (:data:`DEFAULT_RUBRICS`), for every
suite or, with ``suite = "name"``, for one suite only::

    [[judge_rubrics]]
    tier = 2
    suite = "creative"          # optional: only this suite
    text = "Prefer the email a customer would rather receive..."

A suite's own entry wins over an entry without ``suite``, which wins over the default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from blindside.config.checker import Checker, toml_type

__all__ = ["DEFAULT_RUBRICS", "RUBRIC_KEYS", "RubricConfig", "check_rubrics", "rubric_for"]

#: The keys of a ``[[judge_rubrics]]`` entry.
RUBRIC_KEYS = ("tier", "suite", "text")

#: The shipped rubric of each tier, from the product brief's tiers.
DEFAULT_RUBRICS: dict[int, str] = {
    1: (
        "This is a high-stakes reasoning task (legal, medical-support or finance work). "
        "Correctness decides: an answer with a wrong fact, figure, label or conclusion loses "
        "to a correct one, however well written. Between two correct answers, prefer the one "
        "that states its final answer clearly and follows the requested format. If both are "
        "wrong, say both are bad."
    ),
    2: (
        "This is a creative or open-ended task (a customer email, marketing copy). There is no "
        "single right answer: prefer the answer that follows every instruction (length, tone, "
        "facts to include), reads naturally and would serve the person who asked. Length alone "
        "is not quality."
    ),
    3: (
        "This is a high-volume task (summarisation, classification, extraction). Prefer the "
        "answer that is correct and in exactly the requested format, with nothing extra; a "
        "terse correct answer beats a padded one. If both are wrong or unusable, say both are "
        "bad."
    ),
}


@dataclass(frozen=True)
class RubricConfig:
    """One ``[[judge_rubrics]]`` entry.

    Attributes
    ----------
    tier : int
        The tier it covers (1-3).
    suite : str or None
        Only this suite; None for every suite.
    text : str
        The rubric, as the judge reads it.
    line : int or None
        Its line in ``models.toml`` (for problems found later, e.g. an unknown suite).
    """

    tier: int
    suite: str | None
    text: str
    line: int | None = None


def check_rubrics(ck: Checker, data: Mapping[str, Any]) -> tuple[RubricConfig, ...]:
    """The checked ``[[judge_rubrics]]`` entries; every problem is recorded on ``ck``."""
    raw_entries = data.get("judge_rubrics", [])
    if not isinstance(raw_entries, list):
        ck.add(
            ck.loc.top_level("judge_rubrics"),
            "judge_rubrics",
            "'judge_rubrics' must be an array of tables ([[judge_rubrics]] blocks), "
            f"got {toml_type(raw_entries)}",
        )
        return ()
    rubrics: list[RubricConfig] = []
    seen: dict[tuple[str | None, int], int] = {}
    for i, raw in enumerate(raw_entries):
        where = f"judge rubric #{i + 1}"

        def line(key: str | None = None, i: int = i) -> int | None:
            return ck.loc.line("judge_rubrics", i, (key,) if key else ())

        if not isinstance(raw, dict):
            ck.add(line(), "judge_rubrics", f"{where} must be a table, got {toml_type(raw)}")
            continue
        ck.unknown_keys(raw, RUBRIC_KEYS, where, line)
        problems = len(ck.problems)
        tier = raw.get("tier")
        if tier is None:
            ck.add(line(), "tier", f"{where}: 'tier' is required (1, 2 or 3)")
        elif isinstance(tier, bool) or tier not in DEFAULT_RUBRICS:
            ck.add(line("tier"), "tier", f"{where}: 'tier' must be 1, 2 or 3, got {tier!r}")
        suite = raw.get("suite")
        if suite is not None and (not isinstance(suite, str) or not suite.strip()):
            ck.add(line("suite"), "suite", f"{where}: 'suite' must be a suite name")
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            got = (
                "nothing"
                if text is None
                else toml_type(text)
                if not isinstance(text, str)
                else "''"
            )
            ck.add(
                line("text" if text is not None else None),
                "text",
                f"{where}: 'text' must be the rubric as non-empty text, got {got}",
            )
        if len(ck.problems) > problems:
            continue
        key = (suite, int(tier))
        if key in seen:
            scope = f"suite {suite!r}" if suite else "every suite"
            ck.add(
                line("tier"),
                "tier",
                f"{where}: a second rubric for tier {tier} of {scope} "
                f"(first: judge rubric #{seen[key] + 1})",
            )
            continue
        seen[key] = i
        rubrics.append(
            RubricConfig(int(tier), suite, text.strip(), line("suite" if suite else None))
        )
    return tuple(rubrics)


def rubric_for(rubrics: Sequence[RubricConfig], suite: str, tier: int) -> str:
    """The rubric a judge follows for a prompt of ``tier`` in ``suite``.

    The suite's own entry, else the entry for every suite, else the shipped default.
    """
    for wanted in (suite, None):
        for rubric in rubrics:
            if rubric.tier == tier and rubric.suite == wanted:
                return rubric.text
    return DEFAULT_RUBRICS.get(tier, DEFAULT_RUBRICS[2])

"""The answer text of a simulated model: right or wrong against the reference, in its style.

A "right" answer restates the reference in the model's style; a "wrong" one is
a perturbed number, another label, a changed JSON field or a truncated text,
as the prompt's scorer compares a number, a label, a JSON object or text (its
``answer_kind`` in :data:`blindside.scorers.SCORERS`).
Prompts with no reference get a composed answer (:mod:`~blindside.demo.prose`).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from blindside.demo.judging import judge_reply
from blindside.demo.knowledge import DemoKnowledge, knowledge_key, last_user_text, message_text
from blindside.demo.phrases import CHAT_POST, CHAT_PRE, JSON_INTROS, PAD_INTROS, REASONS, UNSURE
from blindside.demo.profiles import DemoProfile, Style
from blindside.demo.prose import compose_from_example, compose_open, scrub
from blindside.scorers.base import AnswerKind
from blindside.scorers.registry import find_scorer

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _perturb_number(reference: str, rng: random.Random) -> str | None:
    """The reference with its first number changed by 5-40% (at least one unit)."""
    match = NUMBER.search(reference)
    if match is None:
        return None
    raw = match.group()
    clean = raw.replace(",", "")
    decimals = len(clean.split(".")[1]) if "." in clean else 0
    value = float(clean)
    unit = 10.0**-decimals
    delta = max(unit, round(abs(value) * rng.uniform(0.05, 0.4), decimals))
    new = value + delta if rng.random() < 0.5 else value - delta
    formatted = f"{new:,.{decimals}f}" if "," in raw else f"{new:.{decimals}f}"
    return reference[: match.start()] + formatted + reference[match.end() :]


def _alter_value(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        changed = _perturb_number(str(value), rng)
        return type(value)(float(changed)) if changed is not None else value
    if isinstance(value, str):
        changed = _perturb_number(value, rng)
        if changed is not None:
            return changed
        return "unknown" if value != "unknown" else "n/a"
    if isinstance(value, list):
        return value[:-1] if value else ["n/a"]
    if isinstance(value, dict):
        return {}
    return "n/a"


def wrong_json(
    obj: dict[str, Any], rng: random.Random, fields: Sequence[str] | None = None
) -> dict[str, Any]:
    """``obj`` with one value changed: one the scorer compares (``fields``), when it names any.

    Parameters
    ----------
    obj : dict
        The reference object (a JSON answer or tool-call arguments).
    rng : random.Random
        Seeded generator: which key, and how its value changes.
    fields : sequence of str, optional
        The fields a ``json`` scorer compares.

    Returns
    -------
    dict
        A copy with one value altered (a number moved, a flag flipped, a string
        replaced, a list shortened); ``{"result": None}`` for an empty ``obj``.
    """
    if not obj:
        return {"result": None}
    key = rng.choice(sorted(set(fields or ()) & obj.keys() or obj))
    altered = dict(obj)
    altered[key] = _alter_value(obj[key], rng)
    return altered


def _wrong_text(reference: str, rng: random.Random) -> str:
    words = reference.split()
    if len(words) >= 4:
        return " ".join(words[: len(words) // 2])
    return rng.choice(UNSURE)


def answer_kind(known: DemoKnowledge | None) -> AnswerKind | None:
    """What the scorer of a known prompt compares; None without a registered scorer."""
    scorer = find_scorer(known.scorer) if known is not None and known.scorer else None
    return scorer.answer_kind if scorer is not None else None


def _present_fact(value: str, style: Style, rng: random.Random) -> str:
    """A short factual answer (label, number, text) in the given style; final line = value."""
    if style == "reasoned":
        return f"Reasoning: {rng.choice(REASONS)}\nFinal answer:\n{value}"
    if style == "padded":
        return f"{rng.choice(PAD_INTROS)}\n\n{value}"
    if style == "chatty" and rng.random() < 0.5:
        # Off-format: the answer buried in chatter on one line.
        return f"{rng.choice(CHAT_PRE)} {value} {rng.choice(CHAT_POST)}"
    return value


def _present_json(obj: dict[str, Any], style: Style, rng: random.Random, *, broken: bool) -> str:
    text = json.dumps(obj, ensure_ascii=False)
    if broken:
        text = rng.choice((text[:-1], text.replace('"', "'")))
    if style == "padded":
        pretty = text if broken else json.dumps(obj, ensure_ascii=False, indent=2)
        return f"{rng.choice(JSON_INTROS)}\n\n```json\n{pretty}\n```"
    if style == "chatty" and rng.random() < 0.5:
        return f"{rng.choice(CHAT_PRE)}: {text}"
    return text


def _compose_known(known: DemoKnowledge, profile: DemoProfile, rng: random.Random) -> str:
    """A right or wrong answer to a prompt with a reference."""
    assert known.reference is not None
    reference = known.reference.strip()
    right = rng.random() < profile.accuracy
    scorer = known.scorer or {}
    kind = answer_kind(known)
    if kind == "json":
        try:
            obj = json.loads(reference)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            if right:
                return _present_json(obj, profile.style, rng, broken=False)
            broken = profile.style == "chatty" and rng.random() < 0.5
            altered = wrong_json(obj, rng, scorer.get("fields"))
            return _present_json(altered, profile.style, rng, broken=broken)
    if right:
        return _present_fact(reference, profile.style, rng)
    wrong: str | None = None
    if kind == "label":
        labels = [str(x) for x in scorer.get("labels") or []]
        others = [x for x in labels if x.strip().lower() != reference.lower()]
        if others:
            wrong = rng.choice(others)
    elif kind == "number":
        wrong = _perturb_number(reference, rng)
    if wrong is None:
        wrong = _wrong_text(reference, rng)
    return _present_fact(wrong, profile.style, rng)


_EXACT_REPLY = re.compile(r"reply with exactly:[ \t]*(\S[^\n]*)", re.I)


def exact_reply(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """The ``X`` of a system/developer message saying ``Reply with exactly: X``, if any.

    Surrounding quotes or backticks around ``X`` are dropped. Profiles that
    follow the system prompt answer ``X`` and nothing else; ``erratic`` ignores it.
    """
    for message in messages:
        if message.get("role") not in ("system", "developer"):
            continue
        match = _EXACT_REPLY.search(message_text(message.get("content")))
        if match:
            value = match.group(1).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
                value = value[1:-1]
            return value
    return None


def compose_answer(
    profile: DemoProfile,
    messages: Sequence[Mapping[str, Any]],
    knowledge: Mapping[str, DemoKnowledge],
    rng: random.Random,
) -> str:
    """The full answer text of a simulated model, before any ``max_tokens`` cut.

    Parameters
    ----------
    profile, messages, knowledge
        As for :func:`~blindside.demo.planning.plan_completion`, which calls this
        (``knowledge`` is not optional here).
    rng : random.Random
        Seeded generator; the only source of randomness.

    Returns
    -------
    str
        Answer text; never contains an identifying word of its own making.
    """
    verdict = judge_reply(profile, messages, knowledge, rng)
    if verdict is not None:
        return verdict
    if profile.follows_system:
        exact = exact_reply(messages)
        if exact is not None:
            return exact
    text = last_user_text(messages)
    known = knowledge.get(knowledge_key(text))
    reference = known.reference.strip() if known is not None and known.reference else ""
    if known is None or not reference:
        return compose_open(text, profile.style, rng)
    if known.scorer is None:
        # A reference without a scorer is an example answer to an open-ended prompt.
        return compose_from_example(scrub(reference), profile.style, rng)
    return _compose_known(known, profile, rng)

"""The simulated models as judges: a verdict on two answers, from a simulated quality signal.

A judge prompt (two answers in ``<answer_a>`` and ``<answer_b>``, the prompt in
``<prompt>``, and the instruction to end with ``Verdict: ...``) is read the way a model
reads it, from its text alone. Each answer gets a quality score: against the prompt's
reference with its scorer when the demo knows one (right beats wrong), otherwise from the
text (the prompt's key words covered, a stated word limit kept, no filler or chatter).
The simulated judge then adds a small lean towards answer A (position bias) and noise that
grows as the profile's accuracy falls, and answers with one line of reasons and a verdict.
Chatty profiles sometimes forget the verdict line (a parse failure for the caller). Every
reply says it is simulated.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from blindside.demo.knowledge import DemoKnowledge, knowledge_key, message_text
from blindside.demo.phrases import (
    CHAT_LEADS,
    CHAT_POST,
    CHAT_SHOUTS,
    OFF_TOPIC,
    PAD_INTROS,
    PAD_OPENERS,
    STOPWORDS,
)
from blindside.demo.profiles import DemoProfile
from blindside.scorers.registry import find_scorer

__all__ = ["FIRST_POSITION_LEAN", "judge_reply"]

#: Quality points added to answer A: the simulated judge's position bias.
FIRST_POSITION_LEAN = 0.08
_TIE_BAND = 0.12
_OFF_FORMAT_RATE = 0.15  # chatty profiles forget the verdict line this often
_BLOCK = r"<{tag}>\n(.*?)\n</{tag}>"
_USER_TURN = re.compile(r'<turn role="user">\n(.*?)\n</turn>', re.S)
_WORD_LIMIT = re.compile(r"(?:no more than|under|at most|maximum of)\s+(\d+)\s+words", re.I)
_FILLER = tuple(
    p.lower() for p in (*PAD_INTROS, *PAD_OPENERS, *CHAT_LEADS, *CHAT_SHOUTS, *CHAT_POST)
)
_OFF_TOPIC = tuple(p.lower() for p in OFF_TOPIC)


def _block(tag: str, text: str) -> str | None:
    match = re.search(_BLOCK.format(tag=tag), text, re.S)
    return match.group(1) if match else None


def _is_judge_prompt(messages: Sequence[Mapping[str, Any]]) -> bool:
    system = " ".join(message_text(m.get("content")) for m in messages if m.get("role") == "system")
    return "Verdict: A" in system and "Verdict: both bad" in system


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _text_quality(answer: str, prompt: str) -> float:
    """0..1 from the text alone: key words covered, word limit kept, no filler or chatter."""
    lowered = answer.lower()
    keywords = {w for w in _words(prompt) if w not in STOPWORDS and len(w) > 3}
    covered = len(keywords & set(_words(answer))) / len(keywords) if keywords else 0.5
    quality = 0.3 + 0.5 * covered
    limit = _WORD_LIMIT.search(prompt)
    if limit and len(_words(answer)) > int(limit.group(1)):
        quality -= 0.25
    if any(phrase in lowered for phrase in _FILLER):
        quality -= 0.2
    if any(phrase in lowered for phrase in _OFF_TOPIC):
        quality -= 0.4
    return quality


def _quality(answer: str, prompt: str, known: DemoKnowledge | None) -> tuple[float, bool | None]:
    """An answer's simulated quality, and whether it is right (None: nothing to check)."""
    scorer = find_scorer(known.scorer) if known and known.scorer and known.reference else None
    if scorer is None or known is None or known.reference is None:
        return _text_quality(answer, prompt), None
    right = bool(scorer.score(answer, known.reference, known.scorer or {}).correct)
    # Right beats wrong; between two right answers, a clean one beats a padded one.
    return (1.0 if right else 0.0) + 0.2 * _text_quality(answer, prompt), right


def judge_reply(
    profile: DemoProfile,
    messages: Sequence[Mapping[str, Any]],
    knowledge: Mapping[str, DemoKnowledge],
    rng: random.Random,
) -> str | None:
    """The simulated judge's reply to a judge prompt; None when ``messages`` are not one.

    Parameters
    ----------
    profile : DemoProfile
        The judging model: its accuracy sets how noisy its verdicts are, a chatty style
        sometimes leaves out the verdict line.
    messages : sequence of mapping
        The request's chat messages.
    knowledge : mapping
        Suite knowledge keyed by :func:`~blindside.demo.knowledge.knowledge_key`.
    rng : random.Random
        Seeded generator; the only source of randomness.

    Returns
    -------
    str or None
        A line of reasons and a final ``Verdict: A|B|tie|both bad`` line.
    """
    if not _is_judge_prompt(messages):
        return None
    user = "\n".join(message_text(m.get("content")) for m in messages if m.get("role") == "user")
    prompt_block = _block("prompt", user) or ""
    answer_a = _block("answer_a", user) or ""
    answer_b = _block("answer_b", user) or ""
    turns = _USER_TURN.findall(prompt_block)
    prompt = turns[-1] if turns else prompt_block
    known = knowledge.get(knowledge_key(prompt))
    quality_a, right_a = _quality(answer_a, prompt, known)
    quality_b, right_b = _quality(answer_b, prompt, known)
    noise = rng.gauss(0.0, 0.1 + 0.5 * (1.0 - profile.accuracy))
    lead = quality_a + FIRST_POSITION_LEAN - quality_b + noise
    if profile.style == "chatty" and rng.random() < _OFF_FORMAT_RATE:
        side = "A" if lead > 0 else "B"
        return f"honestly? i'd go with {side} lol, the other one is kinda meh (simulated judge)"
    if right_a is False and right_b is False and abs(lead) < 0.5:
        verdict, reason = "both bad", "neither answer matches what the prompt asks for"
    elif abs(lead) < _TIE_BAND:
        verdict, reason = "tie", "the two answers are about equally good"
    elif lead > 0:
        verdict, reason = "A", "answer A serves the request better than answer B"
    else:
        verdict, reason = "B", "answer B serves the request better than answer A"
    confidence = 1.0 / (1.0 + math.exp(-4.0 * abs(lead)))
    return (
        f"Simulated judge (demo provider, not a real model): {reason} "
        f"(simulated confidence {confidence:.0%}).\nVerdict: {verdict}"
    )

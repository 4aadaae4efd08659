"""Open-ended answers composed from the prompt's own words (creative tier 2 and unknown prompts).

A prompt with no reference gets an email, a rewrite, a summary, marketing copy
or general advice, depending on what it asks for, assembled in the model's
style. Words that would identify a model or the simulator are never copied.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from blindside.demo.knowledge import normalise_text
from blindside.demo.phrases import (
    CHAT_LEADS,
    CHAT_POST,
    CHAT_SHOUTS,
    FORMAL,
    OFF_TOPIC,
    PAD_OPENERS,
    STOPWORDS,
    TO_READER,
    TONES,
)
from blindside.demo.profiles import Style, is_identifying

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def _keywords(text: str, limit: int = 6) -> list[str]:
    """Distinct content words of the prompt, in order, never an identifying word."""
    seen: set[str] = set()
    words: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group().strip("'-")
        lowered = word.lower()
        if len(word) < 4 or lowered in STOPWORDS or lowered in TONES or lowered in seen:
            continue
        if is_identifying(word) or (word[0].isupper() and match.start() > 0):
            continue  # proper nouns read badly as topics
        seen.add(lowered)
        words.append(lowered)
        if len(words) == limit:
            break
    return words


_TOPIC_PATTERNS = (
    r"\bapologi[sz]ing (?:to [^.,;:]+? )?(?:that|for) ([^.,;:!?()\n]+)",
    r"\babout ([^.,;:!?()\n]+)",
    r"\bannouncing ([^.,;:!?()\n]+)",
    r"\bregarding ([^.,;:!?()\n]+)",
    r"\bfor ([^.,;:!?()\n]+)",
    r"\bthat ([^.,;:!?()\n]+)",
)
_DANGLING = frozenset({"and", "or", "to", "with", "while", "but", "because", "of", "the", "a"})


def topic_phrase(text: str) -> str:
    """A short phrase for what the prompt is about (e.g. the words after "about").

    Parameters
    ----------
    text : str
        The prompt.

    Returns
    -------
    str
        Up to ten words addressed to the reader ("your order"), else up to three
        keywords, else ``"your request"``; never an identifying word.
    """
    for pattern in _TOPIC_PATTERNS:
        match = re.search(pattern, text, re.I)
        if match is None:
            continue
        words = [w for w in match.group(1).split()[:10] if not is_identifying(w)]
        while words and words[-1].lower() in _DANGLING:
            words.pop()  # a phrase cut at 10 words should not end on "and"
        if len(words) >= 2:
            # Written to the reader: "their order" in the brief is "your order" in the answer.
            return " ".join(TO_READER.get(w.lower(), w) for w in words)
    words = _keywords(text, limit=3)
    return " ".join(words) if words else "your request"


def _greeting(text: str) -> str:
    """ "Dear Mr Okafor," or "Hi Dana," when the prompt names the reader, else a generic one."""
    titled = re.search(r"\b(Mr|Mrs|Ms|Dr)\.? ([A-Z][a-z]+)", text)
    if titled:
        return f"Dear {titled.group(1)} {titled.group(2)},"
    named = re.search(r"\b(?:customer|client|user|guest),? ([A-Z][a-z]+)\b", text)
    if named and not is_identifying(named.group(1)):
        return f"Hi {named.group(1)},"
    return "Hi there,"


def _details(text: str) -> list[str]:
    """Concrete items the prompt asks to mention: parenthesised lists and what is offered."""
    items: list[str] = []
    groups = re.findall(r"\(([^()]{8,200})\)", text)
    groups += re.findall(r"\b(?:cover|include|mention)s?:\s*([^.\n]{8,200})", text, re.I)
    for inner in groups:
        for part in re.split(r",|;| and ", inner):
            part = scrub(part.strip())
            if 2 <= len(part.split()) <= 14 and not re.fullmatch(r"[\d\s:.\-UTC]+", part):
                items.append(part)
    return items[:4]


def _offer(text: str) -> str:
    match = re.search(
        r"\boffer(?:ing|s)?(?: (?:him|her|them|the customer))? ([^.;:()\n]+)", text, re.I
    )
    return scrub(" ".join(match.group(1).split()[:14])) if match else ""


def _passage(text: str) -> str:
    """The quoted material of a rewrite/summary prompt: what follows the first colon/newline."""
    for sep in (":\n", "\n\n", ":", "\n"):
        _, found, tail = text.partition(sep)
        if found and len(tail.split()) >= 5:
            return normalise_text(tail).strip("\"' ")
    return normalise_text(text)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def scrub(text: str) -> str:
    """Drop identifying words from text copied out of a prompt or example, keeping line breaks.

    Parameters
    ----------
    text : str
        Text to copy into an answer.

    Returns
    -------
    str
        ``text`` without any word containing one of the identifying words.
    """
    kept = re.sub(r"[^\s]+", lambda m: "" if is_identifying(m.group()) else m.group(), text)
    return re.sub(r"[ \t]{2,}", " ", kept)


def _tone(text: str) -> str:
    lowered = text.lower()
    return next((t for t in TONES if t in lowered), "")


def _kind(text: str) -> str:
    lowered = text.lower()
    if re.search(r"\b(e-?mail|letter|reply|respond to)\b", lowered):
        return "email"
    if re.search(r"\b(rewrite|rephrase|paraphrase|reword|edit)\b", lowered):
        return "rewrite"
    if re.search(r"\b(summari[sz]e|summary|tl;?dr)\b", lowered):
        return "summary"
    if re.search(
        r"\b(tagline|slogan|headline|copy|ad|advert|product description|announcement|post|"
        r"pitch|blurb)\b",
        lowered,
    ):
        return "copy"
    return "general"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _retone(sentence: str, tone: str) -> str:
    """The sentence moved toward the requested register (formal or friendly)."""
    if tone in ("formal", "professional"):
        for pattern, replacement in FORMAL:
            sentence = re.sub(pattern, replacement, sentence, flags=re.I)
        sentence = re.sub(r"\s+\.", ".", sentence).replace("..", ".")
    elif tone in ("friendly", "warm", "playful", "enthusiastic", "casual"):
        sentence = re.sub(r"\.$", "!", sentence)
    return _cap(sentence.strip())


@dataclass(frozen=True)
class _Draft:
    """Pieces of a composed answer that each style assembles differently."""

    title: str
    opening: str
    body: list[str]
    bullets: list[str]
    closing: str
    signoff: str


def _draft(text: str, rng: random.Random) -> _Draft:
    """Build the raw material of an open-ended answer from the prompt's own words."""
    kind = _kind(text)
    tone = _tone(text)
    topic = topic_phrase(text)
    keywords = _keywords(text) or ["details"]
    bullet_tails = (
        "we have reviewed this and it is being handled.",
        "you will get a confirmation within one business day.",
        "nothing more is needed on your side.",
        "this is covered in full.",
    )
    if kind == "email":
        if "apologi" in text.lower():
            tone = "apologetic"
        opening = {
            "apologetic": "I am sorry for the trouble this has caused, and I want to explain.",
            "friendly": "Thanks so much for getting in touch!",
            "warm": "Thanks so much for getting in touch!",
            "formal": "Thank you for your message.",
            "professional": "Thank you for your message.",
        }.get(tone, "Thank you for reaching out.")
        body = [
            rng.choice(
                (
                    f"I wanted to follow up personally about {topic}.",
                    f"Here is a quick update on {topic}.",
                )
            )
        ]
        offer = _offer(text)
        if offer:
            body.append(f"To make up for it, we would like to offer you {offer}.")
        details = _details(text)
        if details:
            body.append("Here is what we are doing about it:")
            bullets = [_cap(d) + "." for d in details]
        else:
            body.append("We have looked into it and here is where things stand.")
            bullets = [f"{_cap(k)}: {rng.choice(bullet_tails)}" for k in keywords[:3]]
        return _Draft(
            title=f"Subject: {_cap(topic)}",
            opening=f"{_greeting(text)}\n\n{opening}",
            body=body,
            bullets=bullets,
            closing=(
                "If anything is still unclear, just reply to this email and we will sort it out."
            ),
            signoff="Best regards,\nThe Support Team",
        )
    if kind in ("rewrite", "summary"):
        sentences = _sentences(scrub(_passage(text))) or [_cap(topic) + "."]
        if kind == "summary":
            first = " ".join(sentences[0].split()[:20]).rstrip(".") + "."
            body = [first, *(" ".join(s.split()[:16]) for s in sentences[1:3])]
            return _Draft(
                title="Summary",
                opening="",
                body=body,
                bullets=[f"Key point: {k}" for k in keywords[:3]],
                closing="",
                signoff="",
            )
        opening = {
            "friendly": "Hi there!",
            "warm": "Hi there!",
            "apologetic": "We are truly sorry about this.",
            "playful": "Guess what?",
        }.get(tone, "")
        closing = {
            "friendly": "Thanks so much, and have a great day!",
            "apologetic": "Thank you for your patience.",
            "formal": "Kind regards.",
        }.get(tone, "")
        return _Draft(
            title="",
            opening=opening,
            body=[_retone(x, tone) for x in sentences[:6]],
            bullets=[],
            closing=closing,
            signoff="",
        )
    if kind == "copy":
        pitch = rng.choice(
            (
                f"Meet a simpler way to handle {topic}.",
                f"{_cap(topic)}, made effortless.",
                f"Everything you need for {topic}, in one place.",
            )
        )
        benefits = (
            "saves you time every single day.",
            "works the way you already do.",
            "is ready when you are.",
            "comes with support from real people.",
        )
        return _Draft(
            title=_cap(topic),
            opening=pitch,
            body=[f"Built for people who care about {' and '.join(keywords[:2])}."],
            bullets=[f"{_cap(k)} that {rng.choice(benefits)}" for k in keywords[:3]],
            closing=rng.choice(
                ("Try it today.", "Get started in minutes.", "See it for yourself.")
            ),
            signoff="",
        )
    return _Draft(
        title=_cap(topic),
        opening=f"Here is a practical way to approach {topic}.",
        body=[f"The main things to get right are {', '.join(keywords[:3])}."],
        bullets=[
            f"Start with {keywords[0]}: settle it first, because the rest depends on it.",
            f"Then look at {keywords[min(1, len(keywords) - 1)]} and check it against your goal.",
            "Finally, review the result and adjust what does not fit.",
        ],
        closing="That should give you a solid result.",
        signoff="",
    )


def _join(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def compose_open(text: str, style: Style, rng: random.Random) -> str:
    """An answer to an open-ended prompt, built from the prompt's own words.

    Parameters
    ----------
    text : str
        The prompt (last user message).
    style : {"reasoned", "terse", "padded", "chatty"}
        How the model writes: full draft, one or two sentences, padded with
        filler, or chatter (sometimes off-topic or shouting).
    rng : random.Random
        Seeded generator; the only source of randomness.

    Returns
    -------
    str
        An email, rewrite, summary, marketing copy or advice, as the prompt asks.
    """
    d = _draft(text, rng)
    bullets = "\n".join(f"- {b}" for b in d.bullets)
    if style == "reasoned":
        return _join(d.title, d.opening, " ".join(d.body), bullets, d.closing, d.signoff)
    if style == "terse":
        return " ".join(s for s in (d.opening, d.body[0] if d.body else "") if s)
    if style == "padded":
        filler = rng.choice(PAD_OPENERS)
        elaborated = "\n\n".join(
            f"When it comes to this point, it is worth saying clearly: {_cap(b)} It is "
            "important to note that this is something we take very seriously, as part of an "
            "ongoing commitment to quality in everything we do."
            for b in d.bullets
        )
        recap = (
            "To summarise everything mentioned above, and to make absolutely sure nothing has "
            "been missed: " + " ".join(d.body)
        )
        return _join(
            d.title, filler, d.opening, " ".join(d.body), elaborated, recap, d.closing, d.signoff
        )
    return _chatty(" ".join(s for s in (d.opening, *d.body[:2]) if s), rng)


def compose_from_example(example: str, style: Style, rng: random.Random) -> str:
    """An open-ended answer derived from the suite's example answer, in the given style.

    Parameters
    ----------
    example : str
        The example answer (a reference without a scorer), already scrubbed.
    style : {"reasoned", "terse", "padded", "chatty"}
        How the model writes.
    rng : random.Random
        Seeded generator; the only source of randomness.

    Returns
    -------
    str
    """
    sentences = _sentences(normalise_text(example))
    if style == "reasoned":
        return example
    if style == "terse":
        return " ".join(sentences[:2])
    if style == "padded":
        return _join(
            rng.choice(PAD_OPENERS),
            example,
            "To summarise everything mentioned above, and to make absolutely sure nothing has "
            "been missed: " + " ".join(sentences[:2]),
        )
    return _chatty(" ".join(sentences[:3]), rng)


def _chatty(core: str, rng: random.Random) -> str:
    """A chatty open-ended answer: sometimes off-topic, sometimes ignoring the requested tone.

    The lead-in varies first, as an unseeded sampler's first tokens do, so short samples of a
    model that ignores ``seed`` rarely repeat each other.
    """
    lead = rng.choice(CHAT_LEADS)
    roll = rng.random()
    if roll < 0.35:
        return f"{lead} {rng.choice(OFF_TOPIC)}"
    if roll < 0.65:
        return f"HEY!!! {lead.upper()} {core.upper()} {rng.choice(CHAT_SHOUTS)}"
    return f"{lead} {core} {rng.choice(CHAT_POST)}"

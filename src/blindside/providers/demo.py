"""Built-in demo provider: an OpenAI-compatible ASGI app serving simulated models.

The app lets the whole product run with no keys and no network. It speaks the
``/v1/chat/completions`` and ``/v1/models`` endpoints well enough for the real
``openai`` SDK (plain and streamed calls, ``stream_options.include_usage``), and
each simulated model has its own quality, verbosity, latency, price and failure
profile (see :data:`DEMO_PROFILES`).

Answers are derived from the prompt suites: the request only carries messages,
so the app is given a ``knowledge`` mapping from :func:`knowledge_key` of the
last user message to that prompt's tier, category, reference and scorer. A
"right" answer restates the reference in the model's style; a "wrong" one is a
perturbed number, another label, a changed JSON field or a truncated text.
Prompts with no reference (creative tier 2) get a composed answer built from the
words of the prompt.

Every random choice comes from a ``random.Random`` seeded with a sha256 digest
of (app seed, model id, messages, request ``seed``), so the same request to an
app with the same seed always gets the same answer, usage and latency plan.

Blinding: answer text never names a model, a profile or the simulator.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

Style = Literal["reasoned", "terse", "padded", "chatty"]

OWNED_BY = "blindside-demo"
# Fixed creation time for /v1/models so listings are byte-stable across runs.
_MODELS_CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z
_CHARS_PER_TOKEN = 4
_MESSAGE_OVERHEAD_TOKENS = 4  # per message, like the chat format's role/separator tokens
_REPLY_PRIMING_TOKENS = 3  # every reply is primed with "<assistant>"
_CACHE_BLOCK_TOKENS = 64


@dataclass(frozen=True)
class DemoProfile:
    """How one simulated model behaves.

    Attributes
    ----------
    model_id : str
        Id served by ``/v1/models`` and expected in requests.
    description : str
        One line for product leads (never shown to raters).
    accuracy : float
        Probability that an answer with a reference is right.
    ttft_ms : float
        Mean time to first token, in milliseconds, before ``latency_scale``.
    ms_per_token : float
        Mean generation time per output token, in milliseconds.
    jitter : float
        Relative spread (+/-) applied to ``ttft_ms`` and per-chunk time.
    stall_rate : float
        Probability that the first token is delayed 2.5-5x (a long-tail stall).
    failure_rate : float
        Probability that one attempt fails with a 503 before any output.
    style : {"reasoned", "terse", "padded", "chatty"}
        How answers are written.
    supports_caching : bool
        Whether ``usage.prompt_tokens_details.cached_tokens`` reports cached
        system-prompt tokens.
    tokens_per_chunk : int
        Token-like pieces (up to 4 characters each) per streamed content chunk.
    """

    model_id: str
    description: str
    accuracy: float
    ttft_ms: float
    ms_per_token: float
    jitter: float
    stall_rate: float
    failure_rate: float
    style: Style
    supports_caching: bool
    tokens_per_chunk: int = 3


DEMO_PROFILES: dict[str, DemoProfile] = {
    p.model_id: p
    for p in (
        DemoProfile(
            model_id="careful",
            description="Simulated: usually right (~92%), short reasoning before the answer, slow.",
            accuracy=0.92,
            ttft_ms=350.0,
            ms_per_token=25.0,
            jitter=0.15,
            stall_rate=0.0,
            failure_rate=0.0,
            style="reasoned",
            supports_caching=True,
            tokens_per_chunk=3,
        ),
        DemoProfile(
            model_id="fast-cheap",
            description="Simulated: terse, right ~70% of the time, very fast and cheap.",
            accuracy=0.70,
            ttft_ms=60.0,
            ms_per_token=4.0,
            jitter=0.20,
            stall_rate=0.0,
            failure_rate=0.0,
            style="terse",
            supports_caching=True,
            tokens_per_chunk=4,
        ),
        DemoProfile(
            model_id="verbose",
            description="Simulated: right ~88% but padded with filler, medium speed.",
            accuracy=0.88,
            ttft_ms=180.0,
            ms_per_token=12.0,
            jitter=0.20,
            stall_rate=0.0,
            failure_rate=0.0,
            style="padded",
            supports_caching=False,
            tokens_per_chunk=3,
        ),
        DemoProfile(
            model_id="erratic",
            description=(
                "Simulated: right ~45%, often off-format, variable latency, ~3% 503 errors."
            ),
            accuracy=0.45,
            ttft_ms=200.0,
            ms_per_token=10.0,
            jitter=0.80,
            stall_rate=0.10,
            failure_rate=0.03,
            style="chatty",
            supports_caching=False,
            tokens_per_chunk=2,
        ),
    )
}

# Substrings that would identify a model or the simulator; never emitted from our own text
# and stripped from prompt words reused in composed answers.
IDENTIFYING_WORDS: tuple[str, ...] = (
    *DEMO_PROFILES,
    "careful",
    "fast",
    "cheap",
    "verbose",
    "erratic",
    "demo",
    "simulat",
    "blindside",
    "mock",
    "fake",
    "profile",
)


# --------------------------------------------------------------------------- knowledge


@dataclass(frozen=True)
class DemoKnowledge:
    """What the demo app knows about one prompt of a suite.

    Attributes
    ----------
    tier : int
        Suite tier (1 reasoning, 2 creative, 3 high-volume); 0 when unknown.
    category : str
        Prompt category ("" when unknown).
    reference : str or None
        Reference answer; None for open-ended prompts.
    scorer : dict or None
        Scorer spec from the suite (``type`` and its options), if any.
    """

    tier: int
    category: str
    reference: str | None
    scorer: dict[str, Any] | None = field(default=None, hash=False)


def normalise_text(text: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends."""
    return " ".join(text.split())


def knowledge_key(text: str) -> str:
    """Key under which a prompt is known: sha256 hex of its whitespace-normalised text.

    Parameters
    ----------
    text : str
        Content of the last user message.

    Returns
    -------
    str
        64-character hex digest.
    """
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def message_text(content: Any) -> str:
    """Plain text of a chat message ``content`` (string, list of parts, or None)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return ""


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """Text of the last ``user`` message (or of the last message if none is from a user)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message.get("content"))
    return message_text(messages[-1].get("content")) if messages else ""


def _knowledge_from_line(obj: Any) -> tuple[str, DemoKnowledge] | None:
    """Key and knowledge for one parsed suite line, or None when it is unusable."""
    if not isinstance(obj, dict):
        return None
    text = obj.get("text")
    if not isinstance(text, str):
        messages = obj.get("messages")
        if not isinstance(messages, list) or not messages:
            return None
        if not all(isinstance(m, dict) for m in messages):
            return None
        text = last_user_text(messages)
    if not text.strip():
        return None
    try:
        tier = int(obj.get("tier", 0))
    except (TypeError, ValueError):
        tier = 0
    category = obj.get("category")
    reference = obj.get("reference")
    if reference is not None and not isinstance(reference, str):
        # A JSON reference given as an object is still usable: keep its JSON text.
        reference = json.dumps(reference) if isinstance(reference, dict | list) else str(reference)
    scorer = obj.get("scorer")
    return knowledge_key(text), DemoKnowledge(
        tier=tier,
        category=category if isinstance(category, str) else "",
        reference=reference,
        scorer=scorer if isinstance(scorer, dict) else None,
    )


def load_demo_knowledge(paths: Iterable[Path]) -> dict[str, DemoKnowledge]:
    """Read prompt-suite JSONL files leniently into a knowledge mapping.

    Unreadable files, bad JSON lines and lines without a usable prompt are
    skipped: the demo should answer something rather than fail. A directory is
    read as all of its ``*.jsonl`` files, sorted. Later lines win on duplicates.

    Parameters
    ----------
    paths : iterable of Path
        Suite files (``*.jsonl``) or directories holding them.

    Returns
    -------
    dict of str to DemoKnowledge
        Keyed by :func:`knowledge_key` of each prompt's (last user) text.
    """
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        files.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    knowledge: dict[str, DemoKnowledge] = {}
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            if not line.strip():
                continue
            try:
                entry = _knowledge_from_line(json.loads(line))
            except ValueError:
                continue
            if entry is not None:
                knowledge[entry[0]] = entry[1]
    return knowledge


# --------------------------------------------------------------------------- tokens


def count_tokens(text: str) -> int:
    """Deterministic token estimate: ``ceil(len(text) / 4)``."""
    return math.ceil(len(text) / _CHARS_PER_TOKEN)


def count_prompt_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Prompt tokens: per message ``count_tokens(content) + 4``, plus 3 for reply priming."""
    return _REPLY_PRIMING_TOKENS + sum(
        count_tokens(message_text(m.get("content"))) + _MESSAGE_OVERHEAD_TOKENS for m in messages
    )


def count_cached_tokens(messages: Sequence[Mapping[str, Any]], profile: DemoProfile) -> int:
    """Cached prompt tokens: the leading system/developer messages, in whole 64-token blocks.

    Providers cache a stable prefix in fixed-size blocks; here the prefix is the
    system prompt, so a system prompt under 64 tokens (or a profile without
    caching) reports 0.
    """
    if not profile.supports_caching:
        return 0
    prefix = 0
    for message in messages:
        if message.get("role") not in ("system", "developer"):
            break
        prefix += count_tokens(message_text(message.get("content"))) + _MESSAGE_OVERHEAD_TOKENS
    return (prefix // _CACHE_BLOCK_TOKENS) * _CACHE_BLOCK_TOKENS


# --------------------------------------------------------------------------- answers

_REASONS = (
    "the key facts stated in the prompt point to one consistent answer.",
    "checked the stated details against the question and ruled out the alternatives.",
    "reading the request closely, the details support a single conclusion.",
    "the wording of the question and the information given settle it.",
)
_PAD_INTROS = (
    "Great question! This is the kind of thing that is worth thinking through in depth, so "
    "let me walk through it. After weighing the wording, the context and every relevant "
    "detail, and after considering all of the possible interpretations, the most fitting "
    "answer is given below.",
    "Thank you for this interesting question. It is important to consider the full context "
    "before answering, since details matter a great deal in cases like this one. Having "
    "looked at the question from several angles, here is the answer.",
)
_PAD_OPENERS = (
    "I hope this message finds you well. I wanted to take a moment to respond in full, because "
    "this matters, and it deserves a thorough and complete answer that leaves no stone unturned.",
    "Thank you so much for this request. Before getting into it, it is worth saying that every "
    "detail here matters, so what follows covers all of it, in full, from start to finish.",
)
_JSON_INTROS = (
    "Certainly! Here is the requested information, extracted and organised as JSON so that "
    "it can be used directly:",
    "Here is the structured data you asked for. I have organised every field as JSON below "
    "for convenience:",
)
_CHAT_PRE = ("ok so i think it's", "hmm, pretty sure the answer is", "easy one!! it's")
_CHAT_POST = ("lol", "(i think)", "hope that helps!!", "let me know if you need anything else!")
_UNSURE = (
    "It is not possible to tell from the information given.",
    "That depends on details that were not provided.",
    "The answer is unclear from the question as written.",
)
_OFF_TOPIC = (
    "Honestly, this reminds me of how octopuses have three hearts and blue blood. Nature is "
    "wild. Anyway, hope that helps!",
    "Good question. On a related note, the best time to water a garden is early morning, "
    "before the sun gets too strong. Cheers!",
    "Interesting! By the way, did you know that honey never spoils? Archaeologists have found "
    "edible honey in ancient tombs.",
)
_STOPWORDS_TEXT = """a an the and or but if then than that this these those with without
    for from into onto
    about above below over under to of in on at by as is are was were be been being it its we
    our you your they their them he she his her me my not no yes do does did can could should
    would will shall may might must please write draft compose create make give provide short
    brief using use tone email message reply respond text following who what when where why
    how which some any all each more most very just also only so such whose has have had
    words sentence sentences paragraph paragraphs keep under less than there here tagline
    slogan headline copy rewrite rephrase summarise summarize summary announcement post
    customer customers"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_TONES = (
    "friendly",
    "formal",
    "professional",
    "apologetic",
    "playful",
    "warm",
    "concise",
    "enthusiastic",
    "empathetic",
    "casual",
)
_TO_READER = {"their": "your", "his": "your", "her": "your", "they": "you", "them": "you"}
# Light register changes so a rewrite visibly follows the requested tone.
_FORMAL = (
    (r"\bhey guys\b|\bhi guys\b|\bhey\b", "Hello"),
    (r"\bguys\b", "everyone"),
    (r"\bdon't\b", "do not"),
    (r"\bcan't\b", "cannot"),
    (r"\bwon't\b", "will not"),
    (r"\bit's\b", "it is"),
    (r"\bgonna\b", "going to"),
    (r"\bwanna\b", "want to"),
    (r"\bthx\b|\bthanks\b", "thank you"),
    (r",?\s*\bok\b\.?", "."),
    (r"\bASAP\b", "as soon as possible"),
)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def _is_identifying(word: str) -> bool:
    lowered = word.lower()
    return any(bad in lowered for bad in IDENTIFYING_WORDS)


def _keywords(text: str, limit: int = 6) -> list[str]:
    """Distinct content words of the prompt, in order, never an identifying word."""
    seen: set[str] = set()
    words: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group().strip("'-")
        lowered = word.lower()
        if len(word) < 4 or lowered in _STOPWORDS or lowered in _TONES or lowered in seen:
            continue
        if _is_identifying(word) or (word[0].isupper() and match.start() > 0):
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


def _topic(text: str) -> str:
    """A short phrase for what the prompt is about (e.g. the words after "about")."""
    for pattern in _TOPIC_PATTERNS:
        match = re.search(pattern, text, re.I)
        if match is None:
            continue
        words = [w for w in match.group(1).split()[:10] if not _is_identifying(w)]
        while words and words[-1].lower() in _DANGLING:
            words.pop()  # a phrase cut at 10 words should not end on "and"
        if len(words) >= 2:
            # Written to the reader: "their order" in the brief is "your order" in the answer.
            return " ".join(_TO_READER.get(w.lower(), w) for w in words)
    words = _keywords(text, limit=3)
    return " ".join(words) if words else "your request"


def _greeting(text: str) -> str:
    """ "Dear Mr Okafor," or "Hi Dana," when the prompt names the reader, else a generic one."""
    titled = re.search(r"\b(Mr|Mrs|Ms|Dr)\.? ([A-Z][a-z]+)", text)
    if titled:
        return f"Dear {titled.group(1)} {titled.group(2)},"
    named = re.search(r"\b(?:customer|client|user|guest),? ([A-Z][a-z]+)\b", text)
    if named and not _is_identifying(named.group(1)):
        return f"Hi {named.group(1)},"
    return "Hi there,"


def _details(text: str) -> list[str]:
    """Concrete items the prompt asks to mention: parenthesised lists and what is offered."""
    items: list[str] = []
    groups = re.findall(r"\(([^()]{8,200})\)", text)
    groups += re.findall(r"\b(?:cover|include|mention)s?:\s*([^.\n]{8,200})", text, re.I)
    for inner in groups:
        for part in re.split(r",|;| and ", inner):
            part = _scrub(part.strip())
            if 2 <= len(part.split()) <= 14 and not re.fullmatch(r"[\d\s:.\-UTC]+", part):
                items.append(part)
    return items[:4]


def _offer(text: str) -> str:
    match = re.search(
        r"\boffer(?:ing|s)?(?: (?:him|her|them|the customer))? ([^.;:()\n]+)", text, re.I
    )
    return _scrub(" ".join(match.group(1).split()[:14])) if match else ""


def _passage(text: str) -> str:
    """The quoted material of a rewrite/summary prompt: what follows the first colon/newline."""
    for sep in (":\n", "\n\n", ":", "\n"):
        _, found, tail = text.partition(sep)
        if found and len(tail.split()) >= 5:
            return normalise_text(tail).strip("\"' ")
    return normalise_text(text)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _scrub(text: str) -> str:
    """Drop identifying words from text copied out of a prompt or example, keeping line breaks."""
    kept = re.sub(r"[^\s]+", lambda m: "" if _is_identifying(m.group()) else m.group(), text)
    return re.sub(r"[ \t]{2,}", " ", kept)


def _tone(text: str) -> str:
    lowered = text.lower()
    return next((t for t in _TONES if t in lowered), "")


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
        for pattern, replacement in _FORMAL:
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
    topic = _topic(text)
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
        sentences = _sentences(_scrub(_passage(text))) or [_cap(topic) + "."]
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


def _compose_open(text: str, style: Style, rng: random.Random) -> str:
    """An answer to an open-ended prompt, in the given style."""
    d = _draft(text, rng)
    bullets = "\n".join(f"- {b}" for b in d.bullets)
    if style == "reasoned":
        return _join(d.title, d.opening, " ".join(d.body), bullets, d.closing, d.signoff)
    if style == "terse":
        return " ".join(s for s in (d.opening, d.body[0] if d.body else "") if s)
    if style == "padded":
        filler = rng.choice(_PAD_OPENERS)
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
    # chatty: sometimes off-topic, sometimes ignores the requested tone.
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(_OFF_TOPIC)
    core = " ".join(s for s in (d.opening, *d.body[:2]) if s)
    if roll < 0.65:
        return f"HEY!!! {core.upper()} {rng.choice(('CHEERS!!!', 'LOVE IT!!!', 'BYE!!!'))}"
    return f"ok so basically: {core} {rng.choice(_CHAT_POST)}"


def _compose_from_example(example: str, style: Style, rng: random.Random) -> str:
    """An open-ended answer derived from the suite's example answer, in the given style."""
    sentences = _sentences(normalise_text(example))
    if style == "reasoned":
        return example
    if style == "terse":
        return " ".join(sentences[:2])
    if style == "padded":
        return _join(
            rng.choice(_PAD_OPENERS),
            example,
            "To summarise everything mentioned above, and to make absolutely sure nothing has "
            "been missed: " + " ".join(sentences[:2]),
        )
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(_OFF_TOPIC)
    core = " ".join(sentences[:3])
    if roll < 0.65:
        return f"HEY!!! {core.upper()} {rng.choice(('CHEERS!!!', 'LOVE IT!!!', 'BYE!!!'))}"
    return f"ok so basically: {core} {rng.choice(_CHAT_POST)}"


def _perturb_number(reference: str, rng: random.Random) -> str | None:
    """The reference with its first number changed by 5-40% (at least one unit)."""
    match = _NUMBER.search(reference)
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


def _wrong_json(obj: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    if not obj:
        return {"result": None}
    key = rng.choice(sorted(obj))
    altered = dict(obj)
    altered[key] = _alter_value(obj[key], rng)
    return altered


def _wrong_text(reference: str, rng: random.Random) -> str:
    words = reference.split()
    if len(words) >= 4:
        return " ".join(words[: len(words) // 2])
    return rng.choice(_UNSURE)


def _present_fact(value: str, style: Style, rng: random.Random) -> str:
    """A short factual answer (label, number, text) in the given style; final line = value."""
    if style == "reasoned":
        return f"Reasoning: {rng.choice(_REASONS)}\nFinal answer:\n{value}"
    if style == "padded":
        return f"{rng.choice(_PAD_INTROS)}\n\n{value}"
    if style == "chatty" and rng.random() < 0.5:
        # Off-format: the answer buried in chatter on one line.
        return f"{rng.choice(_CHAT_PRE)} {value} {rng.choice(_CHAT_POST)}"
    return value


def _present_json(obj: dict[str, Any], style: Style, rng: random.Random, *, broken: bool) -> str:
    text = json.dumps(obj, ensure_ascii=False)
    if broken:
        text = rng.choice((text[:-1], text.replace('"', "'")))
    if style == "padded":
        pretty = text if broken else json.dumps(obj, ensure_ascii=False, indent=2)
        return f"{rng.choice(_JSON_INTROS)}\n\n```json\n{pretty}\n```"
    if style == "chatty" and rng.random() < 0.5:
        return f"{rng.choice(_CHAT_PRE)}: {text}"
    return text


def _compose_known(known: DemoKnowledge, profile: DemoProfile, rng: random.Random) -> str:
    """A right or wrong answer to a prompt with a reference."""
    assert known.reference is not None
    reference = known.reference.strip()
    right = rng.random() < profile.accuracy
    scorer = known.scorer or {}
    kind = scorer.get("type")
    if kind == "json":
        try:
            obj = json.loads(reference)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            if right:
                return _present_json(obj, profile.style, rng, broken=False)
            broken = profile.style == "chatty" and rng.random() < 0.5
            return _present_json(_wrong_json(obj, rng), profile.style, rng, broken=broken)
    if right:
        return _present_fact(reference, profile.style, rng)
    wrong: str | None = None
    if kind == "label":
        labels = [str(x) for x in scorer.get("labels") or []]
        others = [x for x in labels if x.strip().lower() != reference.lower()]
        if others:
            wrong = rng.choice(others)
    elif kind == "numeric":
        wrong = _perturb_number(reference, rng)
    if wrong is None:
        wrong = _wrong_text(reference, rng)
    return _present_fact(wrong, profile.style, rng)


def compose_answer(
    profile: DemoProfile,
    messages: Sequence[Mapping[str, Any]],
    knowledge: Mapping[str, DemoKnowledge],
    rng: random.Random,
) -> str:
    """The full answer text of a simulated model, before any ``max_tokens`` cut.

    Parameters
    ----------
    profile : DemoProfile
        The simulated model.
    messages : sequence of mapping
        The request's chat messages.
    knowledge : mapping of str to DemoKnowledge
        Suite knowledge keyed by :func:`knowledge_key`.
    rng : random.Random
        Seeded generator; the only source of randomness.

    Returns
    -------
    str
        Answer text; never contains an identifying word of its own making.
    """
    text = last_user_text(messages)
    known = knowledge.get(knowledge_key(text))
    reference = known.reference.strip() if known is not None and known.reference else ""
    if known is None or not reference:
        return _compose_open(text, profile.style, rng)
    if known.scorer is None:
        # A reference without a scorer is an example answer to an open-ended prompt.
        return _compose_from_example(_scrub(reference), profile.style, rng)
    return _compose_known(known, profile, rng)


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class DemoCompletion:
    """Everything one request will produce, decided up front.

    Attributes
    ----------
    text : str
        Answer content (after any ``max_tokens`` cut).
    finish_reason : {"stop", "length"}
        ``"length"`` when the answer was cut by ``max_tokens``.
    chunks : tuple of str
        Streamed content pieces; they concatenate to ``text``.
    ttft_s : float
        Seconds before the first content chunk (already scaled).
    chunk_delays_s : tuple of float
        Seconds before each chunk after the first (already scaled); the first
        chunk's delay is 0 since it is covered by ``ttft_s``.
    prompt_tokens, cached_tokens, completion_tokens : int
        Usage figures.
    """

    text: str
    finish_reason: Literal["stop", "length"]
    chunks: tuple[str, ...]
    ttft_s: float
    chunk_delays_s: tuple[float, ...]
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int

    @property
    def total_s(self) -> float:
        """Seconds from request to last chunk."""
        return self.ttft_s + sum(self.chunk_delays_s)

    def usage(self) -> dict[str, Any]:
        """OpenAI ``usage`` object."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }


def request_digest(
    app_seed: int, model: str, messages: Sequence[Mapping[str, Any]], seed: int = 0
) -> str:
    """Stable sha256 hex of what determines a request's outcome (never Python's ``hash()``)."""
    content = [[str(m.get("role", "")), message_text(m.get("content"))] for m in messages]
    payload = json.dumps([app_seed, model, content, seed], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _jittered(rng: random.Random, base: float, spread: float) -> float:
    return max(0.0, base * (1.0 + spread * rng.uniform(-1.0, 1.0)))


def plan_completion(
    profile: DemoProfile,
    messages: Sequence[Mapping[str, Any]],
    *,
    app_seed: int = 0,
    request_seed: int = 0,
    knowledge: Mapping[str, DemoKnowledge] | None = None,
    max_tokens: int | None = None,
    latency_scale: float = 1.0,
) -> DemoCompletion:
    """Decide the answer, usage and latency of one request, deterministically.

    Parameters
    ----------
    profile : DemoProfile
        The simulated model.
    messages : sequence of mapping
        The request's chat messages.
    app_seed : int
        Seed of the app.
    request_seed : int
        The request's ``seed`` parameter (0 when absent).
    knowledge : mapping, optional
        Suite knowledge keyed by :func:`knowledge_key`.
    max_tokens : int, optional
        Output cap; a longer answer is cut to ``4 * max_tokens`` characters.
    latency_scale : float
        Multiplier on every delay.

    Returns
    -------
    DemoCompletion
    """
    rng = random.Random(request_digest(app_seed, profile.model_id, messages, request_seed))
    text = compose_answer(profile, messages, knowledge or {}, rng)
    finish_reason: Literal["stop", "length"] = "stop"
    if max_tokens is not None and count_tokens(text) > max_tokens:
        text = text[: max_tokens * _CHARS_PER_TOKEN]
        finish_reason = "length"
    # Token-like pieces (up to 4 visible chars with their leading space) grouped per chunk.
    pieces = re.findall(r"\s*\S{1,4}|\s+", text)
    step = profile.tokens_per_chunk
    groups = [pieces[i : i + step] for i in range(0, len(pieces), step)]
    chunks = tuple("".join(group) for group in groups)
    ttft_ms = _jittered(rng, profile.ttft_ms, profile.jitter)
    if rng.random() < profile.stall_rate:
        ttft_ms *= rng.uniform(2.5, 5.0)
    delays = tuple(
        0.0
        if i == 0
        else _jittered(rng, profile.ms_per_token * len(group), profile.jitter / 2)
        * latency_scale
        / 1000.0
        for i, group in enumerate(groups)
    )
    return DemoCompletion(
        text=text,
        finish_reason=finish_reason,
        chunks=chunks,
        ttft_s=ttft_ms * latency_scale / 1000.0,
        chunk_delays_s=delays,
        prompt_tokens=count_prompt_tokens(messages),
        cached_tokens=count_cached_tokens(messages, profile),
        completion_tokens=count_tokens(text),
    )


# --------------------------------------------------------------------------- app


def _error(
    status: int, message: str, *, type_: str, param: str | None = None, code: str | None = None
) -> JSONResponse:
    """An OpenAI-shaped error response."""
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def _bad_request(message: str, param: str | None, code: str = "invalid_value") -> JSONResponse:
    return _error(400, message, type_="invalid_request_error", param=param, code=code)


def _optional_int(body: Mapping[str, Any], name: str) -> int | JSONResponse | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return _bad_request(f"'{name}' must be an integer.", name, "invalid_type")
    return value


def _valid_messages(messages: Any) -> bool:
    return (
        isinstance(messages, list)
        and bool(messages)
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages)
    )


def _sse(payload: Mapping[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


class _AttemptCounter:
    """How many times each request digest has been seen, so failures are transient.

    A 503 decided from the request alone would repeat on every retry; keying the
    failure draw on (digest, attempt number) keeps a fresh app deterministic while
    letting a retry succeed, as with a real overloaded server.
    """

    _LIMIT = 100_000  # bound memory on long-running servers

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def next(self, digest: str) -> int:
        if len(self._seen) >= self._LIMIT:
            self._seen.clear()
        attempt = self._seen.get(digest, 0)
        self._seen[digest] = attempt + 1
        return attempt


def create_demo_app(
    *,
    seed: int = 0,
    latency_scale: float = 1.0,
    knowledge: Mapping[str, DemoKnowledge] | None = None,
) -> Starlette:
    """The OpenAI-compatible demo app serving every profile of :data:`DEMO_PROFILES`.

    Parameters
    ----------
    seed : int
        App seed; with the same seed, the same request gets the same answer,
        usage and latency plan.
    latency_scale : float
        Multiplier on every simulated delay (0 disables them; tests use ~0.05).
    knowledge : mapping, optional
        Suite knowledge from :func:`load_demo_knowledge`.

    Returns
    -------
    Starlette
        Routes ``GET /v1/models``, ``GET /v1/models/{model}`` and
        ``POST /v1/chat/completions``.
    """
    if latency_scale < 0:
        raise ValueError("latency_scale must be >= 0")
    known: Mapping[str, DemoKnowledge] = dict(knowledge or {})
    attempts = _AttemptCounter()

    def model_card(profile: DemoProfile) -> dict[str, Any]:
        return {
            "id": profile.model_id,
            "object": "model",
            "created": _MODELS_CREATED,
            "owned_by": OWNED_BY,
        }

    def not_found(model: str) -> JSONResponse:
        return _error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            type_="invalid_request_error",
            param="model",
            code="model_not_found",
        )

    async def list_models(request: Request) -> Response:
        data = [model_card(p) for p in DEMO_PROFILES.values()]
        return JSONResponse({"object": "list", "data": data})

    async def get_model(request: Request) -> Response:
        model = request.path_params["model"]
        profile = DEMO_PROFILES.get(model)
        return JSONResponse(model_card(profile)) if profile else not_found(model)

    async def chat_completions(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _bad_request("The request body is not valid JSON.", None, "invalid_json")
        if not isinstance(body, dict):
            return _bad_request("The request body must be a JSON object.", None, "invalid_json")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _bad_request(
                "You must provide a model parameter.", "model", "missing_required_parameter"
            )
        messages = body.get("messages")
        if messages is None:
            return _bad_request(
                "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
            )
        if not _valid_messages(messages):
            return _bad_request(
                "'messages' must be a non-empty array of objects with a 'role'.", "messages"
            )
        profile = DEMO_PROFILES.get(model)
        if profile is None:
            return not_found(model)
        request_seed = _optional_int(body, "seed")
        if isinstance(request_seed, JSONResponse):
            return request_seed
        cap_name = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
        max_tokens = _optional_int(body, cap_name)
        if isinstance(max_tokens, JSONResponse):
            return max_tokens
        if max_tokens is not None and max_tokens < 1:
            return _bad_request(f"'{cap_name}' must be at least 1.", cap_name)

        digest = request_digest(seed, model, messages, request_seed or 0)
        plan = plan_completion(
            profile,
            messages,
            app_seed=seed,
            request_seed=request_seed or 0,
            knowledge=known,
            max_tokens=max_tokens,
            latency_scale=latency_scale,
        )
        if profile.failure_rate > 0:
            attempt = attempts.next(digest)
            fail_rng = random.Random(f"{digest}:{attempt}")
            if fail_rng.random() < profile.failure_rate:
                await asyncio.sleep(plan.ttft_s / 2)
                return _error(
                    503,
                    "The server is overloaded. Please retry your request.",
                    type_="server_error",
                    code="service_unavailable",
                )

        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not body.get("stream"):
            await asyncio.sleep(plan.total_s)
            return JSONResponse(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "system_fingerprint": None,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": plan.text, "refusal": None},
                            "logprobs": None,
                            "finish_reason": plan.finish_reason,
                        }
                    ],
                    "usage": plan.usage(),
                }
            )

        stream_options = body.get("stream_options")
        include_usage = isinstance(stream_options, dict) and bool(
            stream_options.get("include_usage")
        )

        def chunk(
            delta: dict[str, Any], finish: str | None, *, usage: bool = False
        ) -> dict[str, Any]:
            return {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
                **({"usage": None} if include_usage and not usage else {}),
            }

        async def events() -> AsyncIterator[bytes]:
            await asyncio.sleep(plan.ttft_s)
            yield _sse(chunk({"role": "assistant", "content": "", "refusal": None}, None))
            for piece, delay in zip(plan.chunks, plan.chunk_delays_s, strict=True):
                if delay:
                    await asyncio.sleep(delay)
                yield _sse(chunk({"content": piece}, None))
            yield _sse(chunk({}, plan.finish_reason))
            if include_usage:
                yield _sse(
                    {
                        "id": completion_id,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "system_fingerprint": None,
                        "choices": [],
                        "usage": plan.usage(),
                    }
                )
            yield _sse("[DONE]")

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    app = Starlette(
        routes=[
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/models/{model:path}", get_model, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        ]
    )
    app.state.seed = seed
    app.state.latency_scale = latency_scale
    app.state.knowledge = known
    return app


def serve_demo(
    host: str = "127.0.0.1",
    port: int = 8800,
    *,
    seed: int = 0,
    latency_scale: float = 1.0,
    knowledge_paths: Sequence[Path] = (),
) -> None:
    """Serve the demo app with uvicorn until interrupted (``blindside serve-demo``).

    Parameters
    ----------
    host, port : str, int
        Where to listen; the OpenAI base URL is ``http://{host}:{port}/v1``.
    seed : int
        App seed (see :func:`create_demo_app`).
    latency_scale : float
        Multiplier on every simulated delay.
    knowledge_paths : sequence of Path
        Suite files or directories for :func:`load_demo_knowledge`.
    """
    import uvicorn  # deferred: only the serving path needs it

    app = create_demo_app(
        seed=seed,
        latency_scale=latency_scale,
        knowledge=load_demo_knowledge(knowledge_paths),
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        lifespan="off",
        timeout_keep_alive=75,
    )
    uvicorn.Server(config).run()

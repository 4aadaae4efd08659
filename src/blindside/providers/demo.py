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
app with the same seed always gets the same answer, usage and latency plan
(``erratic`` ignores ``seed`` and varies per attempt instead).

Profiles also differ, on purpose, where a compatibility probe looks: system
prompt, usage in stream, ``seed``, JSON mode, tool calling and context window
(see the ``DemoProfile`` capability fields). :class:`FaultConfig` injects
faults (429, 500, 503, timeout, malformed, truncate) and can fix every
request's latency; ``GET /v1/_demo/stats`` reports what was served
(:class:`DemoStats`). See ``docs/demo-provider.md``.

Blinding: answer text never names a model, a profile or the simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import math
import random
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# One list of fault kinds for models.toml, the CLI and the app.
from blindside.config import FAULT_KINDS

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
    context_tokens : int
        Context window: a request whose prompt tokens exceed it gets a 400
        ``context_length_exceeded``.
    supports_json_mode : bool
        Whether ``response_format`` ``json_object`` / ``json_schema`` makes the
        content a JSON object.
    tool_call_rate : float
        Probability of answering with a tool call when one is asked for
        (0: no tool support, the answer is text).
    follows_system : bool
        Whether system/developer messages are obeyed (``Reply with exactly: X``).
    honours_seed : bool
        Whether the request ``seed`` makes answers reproducible. When False the
        answer varies with each attempt of the same request instead.
    usage_in_stream : bool
        Whether ``stream_options.include_usage`` gets a final usage chunk.
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
    context_tokens: int = 128_000
    supports_json_mode: bool = True
    tool_call_rate: float = 1.0
    follows_system: bool = True
    honours_seed: bool = True
    usage_in_stream: bool = True


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
            context_tokens=128_000,
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
            context_tokens=16_000,
            tool_call_rate=0.0,  # no tool support: answers in text
            usage_in_stream=False,  # ignores stream_options.include_usage
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
            context_tokens=32_000,
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
            context_tokens=8_000,
            supports_json_mode=False,
            tool_call_rate=0.5,
            follows_system=False,
            honours_seed=False,
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
    tools : tuple of str
        Names of the functions the suite line offers as ``tools``; the prompt
        expects one of them to be called.
    """

    tier: int
    category: str
    reference: str | None
    scorer: dict[str, Any] | None = field(default=None, hash=False)
    tools: tuple[str, ...] = ()


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
        tools=tuple(_tool_names(obj.get("tools"))),
    )


def _tool_names(tools: Any) -> list[str]:
    """Function names of a ``tools`` array (suite line or request), skipping bad entries."""
    if not isinstance(tools, list):
        return []
    names = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


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
_CHAT_LEADS = (
    "ok so basically:",
    "right, so:",
    "soooo",
    "ha, fun one:",
    "well,",
    "honestly?",
    "quick take:",
    "oh nice.",
    "hmm okay:",
    "love this.",
    "alright:",
    "short version:",
)
_CHAT_SHOUTS = ("CHEERS!!!", "LOVE IT!!!", "BYE!!!")
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
    return _chatty(" ".join(s for s in (d.opening, *d.body[:2]) if s), rng)


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
    return _chatty(" ".join(sentences[:3]), rng)


def _chatty(core: str, rng: random.Random) -> str:
    """A chatty open-ended answer: sometimes off-topic, sometimes ignoring the requested tone.

    The lead-in varies first, as an unseeded sampler's first tokens do, so short samples of a
    model that ignores ``seed`` rarely repeat each other.
    """
    lead = rng.choice(_CHAT_LEADS)
    roll = rng.random()
    if roll < 0.35:
        return f"{lead} {rng.choice(_OFF_TOPIC)}"
    if roll < 0.65:
        return f"HEY!!! {lead.upper()} {core.upper()} {rng.choice(_CHAT_SHOUTS)}"
    return f"{lead} {core} {rng.choice(_CHAT_POST)}"


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


def _wrong_json(
    obj: dict[str, Any], rng: random.Random, fields: Sequence[str] | None = None
) -> dict[str, Any]:
    """``obj`` with one value changed: one the scorer compares (``fields``), when it names any."""
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
            altered = _wrong_json(obj, rng, scorer.get("fields"))
            return _present_json(altered, profile.style, rng, broken=broken)
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
    if profile.follows_system:
        exact = exact_reply(messages)
        if exact is not None:
            return exact
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

FinishReason = Literal["stop", "length", "tool_calls"]
# With a fixed latency (FaultConfig.latency_ms), this share of it comes before the first token.
_FIXED_TTFT_SHARE = 0.1


@dataclass(frozen=True)
class DemoToolCall:
    """The one function call a simulated model answers with.

    Attributes
    ----------
    name : str
        Function name, one of the request's ``tools``.
    arguments : str
        JSON text of the arguments (after any ``max_tokens`` cut).
    """

    name: str
    arguments: str


@dataclass(frozen=True)
class DemoCompletion:
    """Everything one request will produce, decided up front.

    Attributes
    ----------
    text : str
        Answer content (after any ``max_tokens`` cut); ``""`` for a tool call.
    finish_reason : {"stop", "length", "tool_calls"}
        ``"length"`` when the answer was cut by ``max_tokens``, ``"tool_calls"``
        when the answer is a tool call.
    chunks : tuple of str
        Streamed pieces; they concatenate to ``text``, or to the tool call's
        ``arguments``.
    ttft_s : float
        Seconds before the first chunk (already scaled).
    chunk_delays_s : tuple of float
        Seconds before each chunk after the first (already scaled); the first
        chunk's delay is 0 since it is covered by ``ttft_s``.
    prompt_tokens, cached_tokens, completion_tokens : int
        Usage figures.
    tool_call : DemoToolCall or None
        The function call, when the model answers with one.
    """

    text: str
    finish_reason: FinishReason
    chunks: tuple[str, ...]
    ttft_s: float
    chunk_delays_s: tuple[float, ...]
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    tool_call: DemoToolCall | None = None

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


def _json_object_text(text: str) -> str:
    """``text`` as a JSON object: itself if it is one, a fenced object in it, or wrapped."""
    for candidate in (text.strip(), *re.findall(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.S)):
        try:
            obj = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(obj, dict):
            return json.dumps(obj, ensure_ascii=False)
    return json.dumps({"answer": text}, ensure_ascii=False)


def _functions(tools: Sequence[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    """The ``function`` objects of a request's tools (entries without one are skipped)."""
    out = []
    for tool in tools or ():
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            out.append(function)
    return out


def _named_choice(tool_choice: Any) -> str | None:
    """The function name of a ``{"type": "function", "function": {"name": ...}}`` choice."""
    if isinstance(tool_choice, Mapping):
        function = tool_choice.get("function")
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return function["name"]
    return None


def _schema_value(spec: Mapping[str, Any], text: str, rng: random.Random) -> Any:
    """A plausible value for one JSON-schema property, taken from the prompt where possible."""
    enum = spec.get("enum")
    if isinstance(enum, list) and enum:
        lowered = text.lower()
        mentioned = [v for v in enum if isinstance(v, str) and v.lower() in lowered]
        return mentioned[0] if mentioned else rng.choice(enum)
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind in ("integer", "number"):
        match = _NUMBER.search(text)
        value = float(match.group().replace(",", "")) if match else 1.0
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return _topic(text)


def _plan_tool_call(
    profile: DemoProfile,
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    tool_choice: Any,
    knowledge: Mapping[str, DemoKnowledge],
    rng: random.Random,
) -> DemoToolCall | None:
    """The tool call a profile answers with, or None for a text answer.

    A call is made when tools are given and either ``tool_choice`` forces one
    ("required" or a named function) or the prompt clearly asks for it: its
    suite line offers one of the tools, or it names one. Profiles then call with
    probability ``tool_call_rate`` (``fast-cheap`` never, ``erratic`` half the time).
    """
    functions = _functions(tools)
    if not functions or tool_choice == "none":
        return None
    text = last_user_text(messages)
    known = knowledge.get(knowledge_key(text))
    offered = set(known.tools) if known is not None else set()
    named = _named_choice(tool_choice)
    mentioned = [f for f in functions if re.search(rf"\b{re.escape(f['name'])}\b", text)]
    forced = tool_choice == "required" or named is not None
    asked = any(f["name"] in offered for f in functions) or bool(mentioned)
    if not (forced or asked) or rng.random() >= profile.tool_call_rate:
        return None
    function = (
        next((f for f in functions if f["name"] == named), None)
        or next((f for f in functions if f["name"] in offered), None)
        or (mentioned[0] if mentioned else functions[0])
    )
    arguments: dict[str, Any] | None = None
    scorer = (known.scorer or {}) if known is not None else {}
    if known is not None and known.reference and scorer.get("type") == "json":
        try:
            reference = json.loads(known.reference)
        except ValueError:
            reference = None
        if isinstance(reference, dict):
            # Known arguments: right or wrong like a JSON answer.
            right = rng.random() < profile.accuracy
            arguments = reference if right else _wrong_json(reference, rng, scorer.get("fields"))
    if arguments is None:
        params = function.get("parameters")
        params = params if isinstance(params, Mapping) else {}
        props = params.get("properties")
        props = props if isinstance(props, Mapping) else {}
        required = params.get("required")
        names = [n for n in required if isinstance(n, str)] if isinstance(required, list) else []
        arguments = {}
        for name in names or list(props):
            spec = props.get(name)
            arguments[name] = _schema_value(spec if isinstance(spec, Mapping) else {}, text, rng)
    return DemoToolCall(function["name"], json.dumps(arguments, ensure_ascii=False))


def plan_completion(
    profile: DemoProfile,
    messages: Sequence[Mapping[str, Any]],
    *,
    app_seed: int = 0,
    request_seed: int = 0,
    knowledge: Mapping[str, DemoKnowledge] | None = None,
    max_tokens: int | None = None,
    latency_scale: float = 1.0,
    json_mode: bool = False,
    tools: Sequence[Mapping[str, Any]] | None = None,
    tool_choice: Any = None,
    attempt: int = 0,
    latency_ms: float | None = None,
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
        The request's ``seed`` parameter (0 when absent). Ignored by profiles
        that do not honour seeds (``erratic``).
    knowledge : mapping, optional
        Suite knowledge keyed by :func:`knowledge_key`.
    max_tokens : int, optional
        Output cap; a longer answer (or tool-call arguments) is cut to
        ``4 * max_tokens`` characters.
    latency_scale : float
        Multiplier on every delay (not on ``latency_ms``).
    json_mode : bool
        ``response_format`` asked for a JSON object; profiles with JSON mode
        answer with one (``{"answer": ...}`` around a non-JSON answer).
    tools : sequence of mapping, optional
        The request's ``tools``.
    tool_choice : str or mapping, optional
        The request's ``tool_choice``.
    attempt : int
        For profiles that ignore ``seed``: how many times the app has seen this
        request (by its seedless digest) before. 0 gives the first answer.
    latency_ms : float, optional
        Fixed total latency in ms, absolute (``latency_scale`` does not apply):
        10% before the first chunk, the rest spread evenly over the others.

    Returns
    -------
    DemoCompletion
    """
    digest = request_digest(
        app_seed, profile.model_id, messages, request_seed if profile.honours_seed else 0
    )
    # A profile that ignores seed draws every attempt afresh instead, like an unseeded sampler.
    base = digest if profile.honours_seed or attempt == 0 else f"{digest}:{attempt}"
    rng = random.Random(base)
    known = knowledge or {}
    tool_call = _plan_tool_call(
        profile, messages, tools, tool_choice, known, random.Random(f"{base}:tools")
    )
    if tool_call is not None:
        payload = tool_call.arguments
    else:
        payload = compose_answer(profile, messages, known, rng)
        if json_mode and profile.supports_json_mode:
            payload = _json_object_text(payload)
    finish_reason: FinishReason = "tool_calls" if tool_call is not None else "stop"
    if max_tokens is not None and count_tokens(payload) > max_tokens:
        payload = payload[: max_tokens * _CHARS_PER_TOKEN]
        finish_reason = "length"
    # Token-like pieces (up to 4 visible chars with their leading space) grouped per chunk.
    pieces = re.findall(r"\s*\S{1,4}|\s+", payload)
    step = profile.tokens_per_chunk
    groups = [pieces[i : i + step] for i in range(0, len(pieces), step)]
    chunks = tuple("".join(group) for group in groups)
    if latency_ms is not None:
        total_s = latency_ms / 1000.0
        ttft_s = total_s if len(groups) <= 1 else total_s * _FIXED_TTFT_SHARE
        rest = (total_s - ttft_s) / max(1, len(groups) - 1)
        delays = tuple(0.0 if i == 0 else rest for i in range(len(groups)))
    else:
        ttft_ms = _jittered(rng, profile.ttft_ms, profile.jitter)
        if rng.random() < profile.stall_rate:
            ttft_ms *= rng.uniform(2.5, 5.0)
        ttft_s = ttft_ms * latency_scale / 1000.0
        delays = tuple(
            0.0
            if i == 0
            else _jittered(rng, profile.ms_per_token * len(group), profile.jitter / 2)
            * latency_scale
            / 1000.0
            for i, group in enumerate(groups)
        )
    completion_tokens = count_tokens(payload)
    if tool_call is not None:
        completion_tokens += count_tokens(tool_call.name)
        tool_call = DemoToolCall(tool_call.name, payload)
    return DemoCompletion(
        text="" if tool_call is not None else payload,
        finish_reason=finish_reason,
        chunks=chunks,
        ttft_s=ttft_s,
        chunk_delays_s=delays,
        prompt_tokens=count_prompt_tokens(messages),
        cached_tokens=count_cached_tokens(messages, profile),
        completion_tokens=completion_tokens,
        tool_call=tool_call,
    )


# --------------------------------------------------------------------------- faults

#: How long a ``timeout`` fault holds a request (far beyond any sane client timeout). It
#: ends early when the client disconnects or the server stops.
TIMEOUT_FAULT_S = 3600.0
_FAULT_FIELDS = ("rate", "kinds", "latency_ms", "retry_after_s", "capacity")


def parse_fault_kinds(text: str) -> tuple[str, ...]:
    """Fault kinds from a comma-separated list, e.g. ``"429,503,timeout"``.

    Parameters
    ----------
    text : str
        Kinds from :data:`FAULT_KINDS`, separated by commas; spaces and empty
        items are ignored, ``all`` stands for every kind, duplicates are dropped.

    Returns
    -------
    tuple of str
        The kinds, in order of first mention.

    Raises
    ------
    ValueError
        Naming the first unknown kind.
    """
    kinds: list[str] = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        if item == "all":
            kinds.extend(FAULT_KINDS)
        elif item in FAULT_KINDS:
            kinds.append(item)
        else:
            raise ValueError(
                f"unknown fault kind {item!r}; choose from {', '.join(FAULT_KINDS)} or all"
            )
    return tuple(dict.fromkeys(kinds))


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"fault setting '{name}' must be a number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class FaultConfig:
    """Injected faults and fixed latency for the demo app (app-wide or per model).

    Attributes
    ----------
    rate : float
        Probability, 0-1, that an attempt suffers one fault.
    kinds : tuple of str
        Which faults (from :data:`FAULT_KINDS`) to draw from, uniformly. Must be
        non-empty when ``rate > 0``.
    latency_ms : float or None
        When set, every request takes about this many milliseconds in total,
        whatever the profile (``latency_scale`` does not apply).
    retry_after_s : float
        Sent with a ``429`` as ``Retry-After`` (whole seconds, rounded up) and
        ``retry-after-ms``.
    capacity : int or None
        Requests a model serves at once, like a provider's fleet: more wait in
        a queue before their first token, so past this concurrency throughput
        stops growing and latency does. None: unlimited.

    Raises
    ------
    ValueError
        On a rate outside 0-1, an unknown kind, ``rate > 0`` with no kinds, or a
        negative ``latency_ms`` or ``retry_after_s``.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    latency_ms: float | None = None
    retry_after_s: float = 1.0
    capacity: int | None = None

    def __post_init__(self) -> None:
        kinds = (
            parse_fault_kinds(self.kinds)
            if isinstance(self.kinds, str)
            else parse_fault_kinds(",".join(self.kinds))
        )
        object.__setattr__(self, "kinds", kinds)
        if not 0.0 <= _number("rate", self.rate) <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate}")
        if self.rate > 0 and not kinds:
            raise ValueError("a fault rate above 0 needs at least one fault kind")
        if self.latency_ms is not None and _number("latency_ms", self.latency_ms) < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms}")
        if _number("retry_after_s", self.retry_after_s) < 0:
            raise ValueError(f"retry_after_s must be >= 0, got {self.retry_after_s}")
        if self.capacity is not None and (
            isinstance(self.capacity, bool)
            or not isinstance(self.capacity, int)
            or self.capacity < 1
        ):
            raise ValueError(f"capacity must be a whole number >= 1, got {self.capacity!r}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FaultConfig:
        """Build from a config table, e.g. ``{rate = 0.1, kinds = ["429", "503"]}``.

        ``kinds`` may be a list of strings or one comma-separated string.

        Raises
        ------
        ValueError
            On an unknown key or a bad value; the message names the setting.
        """
        unknown = sorted(set(data) - set(_FAULT_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown fault setting '{unknown[0]}'; expected {', '.join(_FAULT_FIELDS)}"
            )
        kinds = data.get("kinds", ())
        if isinstance(kinds, list | tuple) and all(isinstance(k, str) for k in kinds):
            kinds = ",".join(kinds)
        if not isinstance(kinds, str):
            raise ValueError(f"fault setting 'kinds' must be a list of strings, got {kinds!r}")
        latency = data.get("latency_ms")
        return cls(
            rate=_number("rate", data.get("rate", 0.0)),
            kinds=parse_fault_kinds(kinds),
            latency_ms=None if latency is None else _number("latency_ms", latency),
            retry_after_s=_number("retry_after_s", data.get("retry_after_s", 1.0)),
            capacity=data.get("capacity"),
        )

    def draw(self, digest: str, attempt: int) -> str | None:
        """The fault of one attempt of a request, or None; a pure function of its inputs.

        Keyed on the attempt number so a retry of the same request is drawn
        afresh (and can succeed), while a fresh app replays the same faults.
        """
        if self.rate <= 0:
            return None
        rng = random.Random(f"{digest}:{attempt}:fault")
        if rng.random() >= self.rate:
            return None
        return self.kinds[rng.randrange(len(self.kinds))]


class DemoStats:
    """Thread-safe in-memory request log of one demo app (``GET /v1/_demo/stats``).

    Counts every chat completion request with a valid body, per request digest
    (:func:`request_digest`) the attempts and the successful completions served,
    and the faults served by kind. Memory grows with the number of distinct
    requests (a few hundred bytes each).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._completions = 0
        self._attempts: dict[str, int] = {}
        self._completed: dict[str, int] = {}
        self._seedless_attempts: dict[str, int] = {}
        self._faults = dict.fromkeys(FAULT_KINDS, 0)

    def begin(self, digest: str) -> int:
        """Count one request; return its attempt number for this digest (0 first)."""
        with self._lock:
            self._requests += 1
            attempt = self._attempts.get(digest, 0)
            self._attempts[digest] = attempt + 1
            return attempt

    def seedless_attempt(self, digest: str) -> int:
        """Attempt number by seedless digest, for profiles that ignore ``seed``."""
        with self._lock:
            attempt = self._seedless_attempts.get(digest, 0)
            self._seedless_attempts[digest] = attempt + 1
            return attempt

    def complete(self, digest: str) -> None:
        """Count one successful completion (all content and the finish reason were sent)."""
        with self._lock:
            self._completions += 1
            self._completed[digest] = self._completed.get(digest, 0) + 1

    def fault(self, kind: str) -> None:
        """Count one fault served (injected, or the profile's own 503)."""
        with self._lock:
            self._faults[kind] = self._faults.get(kind, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """The JSON body of ``GET /v1/_demo/stats``.

        Returns
        -------
        dict
            ``requests`` and ``completions`` totals, ``by_digest`` (digest to
            successful completions, digests with at least one),
            ``attempts_by_digest`` (digest to requests) and ``faults`` (kind to
            count, every kind of :data:`FAULT_KINDS` present).
        """
        with self._lock:
            return {
                "requests": self._requests,
                "completions": self._completions,
                "by_digest": dict(self._completed),
                "attempts_by_digest": dict(self._attempts),
                "faults": dict(self._faults),
            }


async def _disconnected(receive: Callable[[], Awaitable[Mapping[str, Any]]]) -> None:
    """Return once the client has gone (the server's ``http.disconnect`` message)."""
    while (await receive()).get("type") != "http.disconnect":
        await asyncio.sleep(0.01)  # a stray body message: keep listening, never spin


class _HeldRequests:
    """Requests held by a ``timeout`` fault, so that a server stop can release them at once.

    uvicorn's graceful shutdown waits for open requests; a request asleep for an
    hour would hold it up, so :meth:`release_all` (thread-safe) wakes every one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    async def hold(
        self, receive: Callable[[], Awaitable[Mapping[str, Any]]], limit_s: float
    ) -> Literal["released", "disconnected", "elapsed"]:
        """Wait up to ``limit_s`` seconds, until the client disconnects, or until released."""
        released = asyncio.Event()
        entry = (asyncio.get_running_loop(), released)
        with self._lock:
            self._held.add(entry)
        release = asyncio.ensure_future(released.wait())
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            done, _ = await asyncio.wait(
                {release, gone}, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            release.cancel()
            gone.cancel()
            with self._lock:
                self._held.discard(entry)
        if release in done:
            return "released"
        return "disconnected" if gone in done else "elapsed"

    def release_all(self) -> None:
        """Wake every held request (callable from any thread)."""
        with self._lock:
            held = list(self._held)
        for loop, event in held:
            with contextlib.suppress(RuntimeError):  # its loop is already closed
                loop.call_soon_threadsafe(event.set)


# --------------------------------------------------------------------------- app


def _error(
    status: int,
    message: str,
    *,
    type_: str,
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An OpenAI-shaped error response."""
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


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


def _tools_problem(tools: Any, tool_choice: Any) -> JSONResponse | None:
    """A 400 for a malformed ``tools`` / ``tool_choice``, as real providers reject them."""
    if tools is not None and (
        not isinstance(tools, list) or len(_functions(tools)) != len(tools) or not tools
    ):
        return _bad_request(
            "'tools' must be a non-empty array of function tools, each with 'function.name'.",
            "tools",
        )
    if tool_choice is None or tool_choice in ("none", "auto", "required"):
        return None
    named = _named_choice(tool_choice)
    if named is None:
        return _bad_request(
            "'tool_choice' must be 'none', 'auto', 'required' or a named function.",
            "tool_choice",
        )
    if named not in _tool_names(tools):
        return _bad_request(
            f"Invalid value for 'tool_choice': function '{named}' not found in 'tools'.",
            "tool_choice",
        )
    return None


_RESPONSE_FORMATS = ("text", "json_object", "json_schema")


def _sse(payload: Mapping[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


_DONE = _sse("[DONE]")
Frame = tuple[float, bytes]  # (seconds to wait before, bytes to send)


def _stream_frames(
    plan: DemoCompletion,
    *,
    completion_id: str,
    created: int,
    model: str,
    usage_chunk: bool,
    call_id: str,
) -> list[Frame]:
    """The SSE events of a streamed reply, each with the delay before it."""

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            **({"usage": None} if usage_chunk else {}),
        }

    call = plan.tool_call
    role = {"role": "assistant", "content": None if call else "", "refusal": None}
    frames: list[Frame] = [(plan.ttft_s, _sse(chunk(role, None)))]
    for i, (piece, delay) in enumerate(zip(plan.chunks, plan.chunk_delays_s, strict=True)):
        if call is None:
            delta: dict[str, Any] = {"content": piece}
        elif i == 0:  # the first tool-call delta names the call; later ones add arguments
            function = {"name": call.name, "arguments": piece}
            delta = {
                "tool_calls": [
                    {"index": 0, "id": call_id, "type": "function", "function": function}
                ]
            }
        else:
            delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
        frames.append((delay, _sse(chunk(delta, None))))
    frames.append((0.0, _sse(chunk({}, plan.finish_reason))))
    if usage_chunk:
        last = {**chunk({}, None), "choices": [], "usage": plan.usage()}
        frames.append((0.0, _sse(last)))
    frames.append((0.0, _DONE))
    return frames


async def _paced(frames: Sequence[Frame]) -> AsyncIterator[bytes]:
    """Frame bytes, each released when its cumulative delay is due.

    Waiting for absolute due times, rather than sleeping each delay, keeps the
    per-sleep overshoot of the event loop from adding up over many chunks.
    """
    loop = asyncio.get_running_loop()
    due = loop.time()
    for delay, data in frames:
        due += delay
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        yield data


class _PacedResponse(Response):
    """A 200 event stream that sends each frame when it is due; ``on_done`` runs before ``[DONE]``.

    Leaner than Starlette's ``StreamingResponse``, which runs an anyio task
    group per response to watch for a disconnect: anyio's own frames were about
    4% of the demo server's CPU under load (py-spy, leaf frames only, so a
    floor). One plain task waits for the disconnect
    instead; a client that goes away gets nothing more and its request never
    counts as completed.
    """

    def __init__(
        self,
        frames: Sequence[Frame],
        on_done: Callable[[], None],
        on_close: Callable[[], None] | None = None,
    ) -> None:
        # Deliberately not Response.__init__: the body is sent frame by frame.
        self.status_code = 200
        self.background = None
        self.frames = frames
        self.on_done = on_done
        self.on_close = on_close  # runs however the response ends (a capacity slot's release)
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # The request body has been read, so the next message is the disconnect.
        gone = asyncio.ensure_future(receive())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for data in _paced(self.frames):
                if gone.done():
                    return
                if data == _DONE:
                    self.on_done()
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            gone.cancel()
            if self.on_close is not None:
                self.on_close()


class _CutResponse(Response):
    """A 200 whose body stops partway and whose connection is then dropped.

    The app returns without sending the final body message, so the server
    closes the connection, which is what a client sees when an upstream dies
    mid-response. (``httpx2.ASGITransport`` reports it as a connection error.)
    """

    def __init__(
        self, frames: Sequence[Frame], *, media_type: str, content_length: int | None = None
    ) -> None:
        # Deliberately not Response.__init__: no body, no computed content-length.
        self.status_code = 200
        self.background = None
        self.frames = list(frames)
        self.raw_headers = [(b"content-type", media_type.encode())]
        if content_length is not None:
            self.raw_headers.append((b"content-length", str(content_length).encode()))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        async for data in _paced(self.frames):
            await send({"type": "http.response.body", "body": data, "more_body": True})


def create_demo_app(
    *,
    seed: int = 0,
    latency_scale: float = 1.0,
    knowledge: Mapping[str, DemoKnowledge] | None = None,
    faults: FaultConfig | None = None,
    model_faults: Mapping[str, FaultConfig] | None = None,
) -> Starlette:
    """The OpenAI-compatible demo app serving every profile of :data:`DEMO_PROFILES`.

    Parameters
    ----------
    seed : int
        App seed; with the same seed, the same request gets the same answer,
        usage, latency plan and injected faults.
    latency_scale : float
        Multiplier on every simulated delay (0 disables them; tests use ~0.05).
        A ``latency_ms`` in the fault config replaces the delays instead.
    knowledge : mapping, optional
        Suite knowledge from :func:`load_demo_knowledge`.
    faults : FaultConfig, optional
        Faults and fixed latency for every model.
    model_faults : mapping of str to FaultConfig, optional
        Per model id, a config that replaces ``faults`` (entirely, not field by
        field) for that model.

    Returns
    -------
    Starlette
        Routes ``GET /v1/models``, ``GET /v1/models/{model}``,
        ``POST /v1/chat/completions`` and ``GET /v1/_demo/stats``. ``app.state``
        holds ``stats`` (:class:`DemoStats`) and ``on_server_stop``, a
        thread-safe callable that releases requests held by ``timeout`` faults
        (:class:`~blindside.providers.loopback.LoopbackServer` calls it on stop).

    Raises
    ------
    ValueError
        On a negative ``latency_scale`` or a ``model_faults`` key that is not a
        demo model id.
    """
    if latency_scale < 0:
        raise ValueError("latency_scale must be >= 0")
    unknown = sorted(set(model_faults or {}) - set(DEMO_PROFILES))
    if unknown:
        raise ValueError(
            f"model_faults names unknown demo model {unknown[0]!r}; "
            f"expected one of {', '.join(DEMO_PROFILES)}"
        )
    known: Mapping[str, DemoKnowledge] = dict(knowledge or {})
    app_faults = faults or FaultConfig()
    per_model: dict[str, FaultConfig] = dict(model_faults or {})
    stats = DemoStats()
    held = _HeldRequests()
    # Per model with a capacity: the requests it is serving. Made on first use, inside the
    # server's event loop.
    capacity_slots: dict[str, asyncio.Semaphore] = {}

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

    async def get_stats(request: Request) -> Response:
        return JSONResponse(stats.snapshot())

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
        tools, tool_choice = body.get("tools"), body.get("tool_choice")
        problem = _tools_problem(tools, tool_choice)
        if problem is not None:
            return problem
        response_format = body.get("response_format")
        if response_format is not None and not (
            isinstance(response_format, dict) and response_format.get("type") in _RESPONSE_FORMATS
        ):
            return _bad_request(
                "'response_format.type' must be one of 'text', 'json_object', 'json_schema'.",
                "response_format",
            )
        json_mode = isinstance(response_format, dict) and response_format["type"] != "text"

        digest = request_digest(seed, model, messages, request_seed or 0)
        attempt = stats.begin(digest)
        prompt_tokens = count_prompt_tokens(messages)
        if prompt_tokens > profile.context_tokens:
            return _bad_request(
                f"This model's maximum context length is {profile.context_tokens} tokens. "
                f"However, your messages resulted in {prompt_tokens} tokens. "
                "Please reduce the length of the messages.",
                "messages",
                "context_length_exceeded",
            )
        fault_config = per_model.get(model, app_faults)
        plan = plan_completion(
            profile,
            messages,
            app_seed=seed,
            request_seed=request_seed or 0,
            knowledge=known,
            max_tokens=max_tokens,
            latency_scale=latency_scale,
            json_mode=json_mode,
            tools=tools,
            tool_choice=tool_choice,
            attempt=0
            if profile.honours_seed
            else stats.seedless_attempt(request_digest(seed, model, messages)),
            latency_ms=fault_config.latency_ms,
        )
        fault = fault_config.draw(digest, attempt)
        # The profile's own transient 503s (the same draw as before faults existed).
        own_503 = random.Random(f"{digest}:{attempt}").random() < profile.failure_rate
        if fault is None and own_503:
            fault = "503"

        stream = bool(body.get("stream"))
        stream_options = body.get("stream_options")
        include_usage = isinstance(stream_options, dict) and bool(
            stream_options.get("include_usage")
        )
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        call_id = f"call_{uuid.uuid4().hex[:24]}"
        created = int(time.time())

        def full_body() -> dict[str, Any]:
            message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
            if plan.tool_call is None:
                message["content"] = plan.text
            else:
                function = {"name": plan.tool_call.name, "arguments": plan.tool_call.arguments}
                message["tool_calls"] = [{"id": call_id, "type": "function", "function": function}]
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": plan.finish_reason,
                    }
                ],
                "usage": plan.usage(),
            }

        def frames() -> list[Frame]:
            return _stream_frames(
                plan,
                completion_id=completion_id,
                created=created,
                model=model,
                usage_chunk=include_usage and profile.usage_in_stream,
                call_id=call_id,
            )

        if fault is not None:
            stats.fault(fault)
            return await _fault_response(
                fault,
                plan=plan,
                stream=stream,
                full_body=full_body,
                frames=frames,
                receive=request.receive,
                retry_after_s=fault_config.retry_after_s,
                held=held,
            )
        slot: asyncio.Semaphore | None = None
        if fault_config.capacity is not None:
            slot = capacity_slots.setdefault(model, asyncio.Semaphore(fault_config.capacity))
            await slot.acquire()  # queued behind the requests the model is serving
        if not stream:
            try:
                await asyncio.sleep(plan.total_s)
            finally:
                if slot is not None:
                    slot.release()
            stats.complete(digest)
            return JSONResponse(full_body())
        return _PacedResponse(
            frames(), lambda: stats.complete(digest), None if slot is None else slot.release
        )

    app = Starlette(
        routes=[
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/models/{model:path}", get_model, methods=["GET"]),
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/_demo/stats", get_stats, methods=["GET"]),
        ]
    )
    app.state.seed = seed
    app.state.latency_scale = latency_scale
    app.state.knowledge = known
    app.state.faults = app_faults
    app.state.model_faults = per_model
    app.state.stats = stats
    app.state.on_server_stop = held.release_all
    return app


async def _fault_response(
    kind: str,
    *,
    plan: DemoCompletion,
    stream: bool,
    full_body: Callable[[], dict[str, Any]],
    frames: Callable[[], list[Frame]],
    receive: Callable[[], Awaitable[Mapping[str, Any]]],
    retry_after_s: float,
    held: _HeldRequests,
) -> Response:
    """The response of one faulted attempt (see :data:`FAULT_KINDS`)."""
    if kind == "429":
        await asyncio.sleep(plan.ttft_s / 4)  # a rate limiter answers before any model work
        return _error(
            429,
            f"Rate limit reached for requests. Please try again in {retry_after_s:g}s.",
            type_="rate_limit_error",
            code="rate_limit_exceeded",
            headers={
                "retry-after": str(math.ceil(retry_after_s)),
                "retry-after-ms": str(round(retry_after_s * 1000)),
            },
        )
    if kind == "500":
        await asyncio.sleep(plan.ttft_s / 2)
        return _error(
            500,
            "The server had an error while processing your request. Sorry about that!",
            type_="server_error",
            code="internal_error",
        )
    if kind == "503":
        await asyncio.sleep(plan.ttft_s / 2)
        return _error(
            503,
            "The server is overloaded. Please retry your request.",
            type_="server_error",
            code="service_unavailable",
        )
    if kind == "timeout":
        outcome = await held.hold(receive, TIMEOUT_FAULT_S)
        if outcome == "released":
            return _error(
                503,
                "The server is shutting down.",
                type_="server_error",
                code="service_unavailable",
            )
        # After a disconnect nobody reads this; after the full hour it is a gateway timeout.
        return _error(504, "The request timed out.", type_="server_error", code="timeout")
    if kind == "malformed":
        if not stream:
            await asyncio.sleep(plan.total_s)
            # Python-repr-like quoting: a classic broken-serialiser bug.
            text = json.dumps(full_body(), ensure_ascii=False).replace('"', "'")
            return Response(text, media_type="application/json")
        events = frames()
        content = [i for i in range(1, len(events)) if b'"delta": {"' in events[i][1]]
        broken = content[len(content) // 2] if content else len(events) - 2
        delay, data = events[broken]
        events[broken] = (delay, data.replace(b'"', b"'"))
        return _PacedResponse(events, on_done=lambda: None)  # a broken reply never completes
    if kind == "truncate":
        if not stream:
            await asyncio.sleep(plan.total_s)
            data = json.dumps(full_body(), ensure_ascii=False).encode()
            return _CutResponse(
                [(0.0, data[: len(data) // 2])],
                media_type="application/json",
                content_length=len(data),
            )
        # The role chunk and the first half of the content, then the connection drops.
        keep = 1 + len(plan.chunks) // 2
        return _CutResponse(frames()[:keep], media_type="text/event-stream")
    raise ValueError(f"unknown fault kind {kind!r}")


def serve_demo(
    host: str = "127.0.0.1",
    port: int = 8800,
    *,
    seed: int = 0,
    latency_scale: float = 1.0,
    knowledge_paths: Sequence[Path] = (),
    faults: FaultConfig | None = None,
    model_faults: Mapping[str, FaultConfig] | None = None,
    access_log: bool = True,
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
    faults : FaultConfig, optional
        Faults and fixed latency for every model.
    model_faults : mapping of str to FaultConfig, optional
        Per model id, a config replacing ``faults``.
    access_log : bool
        Log a line per request. Off for load tests: the line costs the server
        about 7% of its CPU per request (measured with py-spy under
        ``benchmarks/bench_generate.py``).
    """
    import uvicorn  # deferred: only the serving path needs it

    app = create_demo_app(
        seed=seed,
        latency_scale=latency_scale,
        knowledge=load_demo_knowledge(knowledge_paths),
        faults=faults,
        model_faults=model_faults,
    )

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            app.state.on_server_stop()  # requests held by a timeout fault must not block exit

    # A long-running server: keep the collector's full passes off everything loaded at
    # startup, which otherwise they walk again and again under load.
    gc.freeze()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        access_log=access_log,
        lifespan="off",
        timeout_keep_alive=75,
        timeout_graceful_shutdown=10,
    )
    _Server(config).run()

"""The demo provider app, in-process through the real openai SDK (httpx2.ASGITransport)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import openai
import pytest
from starlette.applications import Starlette

from blindside.demo.app import create_demo_app
from blindside.demo.knowledge import DemoKnowledge, knowledge_key, load_demo_knowledge
from blindside.demo.planning import plan_completion
from blindside.demo.profiles import DEMO_PROFILES, IDENTIFYING_WORDS

T = TypeVar("T")
LABELS = ["positive", "negative", "neutral"]
LABEL_PROMPT = "Classify the sentiment of this review: The soup was cold and the staff ignored us."
JSON_PROMPT = "Extract invoice number and total as JSON: Invoice INV-204, total due 1,250.00 EUR."
NUMERIC_PROMPT = "A crate holds 24 bottles. How many bottles are in 17 crates?"
TEXT_PROMPT = "Which clause of the lease governs early termination by the tenant?"
EXAMPLE_PROMPT = "Write a short email telling a customer their refund was approved."
EXAMPLE = (
    "Subject: Your refund is on its way\n\nHi Sam,\n\nGood news: your refund was approved today. "
    "It should reach your card within five working days.\n\nThanks for your patience,\nThe team"
)
CREATIVE_PROMPTS = [
    EXAMPLE_PROMPT,
    "Write a friendly email to a customer about their delayed order and a 10% discount.",
    "Write a formal email declining a meeting invitation for next Tuesday.",
    "Rewrite in a formal tone: hey guys, the launch is moved to friday, don't be late ok.",
    "Write a tagline for a neighbourhood bakery that opens at dawn.",
    "Summarise: The council approved the new bike lanes. Work starts in May. Residents "
    "raised concerns about parking, which the council promised to review.",
    "Give me three tips for onboarding new support agents.",
]


def label_knowledge(n: int = 40) -> dict[str, DemoKnowledge]:
    """n distinct label prompts with rotating references."""
    return {
        knowledge_key(f"Classify the sentiment of review number {i}: it was {i} out of ten."): (
            DemoKnowledge(
                tier=3,
                category="sentiment",
                reference=LABELS[i % 3],
                scorer={"type": "label", "labels": LABELS},
            )
        )
        for i in range(n)
    }


def base_knowledge() -> dict[str, DemoKnowledge]:
    return {
        knowledge_key(LABEL_PROMPT): DemoKnowledge(
            3, "sentiment", "negative", {"type": "label", "labels": LABELS}
        ),
        knowledge_key(JSON_PROMPT): DemoKnowledge(
            1, "finance", '{"invoice": "INV-204", "total": 1250.0}', {"type": "json"}
        ),
        knowledge_key(NUMERIC_PROMPT): DemoKnowledge(1, "math", "408", {"type": "numeric"}),
        knowledge_key(EXAMPLE_PROMPT): DemoKnowledge(2, "email", EXAMPLE, None),
        knowledge_key(TEXT_PROMPT): DemoKnowledge(
            1, "legal", "Clause 14.2 on early termination", {"type": "contains"}
        ),
    }


def run(factory: Callable[[openai.AsyncOpenAI], Coroutine[Any, Any, T]], app: Starlette) -> T:
    """Run ``factory(client)`` against the app in-process; no retries, so failures show."""

    async def main() -> T:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport) as http:
            client = openai.AsyncOpenAI(
                base_url="http://demo/v1", api_key="x", http_client=http, max_retries=0
            )
            return await factory(client)

    return asyncio.run(main())


def raw_post(app: Starlette, body: bytes) -> httpx2.Response:
    async def main() -> httpx2.Response:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://demo") as http:
            return await http.post(
                "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
            )

    return asyncio.run(main())


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def final_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1].lower() if lines else ""


@pytest.fixture
def app() -> Starlette:
    return create_demo_app(seed=7, latency_scale=0.0, knowledge=base_knowledge())


def test_models_list(app: Starlette) -> None:
    async def go(client: openai.AsyncOpenAI) -> list[Any]:
        return [m async for m in client.models.list()]

    models = run(go, app)
    assert (
        {m.id for m in models}
        == set(DEMO_PROFILES)
        >= {
            "careful",
            "fast-cheap",
            "verbose",
            "erratic",
        }
    )
    assert all(m.owned_by == "blindside-demo" and m.object == "model" for m in models)


def test_non_stream_answer_and_usage(app: Starlette) -> None:
    system = "You are a meticulous assistant. " * 20  # ~160 tokens of system prompt
    messages = [{"role": "system", "content": system}, *user(LABEL_PROMPT)]

    async def go(client: openai.AsyncOpenAI) -> list[Any]:
        return [
            await client.chat.completions.create(model=m, messages=messages)
            for m in ("careful", "verbose")
        ]

    careful, verbose = run(go, app)
    assert careful.object == "chat.completion"
    assert careful.choices[0].message.role == "assistant"
    assert careful.choices[0].finish_reason == "stop"
    text = careful.choices[0].message.content
    assert text
    usage = careful.usage
    assert usage.completion_tokens == -(-len(text) // 4)
    assert usage.prompt_tokens > len(system) // 4
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.completion_tokens_details.reasoning_tokens == 0
    # A first request reads nothing from the cache; careful writes its prompt into it in
    # whole 64-token blocks; verbose does not cache.
    details = usage.prompt_tokens_details
    assert details.cached_tokens == 0
    # Whole blocks of the prompt (its 3 reply-priming tokens are not part of it).
    assert details.cache_write_tokens == (usage.prompt_tokens - 3) // 64 * 64
    assert verbose.usage.prompt_tokens_details.cached_tokens == 0
    assert verbose.usage.prompt_tokens_details.cache_write_tokens == 0


def test_prompt_cache_first_request_writes_later_ones_read(app: Starlette) -> None:
    document = "Section 1. The depot opens at 06:00 and closes at 17:30. " * 1400  # ~20k tokens
    questions = ["When does the depot open?", "When does it close?", "Who runs it?"]

    async def go(client: openai.AsyncOpenAI) -> list[Any]:
        return [
            (
                await client.chat.completions.create(
                    model=model,
                    messages=[
                        {"role": "system", "content": document},
                        {"role": "user", "content": q},
                    ],
                )
            ).usage
            for model in ("careful", "verbose")
            for q in questions
        ]

    careful, verbose = (lambda u: (u[:3], u[3:]))(run(go, app))
    document_tokens = 4 + -(-len(document) // 4)  # the system message, role tokens included
    shared = document_tokens // 64 * 64  # the whole blocks every request shares
    first, *later = careful
    assert first.prompt_tokens_details.cached_tokens == 0
    assert first.prompt_tokens_details.cache_write_tokens >= shared
    for usage in later:
        # The document is read from the cache; only the blocks after it are new.
        assert usage.prompt_tokens_details.cached_tokens == shared
        written = usage.prompt_tokens_details.cache_write_tokens
        assert written == (usage.prompt_tokens - 3) // 64 * 64 - shared
    # A model that does not cache never reads or writes.
    assert all(u.prompt_tokens_details.cached_tokens == 0 for u in verbose)


@pytest.mark.parametrize("model", sorted(DEMO_PROFILES))
def test_stream_with_usage_matches_non_stream(app: Starlette, model: str) -> None:
    async def go(client: openai.AsyncOpenAI) -> tuple[Any, list[Any]]:
        plain = await client.chat.completions.create(model=model, messages=user(JSON_PROMPT))
        stream = await client.chat.completions.create(
            model=model,
            messages=user(JSON_PROMPT),
            stream=True,
            stream_options={"include_usage": True},
        )
        return plain, [chunk async for chunk in stream]

    plain, chunks = run(go, app)
    assert chunks[0].choices[0].delta.role == "assistant"
    content = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta]
    assert sum(1 for piece in content if piece) >= 2  # really streamed in pieces
    assert "".join(piece or "" for piece in content) == plain.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and finishes.count("stop") == 1
    last = chunks[-1]
    if not DEMO_PROFILES[model].usage_in_stream:
        # fast-cheap ignores include_usage, like some real providers: no usage at all.
        assert model == "fast-cheap"
        assert last.choices and all(c.usage is None for c in chunks)
        return
    assert last.choices == [] and last.usage is not None
    assert last.usage.model_dump() == plain.usage.model_dump()


def test_stream_without_include_usage_has_no_usage_chunk(app: Starlette) -> None:
    async def go(client: openai.AsyncOpenAI) -> list[Any]:
        stream = await client.chat.completions.create(
            model="careful", messages=user(LABEL_PROMPT), stream=True
        )
        return [chunk async for chunk in stream]

    chunks = run(go, app)
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


def test_unknown_model_is_404(app: Starlette) -> None:
    async def go(client: openai.AsyncOpenAI) -> Any:
        return await client.chat.completions.create(model="gpt-nope", messages=user("hi"))

    with pytest.raises(openai.NotFoundError) as info:
        run(go, app)
    assert info.value.status_code == 404
    assert info.value.code == "model_not_found"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b'{"model": "careful"}', "messages"),
        (b'{"model": "careful", "messages": []}', "messages"),
        (b'{"messages": [{"role": "user", "content": "hi"}]}', "model"),
        (
            b'{"model": "careful", "messages": [{"role": "user", "content": "hi"}], '
            b'"max_tokens": 0}',
            "max_tokens",
        ),
        (b"{not json", None),
        (b"[1, 2]", None),
    ],
)
def test_bad_requests_are_400_in_openai_shape(
    app: Starlette, body: bytes, param: str | None
) -> None:
    response = raw_post(app, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"]


def test_same_request_same_answer_usage_and_latency() -> None:
    knowledge = base_knowledge()
    prompts = [LABEL_PROMPT, JSON_PROMPT, NUMERIC_PROMPT, TEXT_PROMPT, *CREATIVE_PROMPTS]

    async def go(client: openai.AsyncOpenAI) -> list[tuple[str, dict[str, Any]]]:
        out = []
        for model in ("careful", "fast-cheap", "verbose"):
            for prompt in prompts:
                r = await client.chat.completions.create(
                    model=model, messages=user(prompt), seed=3, temperature=0.7, top_p=0.9
                )
                out.append((r.choices[0].message.content, r.usage.model_dump()))
        return out

    first = run(go, create_demo_app(seed=11, latency_scale=0.0, knowledge=knowledge))
    second = run(go, create_demo_app(seed=11, latency_scale=0.0, knowledge=knowledge))
    assert first == second

    for model, profile in DEMO_PROFILES.items():
        for prompt in prompts:
            plans = [
                plan_completion(profile, user(prompt), app_seed=11, request_seed=3, knowledge=k)
                for k in (knowledge, dict(knowledge))
            ]
            assert plans[0] == plans[1], model

    # The seeds matter: across many requests some answers change with them.
    def texts(model: str, app_seed: int, request_seed: int, attempt: int = 0) -> tuple[str, ...]:
        return tuple(
            plan_completion(
                DEMO_PROFILES[model],
                user(p),
                app_seed=app_seed,
                request_seed=request_seed,
                knowledge=knowledge,
                attempt=attempt,
            ).text
            for p in prompts
        )

    assert len({texts("verbose", s, r) for s, r in ((0, 0), (1, 0), (0, 1))}) == 3
    # erratic ignores the request seed; its answers vary by attempt instead.
    assert texts("erratic", 0, 0) == texts("erratic", 0, 1) != texts("erratic", 1, 0)
    assert texts("erratic", 0, 0) != texts("erratic", 0, 0, attempt=1)
    assert texts("verbose", 0, 1) == texts("verbose", 0, 1, attempt=1)  # attempt only for erratic


def test_careful_is_right_more_often_than_erratic() -> None:
    knowledge = label_knowledge(40)
    prompts = [
        f"Classify the sentiment of review number {i}: it was {i} out of ten." for i in range(40)
    ]
    app = create_demo_app(seed=0, latency_scale=0.0, knowledge=knowledge)

    async def go(client: openai.AsyncOpenAI) -> dict[str, int]:
        right = {"careful": 0, "erratic": 0}
        for model in right:
            for i, prompt in enumerate(prompts):
                try:
                    r = await client.chat.completions.create(model=model, messages=user(prompt))
                except openai.APIStatusError:
                    continue  # a failed request is not a right answer
                right[model] += final_line(r.choices[0].message.content) == LABELS[i % 3]
        return right

    right = run(go, app)
    assert right["careful"] >= 32  # ~92% of 40
    assert right["erratic"] <= 26  # ~45% right, and half of those are off-format
    assert right["careful"] - right["erratic"] >= 10
    assert run(go, create_demo_app(seed=0, latency_scale=0.0, knowledge=knowledge)) == right


def test_wrong_answers_follow_the_scorer_type() -> None:
    knowledge = base_knowledge()
    # fast-cheap is terse: its answer is the bare value, right or wrong.
    profile = DEMO_PROFILES["fast-cheap"]
    seen: dict[str, set[str]] = {p: set() for p in (LABEL_PROMPT, JSON_PROMPT, NUMERIC_PROMPT)}
    for request_seed in range(60):
        for prompt in seen:
            plan = plan_completion(
                profile, user(prompt), request_seed=request_seed, knowledge=knowledge
            )
            seen[prompt].add(plan.text)
    assert seen[LABEL_PROMPT] <= set(LABELS) and len(seen[LABEL_PROMPT]) >= 2
    numbers = {float(t) for t in seen[NUMERIC_PROMPT]}
    assert 408.0 in numbers and len(numbers) >= 2
    objects = [json.loads(t) for t in seen[JSON_PROMPT]]
    assert {"invoice": "INV-204", "total": 1250.0} in objects
    assert any(
        o != {"invoice": "INV-204", "total": 1250.0} and set(o) == {"invoice", "total"}
        for o in objects
    )


def test_open_ended_answers_differ_by_profile() -> None:
    knowledge = base_knowledge()

    def text(model: str, prompt: str) -> str:
        profile = DEMO_PROFILES[model]
        return plan_completion(profile, user(prompt), request_seed=1, knowledge=knowledge).text

    # With an example answer (reference, no scorer): careful gives it, terse cuts it,
    # verbose pads it.
    assert text("careful", EXAMPLE_PROMPT) == EXAMPLE
    assert len(text("fast-cheap", EXAMPLE_PROMPT)) < len(EXAMPLE)
    padded = text("verbose", EXAMPLE_PROMPT)
    assert EXAMPLE in padded and len(padded) > 1.5 * len(EXAMPLE)
    # Without one, answers are composed from the prompt's own words.
    for prompt in CREATIVE_PROMPTS[1:]:
        careful, terse, verbose = (text(m, prompt) for m in ("careful", "fast-cheap", "verbose"))
        assert len(terse) < len(careful) < len(verbose), prompt
    email = text("careful", CREATIVE_PROMPTS[2])
    assert email.startswith("Subject:") and "meeting" in email.lower()
    rewrite = text("careful", CREATIVE_PROMPTS[3])
    assert "do not be late" in rewrite and "hey guys" not in rewrite.lower()


def test_max_tokens_cuts_with_finish_reason_length(app: Starlette) -> None:
    async def go(client: openai.AsyncOpenAI) -> tuple[Any, list[Any]]:
        plain = await client.chat.completions.create(
            model="verbose", messages=user(CREATIVE_PROMPTS[0]), max_tokens=5
        )
        stream = await client.chat.completions.create(
            model="verbose",
            messages=user(CREATIVE_PROMPTS[0]),
            max_completion_tokens=5,
            stream=True,
            stream_options={"include_usage": True},
        )
        return plain, [c async for c in stream]

    plain, chunks = run(go, app)
    assert plain.choices[0].finish_reason == "length"
    assert plain.usage.completion_tokens == 5
    assert len(plain.choices[0].message.content) <= 20
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage.completion_tokens == 5


def test_erratic_fails_some_requests_with_a_transient_503() -> None:
    app = create_demo_app(seed=0, latency_scale=0.0)
    prompts = [f"Name one good habit, number {i}." for i in range(150)]

    async def go(client: openai.AsyncOpenAI) -> tuple[list[int], list[Any]]:
        failed: list[int] = []
        errors: list[Any] = []
        for i, prompt in enumerate(prompts):
            try:
                await client.chat.completions.create(model="erratic", messages=user(prompt))
            except openai.InternalServerError as exc:
                failed.append(i)
                errors.append(exc)
        for i in failed:  # a retry of the same request is drawn afresh
            await client.chat.completions.create(model="erratic", messages=user(prompts[i]))
        return failed, errors

    failed, errors = run(go, app)
    assert 1 <= len(failed) <= 15  # ~3% of 150
    assert all(e.status_code == 503 and e.code == "service_unavailable" for e in errors)


def many_requests() -> Iterator[tuple[str, list[dict[str, str]], Mapping[str, DemoKnowledge]]]:
    knowledge = {**base_knowledge(), **label_knowledge(20)}
    prompts = [LABEL_PROMPT, JSON_PROMPT, NUMERIC_PROMPT, TEXT_PROMPT, *CREATIVE_PROMPTS]
    prompts += [
        f"Classify the sentiment of review number {i}: it was {i} out of ten." for i in range(20)
    ]
    # Prompts that themselves contain identifying words must not get them echoed back.
    prompts += [
        "Rewrite in a friendly tone: our demo of the fast cheap plan was careful and verbose.",
        "Write an email about the simulated erratic demo results.",
        "Summarise: The mock profile was fake. The demo ran. Blindside simulated it all.",
    ]
    for model in DEMO_PROFILES:
        for prompt in prompts:
            yield model, user(prompt), knowledge


def test_no_answer_identifies_the_model_or_the_simulator() -> None:
    checked = 0
    for model, messages, knowledge in many_requests():
        for request_seed in range(8):
            plan = plan_completion(
                DEMO_PROFILES[model], messages, request_seed=request_seed, knowledge=knowledge
            )
            lowered = plan.text.lower()
            hits = [word for word in IDENTIFYING_WORDS if word in lowered]
            assert not hits, (model, messages[-1]["content"], plan.text)
            checked += 1
    assert checked >= 4 * 33 * 8
    assert {"careful", "erratic", "demo", "simulat"} <= set(IDENTIFYING_WORDS)


SEED_DIR = Path(__file__).resolve().parents[2] / "seed_prompts"


@pytest.mark.skipif(not list(SEED_DIR.glob("*.jsonl")), reason="no shipped suites yet")
def test_shipped_suites_give_blind_answers() -> None:
    knowledge = load_demo_knowledge([SEED_DIR])
    assert len(knowledge) >= 10
    texts: list[str] = []
    for path in sorted(SEED_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                texts.append(json.loads(line)["text"])
            except (ValueError, KeyError, TypeError):
                continue
    for model, profile in DEMO_PROFILES.items():
        for text in texts:
            answer = plan_completion(profile, user(text), knowledge=knowledge).text.lower()
            assert not [w for w in IDENTIFYING_WORDS if w in answer], (model, text, answer)


def test_load_demo_knowledge_is_lenient(tmp_path: Path) -> None:
    suite = tmp_path / "suite.jsonl"
    lines = [
        json.dumps(
            {
                "id": "a",
                "tier": 1,
                "category": "math",
                "text": "What is  2+2?",
                "reference": "4",
                "scorer": {"type": "numeric"},
            }
        ),
        "{broken json",
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "b", "tier": 2, "category": "email"}),  # no text, no messages
        "",
        json.dumps(
            {
                "id": "c",
                "tier": "3",
                "category": "triage",
                "system": "Be brief.",
                "messages": [
                    {"role": "user", "content": "first"},
                    {"role": "assistant", "content": "ok"},
                    {"role": "user", "content": "Route this ticket"},
                ],
                "reference": "billing",
                "scorer": {"type": "label", "labels": ["billing"]},
            }
        ),
        json.dumps({"id": "d", "tier": 2, "category": "copy", "text": "Write a slogan"}),
    ]
    suite.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "other.jsonl").write_bytes(b"\xff\xfe not utf-8")

    knowledge = load_demo_knowledge([tmp_path, tmp_path / "missing.jsonl"])
    assert len(knowledge) == 3
    assert knowledge[knowledge_key("What is 2+2?")] == DemoKnowledge(
        1, "math", "4", {"type": "numeric"}
    )
    assert knowledge[knowledge_key("Route this ticket")].tier == 3
    assert knowledge[knowledge_key("Write a slogan")].reference is None


# --------------------------------------------------------------------------- capabilities
# What a compatibility probe checks, with deliberate differences between profiles.

ROUTE_TOOL = {
    "type": "function",
    "function": {
        "name": "route_ticket",
        "description": "Send a support ticket to a queue with a priority.",
        "parameters": {
            "type": "object",
            "properties": {
                "queue": {"type": "string", "enum": ["billing", "cancel", "technical", "sales"]},
                "priority": {"type": "string", "enum": ["high", "normal"]},
            },
            "required": ["queue", "priority"],
        },
    },
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}
ROUTE_PROMPT = "Route this ticket: I was charged twice for March, please refund the duplicate."


def route_knowledge() -> dict[str, DemoKnowledge]:
    return {
        knowledge_key(ROUTE_PROMPT): DemoKnowledge(
            3,
            "routing",
            '{"queue": "billing", "priority": "high"}',
            {"type": "json", "fields": ["queue", "priority"]},
            tools=("route_ticket",),
        )
    }


def test_json_mode_gives_a_json_object_except_erratic() -> None:
    app = create_demo_app(seed=1, latency_scale=0.0, knowledge=base_knowledge())
    prompts = [LABEL_PROMPT, JSON_PROMPT, NUMERIC_PROMPT, *CREATIVE_PROMPTS]

    async def go(client: openai.AsyncOpenAI) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for model in DEMO_PROFILES:
            for prompt in prompts:
                r = await client.chat.completions.create(
                    model=model,
                    messages=user(prompt),
                    response_format={"type": "json_object"},
                    seed=2,
                )
                out.setdefault(model, []).append(r.choices[0].message.content)
            stream = await client.chat.completions.create(
                model=model,
                messages=user(prompts[-1]),
                response_format={"type": "json_object"},
                stream=True,
            )
            out[model].append("".join([c.choices[0].delta.content or "" async for c in stream]))
        return out

    def is_object(text: str) -> bool:
        try:
            return isinstance(json.loads(text), dict)
        except ValueError:
            return False

    out = run(go, app)
    for model in ("careful", "verbose", "fast-cheap"):
        assert all(is_object(text) for text in out[model]), (model, out[model])
    # verbose's fenced JSON becomes the bare object, not a wrapped paragraph.
    assert set(json.loads(out["verbose"][1])) == {"invoice", "total"}
    assert not all(is_object(text) for text in out["erratic"])  # erratic ignores JSON mode
    # Without response_format, answers are unchanged (prose stays prose).
    plain = plan_completion(DEMO_PROFILES["careful"], user(CREATIVE_PROMPTS[1]), request_seed=2)
    assert not is_object(plain.text)


async def call_tools(
    client: openai.AsyncOpenAI, model: str, prompt: str, *, seed: int = 0, **kwargs: Any
) -> tuple[Any, tuple[str | None, str, str | None, str]]:
    """The non-streamed choice, and what the streamed reply adds up to."""
    r = await client.chat.completions.create(
        model=model, messages=user(prompt), seed=seed, **kwargs
    )
    stream = await client.chat.completions.create(
        model=model, messages=user(prompt), seed=seed, stream=True, **kwargs
    )
    name, arguments, content, finish = None, "", "", None
    async for chunk in stream:
        for choice in chunk.choices:
            content += choice.delta.content or ""
            for call in choice.delta.tool_calls or []:
                assert call.index == 0
                name = call.function.name or name
                arguments += call.function.arguments or ""
            finish = choice.finish_reason or finish
    return r.choices[0], (name, arguments, finish, content)


def test_tool_calls_for_careful_and_verbose_only() -> None:
    app = create_demo_app(seed=1, latency_scale=0.0, knowledge=route_knowledge())
    prompt = "Please send this ticket to the right team: the app crashes when I log in."

    async def go(client: openai.AsyncOpenAI) -> dict[str, Any]:
        out = {}
        for model in ("careful", "verbose", "fast-cheap"):
            out[model] = await call_tools(
                client, model, prompt, tools=[WEATHER_TOOL, ROUTE_TOOL], tool_choice="required"
            )
        # erratic calls tools only some of the time.
        out["erratic"] = []
        for i in range(30):
            try:
                r = await client.chat.completions.create(
                    model="erratic",
                    messages=user(f"{prompt} Ticket {i}."),
                    tools=[ROUTE_TOOL],
                    tool_choice="required",
                )
            except openai.InternalServerError:
                continue  # its own transient 503s
            out["erratic"].append(r.choices[0])
        return out

    out = run(go, app)
    for model in ("careful", "verbose"):
        choice, (name, arguments, finish, content) = out[model]
        assert choice.finish_reason == "tool_calls" and choice.message.content is None
        (call,) = choice.message.tool_calls
        assert call.type == "function" and call.id.startswith("call_")
        assert call.function.name == "get_weather"  # required: the first tool, no hint
        args = json.loads(call.function.arguments)
        assert set(args) == {"city"} and isinstance(args["city"], str) and args["city"]
        # Streamed as tool-call deltas that add up to the same call.
        assert (name, arguments, finish, content) == (
            "get_weather",
            call.function.arguments,
            "tool_calls",
            "",
        )
    choice, (name, _, finish, content) = out["fast-cheap"]
    assert choice.finish_reason == "stop" and not choice.message.tool_calls  # no tool support
    assert choice.message.content and name is None and finish == "stop" and content
    calls = [c for c in out["erratic"] if c.finish_reason == "tool_calls"]
    assert 5 <= len(calls) <= 25  # about half
    assert all(c.message.tool_calls[0].function.name == "route_ticket" for c in calls)


def test_tool_choice_auto_calls_only_when_the_prompt_asks() -> None:
    app = create_demo_app(seed=1, latency_scale=0.0, knowledge=route_knowledge())

    async def go(client: openai.AsyncOpenAI) -> dict[str, Any]:
        tools = [WEATHER_TOOL, ROUTE_TOOL]
        return {
            # The suite line offers route_ticket: called with the reference's arguments.
            "known": await call_tools(client, "careful", ROUTE_PROMPT, tools=tools),
            # A prompt that names the tool.
            "named": await call_tools(
                client, "verbose", "Call get_weather for Lisbon over 3 days.", tools=tools
            ),
            "named_choice": await call_tools(
                client,
                "careful",
                ROUTE_PROMPT,
                tools=tools,
                tool_choice={"type": "function", "function": {"name": "get_weather"}},
            ),
            "unrelated": await call_tools(client, "careful", CREATIVE_PROMPTS[4], tools=tools),
            "none": await call_tools(
                client, "careful", ROUTE_PROMPT, tools=tools, tool_choice="none"
            ),
            "no_tools": await call_tools(client, "careful", ROUTE_PROMPT),
        }

    out = run(go, app)
    call = out["known"][0].message.tool_calls[0]
    assert call.function.name == "route_ticket"
    args = json.loads(call.function.arguments)
    assert set(args) == {"queue", "priority"}
    assert args["queue"] in ("billing", "cancel", "technical", "sales")
    call = out["named"][0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments)["city"]
    assert out["named_choice"][0].message.tool_calls[0].function.name == "get_weather"
    for key in ("unrelated", "none", "no_tools"):
        choice, (name, _, finish, _) = out[key]
        assert choice.finish_reason == "stop" and not choice.message.tool_calls, key
        assert name is None and finish == "stop", key
    # Known arguments are right about as often as the profile's accuracy.
    rights = sum(
        json.loads(
            plan_completion(
                DEMO_PROFILES["careful"],
                user(ROUTE_PROMPT),
                request_seed=s,
                knowledge=route_knowledge(),
                tools=[ROUTE_TOOL],
            ).tool_call.arguments
        )
        == {"queue": "billing", "priority": "high"}
        for s in range(50)
    )
    assert 40 <= rights <= 50


def test_bad_tools_and_response_format_are_400(app: Starlette) -> None:
    messages = [{"role": "user", "content": "hi"}]
    for extra, param in (
        ({"tools": [{"type": "function"}]}, "tools"),
        ({"tools": "route_ticket"}, "tools"),
        ({"tools": [ROUTE_TOOL], "tool_choice": "always"}, "tool_choice"),
        (
            {"tools": [ROUTE_TOOL], "tool_choice": {"type": "function", "function": {"name": "x"}}},
            "tool_choice",
        ),
        ({"response_format": {"type": "yaml"}}, "response_format"),
    ):
        body = json.dumps({"model": "careful", "messages": messages, **extra}).encode()
        response = raw_post(app, body)
        assert response.status_code == 400, extra
        assert response.json()["error"]["param"] == param


def test_seed_reproduces_answers_except_for_erratic() -> None:
    app = create_demo_app(seed=4, latency_scale=0.0, knowledge=base_knowledge())
    prompts = [LABEL_PROMPT, JSON_PROMPT, *CREATIVE_PROMPTS]

    async def go(client: openai.AsyncOpenAI) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for _ in range(2):
            for model in DEMO_PROFILES:
                for prompt in prompts:
                    try:
                        r = await client.chat.completions.create(
                            model=model, messages=user(prompt), seed=42
                        )
                        text = r.choices[0].message.content
                    except openai.InternalServerError:
                        text = "503"
                    out.setdefault(model, []).append(text)
        return out

    out = run(go, app)
    half = len(prompts)
    for model in ("careful", "verbose", "fast-cheap"):
        assert out[model][:half] == out[model][half:], model
    first, second = out["erratic"][:half], out["erratic"][half:]
    assert sum(a != b for a, b in zip(first, second, strict=True)) >= 3  # seed ignored
    # Still reproducible from a fresh app given the same sequence of requests.
    assert run(go, create_demo_app(seed=4, latency_scale=0.0, knowledge=base_knowledge())) == out


@pytest.mark.parametrize("model", sorted(DEMO_PROFILES))
def test_context_window_per_profile(app: Starlette, model: str) -> None:
    limit = DEMO_PROFILES[model].context_tokens
    assert (
        limit
        == {"careful": 128_000, "verbose": 32_000, "fast-cheap": 16_000, "erratic": 8_000}[model]
    )
    # prompt tokens = 3 + ceil(len / 4) + 4, so 4 * (limit - 7) chars is exactly the limit.
    fits = "abcd" * (limit - 7)

    async def go(client: openai.AsyncOpenAI) -> Any:
        ok = await client.chat.completions.create(model=model, messages=user(fits), seed=1)
        assert ok.usage.prompt_tokens == limit
        return await client.chat.completions.create(model=model, messages=user(fits + "x"))

    with pytest.raises(openai.BadRequestError) as info:
        run(go, app)
    assert info.value.code == "context_length_exceeded"
    assert info.value.param == "messages"
    assert f"maximum context length is {limit} tokens" in info.value.message
    assert f"resulted in {limit + 1} tokens" in info.value.message


def test_system_prompt_is_followed_except_by_erratic(app: Starlette) -> None:
    async def go(client: openai.AsyncOpenAI) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for model in DEMO_PROFILES:
            for system in ("Reply with exactly: PONG", 'You are a bot. Reply with exactly: "PONG"'):
                for role in ("system", "developer"):
                    messages = [{"role": role, "content": system}, *user("ping")]
                    try:
                        r = await client.chat.completions.create(model=model, messages=messages)
                        out.setdefault(model, []).append(r.choices[0].message.content)
                    except openai.InternalServerError:
                        out.setdefault(model, []).append("503")
        return out

    out = run(go, app)
    for model in ("careful", "verbose", "fast-cheap"):
        assert out[model] == ["PONG"] * 4, model
    assert "PONG" not in out["erratic"]


def test_usage_in_stream_is_missing_only_for_fast_cheap(app: Starlette) -> None:
    async def go(client: openai.AsyncOpenAI) -> dict[str, tuple[Any, Any]]:
        out = {}
        for model in DEMO_PROFILES:
            plain = await client.chat.completions.create(model=model, messages=user(LABEL_PROMPT))
            stream = await client.chat.completions.create(
                model=model,
                messages=user(LABEL_PROMPT),
                stream=True,
                stream_options={"include_usage": True},
            )
            usage = [c.usage async for c in stream if c.usage is not None]
            out[model] = (plain.usage, usage)
        return out

    for model, (plain_usage, stream_usage) in run(go, app).items():
        assert plain_usage is not None and plain_usage.completion_tokens > 0  # always non-stream
        if model == "fast-cheap":
            assert stream_usage == []
        elif model == "erratic":  # its second attempt is another answer (seed ignored)
            assert len(stream_usage) == 1 and stream_usage[0].completion_tokens > 0
        else:
            assert [u.model_dump() for u in stream_usage] == [plain_usage.model_dump()]


def test_capability_answers_stay_blind() -> None:
    knowledge = {**route_knowledge(), **base_knowledge()}
    prompt = "Call get_weather for the demo of the careful fast model, a mock profile."
    for model, profile in DEMO_PROFILES.items():
        for request_seed in range(6):
            for kwargs in (
                {"json_mode": True},
                {"tools": [WEATHER_TOOL, ROUTE_TOOL], "tool_choice": "required"},
            ):
                for text in (prompt, ROUTE_PROMPT, *CREATIVE_PROMPTS):
                    plan = plan_completion(
                        profile,
                        user(text),
                        request_seed=request_seed,
                        knowledge=knowledge,
                        **kwargs,
                    )
                    out = (plan.text + (plan.tool_call.arguments if plan.tool_call else "")).lower()
                    assert not [w for w in IDENTIFYING_WORDS if w in out], (model, text, out)


@pytest.mark.skipif(not list(SEED_DIR.glob("*.jsonl")), reason="no shipped suites yet")
def test_shipped_tool_prompt_is_known_with_its_tools() -> None:
    knowledge = load_demo_knowledge([SEED_DIR])
    with_tools = [k for k in knowledge.values() if k.tools]
    assert with_tools and all(k.tools == ("route_ticket",) for k in with_tools)

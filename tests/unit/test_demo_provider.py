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

from blindside.providers.demo import (
    DEMO_PROFILES,
    IDENTIFYING_WORDS,
    DemoKnowledge,
    create_demo_app,
    knowledge_key,
    load_demo_knowledge,
    plan_completion,
)

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
    # careful caches the system prompt in 64-token blocks; verbose does not cache.
    assert usage.prompt_tokens_details.cached_tokens == 128
    assert verbose.usage.prompt_tokens_details.cached_tokens == 0


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
    profile = DEMO_PROFILES["erratic"]
    texts = {
        (s, r): tuple(
            plan_completion(profile, user(p), app_seed=s, request_seed=r, knowledge=knowledge).text
            for p in prompts
        )
        for s, r in ((0, 0), (1, 0), (0, 1))
    }
    assert len(set(texts.values())) == 3


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

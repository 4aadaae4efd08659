"""The demo provider where OpenAI clients notice: request ids, JSON errors, roles; over a socket."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import openai
import pytest

from blindside.demo.server import LoopbackServer


def raw(server: LoopbackServer, path: str, body: dict | None = None) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of one plain HTTP request to the demo app."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        server.base_url.removesuffix("/v1") + path,
        data=data,
        headers={"content-type": "application/json"},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_an_unknown_route_is_an_openai_error_body_with_a_request_id(
    demo_server: LoopbackServer,
) -> None:
    status, headers, body = raw(demo_server, "/v1/responses-nope")
    assert status == 404
    assert body["error"]["type"] == "invalid_request_error"
    assert "/v1/responses-nope" in body["error"]["message"]
    assert headers["x-request-id"].startswith("req_")
    status, _, body = raw(demo_server, "/v1/models", {"x": 1})
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


def test_a_bogus_role_is_a_400_naming_the_message(demo_server: LoopbackServer) -> None:
    messages = [{"role": "user", "content": "hi"}, {"role": "bogus", "content": "x"}]
    status, _, body = raw(
        demo_server, "/v1/chat/completions", {"model": "careful", "messages": messages}
    )
    assert status == 400
    assert body["error"]["param"] == "messages[1].role"
    assert "'bogus'" in body["error"]["message"]


def test_every_answer_carries_a_distinct_request_id_the_sdk_reads(
    demo_server: LoopbackServer,
) -> None:
    async def ask() -> list[str | None]:
        client = openai.AsyncOpenAI(base_url=demo_server.base_url, api_key="k", max_retries=0)
        ids = []
        try:
            for stream in (False, True):
                reply = await client.chat.completions.with_raw_response.create(
                    model="careful", messages=[{"role": "user", "content": "hi"}], stream=stream
                )
                ids.append(reply.headers.get("x-request-id"))
            with pytest.raises(openai.NotFoundError) as info:
                await client.models.retrieve("no-such-model")
            ids.append(info.value.request_id)
        finally:
            await client.close()
        return ids

    ids = asyncio.run(ask())
    assert all(i and i.startswith("req_") for i in ids)
    assert len(set(ids)) == 3

"""Budgets and rate limits as the official SDKs see them: a refusal is the SDK's own
RateLimitError with Tollgate's `code`, and OpenAI-style rate-limit headers come back on answers."""

from __future__ import annotations

import time

import anthropic
import openai
import pytest

HELLO = [{"role": "user", "content": "hello there"}]


def _key(http, **fields) -> str:
    reply = http.post("/admin/v1/keys", json={"name": "sdk-limits", **fields})
    assert reply.status_code == 201, reply.text
    return reply.json()["key"]


def test_a_budget_refusal_is_an_openai_rate_limit_error_with_its_code(http, gw):
    # A budget smaller than any call's worst case: refused before the provider is called.
    key = _key(http, budget_usd="0.000001")
    client = openai.OpenAI(base_url=f"{gw}/v1", api_key=key, max_retries=0)
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="gpt-upstream", messages=HELLO, max_tokens=16)
    assert refused.value.code == "budget_exceeded"
    assert refused.value.param == "key"
    assert "Budget exceeded for key" in refused.value.message
    assert "limit $0.000001000" in refused.value.message
    client.close()


def test_a_budget_refusal_is_an_anthropic_rate_limit_error(http, gw):
    key = _key(http, budget_usd="0.000001")
    client = anthropic.Anthropic(base_url=gw, api_key=key, max_retries=0)
    with pytest.raises(anthropic.RateLimitError) as refused:
        client.messages.create(model="claude-upstream", max_tokens=16, messages=HELLO)
    assert refused.value.body["error"]["type"] == "rate_limit_error"
    assert "Budget exceeded" in refused.value.body["error"]["message"]
    client.close()


def test_requests_per_minute_headers_and_refusal_through_the_sdk(http, gw):
    key = _key(http, rpm_limit=2)
    client = openai.OpenAI(base_url=f"{gw}/v1", api_key=key, max_retries=0)
    remaining = []
    for _ in range(2):
        raw = client.chat.completions.with_raw_response.create(model="mock", messages=HELLO, max_tokens=8)
        assert raw.headers["x-ratelimit-limit-requests"] == "2"
        remaining.append(raw.headers["x-ratelimit-remaining-requests"])
        assert raw.parse().choices[0].message.content
    assert remaining == ["1", "0"]
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="mock", messages=HELLO, max_tokens=8)
    assert refused.value.code == "rate_limit_exceeded"
    assert int(refused.value.response.headers["retry-after"]) >= 1
    client.close()


def test_a_stream_under_a_budget_settles_and_shows_in_the_key_spend(http, gw):
    key = _key(http, budget_usd="5.00", budget_period="daily")
    client = openai.OpenAI(base_url=f"{gw}/v1", api_key=key, max_retries=0)
    stream = client.chat.completions.create(
        model="gpt-upstream", messages=HELLO, max_tokens=16, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].usage is not None
    client.close()
    key_id = next(k["id"] for k in http.get("/admin/v1/keys").json()["data"] if k["prefix"] == key[:10])
    # The stream settles as it ends, in the background: give it a moment.
    for _ in range(100):
        explained = http.get("/admin/v1/budgets/explain", params={"key_id": key_id}).json()
        budget = explained["budgets"][0]
        if budget["reserved_usd"] == "0.000000000":
            break
        time.sleep(0.02)
    assert explained["blocked"] is False
    assert budget["scope"] == "key" and budget["period"] == "daily"
    assert budget["reserved_usd"] == "0.000000000"
    assert budget["spent_usd"] != "0.000000000"

"""The official Anthropic Python SDK against Tollgate's /v1/messages (Anthropic dialect), reaching
every provider kind through tollgate-mock. The SDK sends x-api-key and appends /v1/messages to the
base URL. What the fakes answer is fixed by contract (see harness.py)."""

from __future__ import annotations

import json

import anthropic
import pytest

from harness import CHAT_MODELS, echo_reply, is_fake_upstream, tool_arguments, tool_reply, word_count

HELLO = [{"role": "user", "content": "hello there"}]
MAX_TOKENS = 256

TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather for a place",
        "input_schema": {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]},
    },
    {
        "name": "get_time",
        "description": "Current time in a place",
        "input_schema": {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]},
    },
]
TOOL_QUESTION = "weather in Oslo please"

chat_models = pytest.mark.parametrize("model", CHAT_MODELS)


def assert_usage_sane(usage) -> None:
    assert isinstance(usage.input_tokens, int) and usage.input_tokens > 0, usage
    assert isinstance(usage.output_tokens, int) and usage.output_tokens >= 0, usage


def text_of(message) -> str:
    return "".join(block.text for block in message.content if block.type == "text")


def assert_anthropic_error_shape(error: anthropic.APIStatusError) -> None:
    body = error.body
    assert isinstance(body, dict) and body.get("type") == "error", f"not an Anthropic error body: {body!r}"
    assert isinstance(body.get("error"), dict), body
    assert body["error"].get("type") and body["error"].get("message"), body


# --- messages -------------------------------------------------------------------------------


@chat_models
def test_message(anthropic_client, model):
    message = anthropic_client.messages.create(model=model, max_tokens=MAX_TOKENS, messages=HELLO)

    assert message.type == "message"
    assert message.role == "assistant"
    assert message.content and message.content[0].type == "text"
    assert message.content[0].text
    assert_usage_sane(message.usage)
    if is_fake_upstream(model):
        assert message.content[0].text == echo_reply("hello there")
        assert message.stop_reason == "end_turn"
        assert message.usage.input_tokens == word_count("hello there")
        assert message.usage.output_tokens == word_count(echo_reply("hello there"))
    else:
        assert message.usage.output_tokens > 0


@chat_models
def test_message_with_system_prompt(anthropic_client, model):
    system = "You are a terse assistant."
    message = anthropic_client.messages.create(model=model, max_tokens=MAX_TOKENS, system=system, messages=HELLO)

    assert_usage_sane(message.usage)
    if is_fake_upstream(model):
        assert text_of(message) == echo_reply("hello there")
        assert message.usage.input_tokens == word_count(system, "hello there")
    else:
        assert text_of(message)


@chat_models
def test_max_tokens_stops_with_max_tokens(anthropic_client, model):
    message = anthropic_client.messages.create(model=model, max_tokens=2, messages=HELLO)

    assert_usage_sane(message.usage)
    if is_fake_upstream(model):
        assert message.stop_reason == "max_tokens"
        assert message.usage.output_tokens <= 2
        assert echo_reply("hello there").startswith(text_of(message).rstrip())
    else:
        assert text_of(message)


@chat_models
def test_stream(anthropic_client, model):
    with anthropic_client.messages.stream(model=model, max_tokens=MAX_TOKENS, messages=HELLO) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()

    text = "".join(pieces)
    assert text
    assert text == text_of(final)
    assert final.stop_reason in ("end_turn", "max_tokens")
    assert_usage_sane(final.usage)
    if is_fake_upstream(model):
        assert text == echo_reply("hello there")
        assert len(pieces) >= 2, "the fakes send one chunk per word: the gateway should not buffer"
        assert final.stop_reason == "end_turn"
        assert final.usage.input_tokens == word_count("hello there")
        assert final.usage.output_tokens == word_count(echo_reply("hello there"))


# --- tools ----------------------------------------------------------------------------------


@chat_models
def test_tool_use(anthropic_client, model):
    message = anthropic_client.messages.create(
        model=model, max_tokens=MAX_TOKENS, tools=TOOLS, messages=[{"role": "user", "content": TOOL_QUESTION}]
    )

    assert_usage_sane(message.usage)
    if not is_fake_upstream(model):
        assert message.content
        return
    assert message.stop_reason == "tool_use"
    uses = [block for block in message.content if block.type == "tool_use"]
    assert len(uses) == 1, message.content
    assert uses[0].id
    assert uses[0].name == "get_weather"
    assert uses[0].input == tool_arguments(TOOL_QUESTION)


@chat_models
def test_tool_round_trip(anthropic_client, model):
    question = {"role": "user", "content": TOOL_QUESTION}
    if is_fake_upstream(model):
        first = anthropic_client.messages.create(model=model, max_tokens=MAX_TOKENS, tools=TOOLS, messages=[question])
        use = next(block for block in first.content if block.type == "tool_use")
        use_id, name, arguments = use.id, use.name, use.input
    else:
        use_id, name, arguments = "toolu_e2e_1", "get_weather", tool_arguments(TOOL_QUESTION)

    message = anthropic_client.messages.create(
        model=model,
        max_tokens=MAX_TOKENS,
        tools=TOOLS,
        messages=[
            question,
            {"role": "assistant", "content": [{"type": "tool_use", "id": use_id, "name": name, "input": arguments}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use_id, "content": "sunny"}]},
        ],
    )

    assert_usage_sane(message.usage)
    if is_fake_upstream(model):
        assert text_of(message) == tool_reply("sunny")
        assert message.stop_reason == "end_turn"
    else:
        assert text_of(message)


@chat_models
def test_stream_tool_use(anthropic_client, model):
    partial_json: dict[int, str] = {}
    with anthropic_client.messages.stream(
        model=model, max_tokens=MAX_TOKENS, tools=TOOLS, messages=[{"role": "user", "content": TOOL_QUESTION}]
    ) as stream:
        for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                partial_json[event.index] = partial_json.get(event.index, "") + event.delta.partial_json
        final = stream.get_final_message()

    assert_usage_sane(final.usage)
    if not is_fake_upstream(model):
        assert final.content
        return
    assert final.stop_reason == "tool_use"
    uses = [(index, block) for index, block in enumerate(final.content) if block.type == "tool_use"]
    assert len(uses) == 1, final.content
    index, use = uses[0]
    assert use.name == "get_weather"
    assert use.id
    # The input arrived as input_json_delta pieces; joined, they are the arguments.
    assert index in partial_json, f"no input_json_delta for the tool_use block {index}: {partial_json}"
    assert json.loads(partial_json[index]) == tool_arguments(TOOL_QUESTION)
    assert use.input == tool_arguments(TOOL_QUESTION)


# --- headers --------------------------------------------------------------------------------


def test_message_carries_request_id(anthropic_client):
    raw = anthropic_client.messages.with_raw_response.create(
        model="claude-upstream", max_tokens=MAX_TOKENS, messages=HELLO
    )

    assert raw.headers.get("x-request-id")
    assert text_of(raw.parse()) == echo_reply("hello there")


# --- errors, as the SDK's own exception types -----------------------------------------------


def test_wrong_key_is_authentication_error(gw):
    client = anthropic.Anthropic(base_url=gw, api_key="tg-not-a-real-key", max_retries=0, timeout=30)
    with client, pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(model="claude-upstream", max_tokens=MAX_TOKENS, messages=HELLO)

    assert caught.value.status_code == 401
    assert_anthropic_error_shape(caught.value)


def test_unknown_model_is_not_found(anthropic_client):
    with pytest.raises(anthropic.NotFoundError) as caught:
        anthropic_client.messages.create(model="no-such-model", max_tokens=MAX_TOKENS, messages=HELLO)

    assert caught.value.status_code == 404
    assert_anthropic_error_shape(caught.value)


def test_malformed_request_is_bad_request(anthropic_client):
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client.messages.create(
            model="claude-upstream", max_tokens=MAX_TOKENS, messages=HELLO, extra_body={"messages": "hello there"}
        )

    assert caught.value.status_code == 400
    assert_anthropic_error_shape(caught.value)


def test_broken_upstream_is_server_error(anthropic_client, first_broken_upstream_error):
    # Requesting first_broken_upstream_error makes the session's first call to broken-upstream
    # happen before this one (that call checks the upstream's message is kept).
    # The pinned SDK raises InternalServerError (or a subclass of it) for every status >= 500.
    with pytest.raises(anthropic.InternalServerError) as caught:
        anthropic_client.messages.create(model="broken-upstream", max_tokens=MAX_TOKENS, messages=HELLO)

    assert caught.value.status_code >= 500
    assert_anthropic_error_shape(caught.value)


def test_rate_limited_upstream_is_rate_limit_error(anthropic_client):
    with pytest.raises(anthropic.RateLimitError) as caught:
        anthropic_client.messages.create(model="limited-upstream", max_tokens=MAX_TOKENS, messages=HELLO)

    assert caught.value.status_code == 429
    assert_anthropic_error_shape(caught.value)

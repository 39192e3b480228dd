"""The official OpenAI Python SDK against Tollgate's /v1 (OpenAI dialect), reaching every provider
kind through tollgate-mock. What the fakes answer is fixed by contract (see harness.py): the reply
is "echo: " + the last user text, tokens are words."""

from __future__ import annotations

import base64
import json
import struct

import openai
import pytest

from harness import (
    ALL_MODEL_NAMES,
    CHAT_MODELS,
    EMBEDDING_MODELS,
    MODELS_WITH_N,
    echo_reply,
    is_fake_upstream,
    tool_arguments,
    tool_reply,
    word_count,
)

HELLO = [{"role": "user", "content": "hello there"}]

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a place",
            "parameters": {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Current time in a place",
            "parameters": {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]},
        },
    },
]
TOOL_QUESTION = "weather in Oslo please"

# A 1x1 transparent PNG.
PNG_DATA_URL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

# Upstreams that speak the OpenAI wire format themselves, where response_format passes through.
OPENAI_WIRE_MODELS = ["gpt-upstream", "router-upstream", "azure-upstream"]

chat_models = pytest.mark.parametrize("model", CHAT_MODELS)


def assert_usage_consistent(usage) -> None:
    assert usage is not None, "no usage in the response"
    assert isinstance(usage.prompt_tokens, int) and usage.prompt_tokens > 0, usage
    assert isinstance(usage.completion_tokens, int) and usage.completion_tokens >= 0, usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, usage


def assert_optional_cost(usage) -> None:
    """usage.cost / usage.cost_source are Tollgate's additions (design §1.11): optional here, but
    well formed when present."""
    extra = usage.model_extra or {}
    if extra.get("cost") is not None:
        assert isinstance(extra["cost"], (int, float)) and extra["cost"] >= 0, extra
    if extra.get("cost_source") is not None:
        assert extra["cost_source"] in ("provider", "catalog"), extra


def assert_openai_error_shape(error: openai.APIStatusError) -> None:
    # The SDK keeps the body's "error" object in .body.
    assert isinstance(error.body, dict), f"error body is not an OpenAI error object: {error.body!r}"
    assert isinstance(error.body.get("message"), str) and error.body["message"], error.body
    assert "type" in error.body, error.body


# --- chat, non-streaming --------------------------------------------------------------------


@chat_models
def test_chat(openai_client, model):
    response = openai_client.chat.completions.create(model=model, messages=HELLO)

    assert response.object == "chat.completion"
    assert len(response.choices) == 1
    choice = response.choices[0]
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str) and choice.message.content
    assert_usage_consistent(response.usage)
    if is_fake_upstream(model):
        assert choice.message.content == echo_reply("hello there")
        assert choice.finish_reason == "stop"
        assert response.usage.prompt_tokens == word_count("hello there")
        assert response.usage.completion_tokens == word_count(echo_reply("hello there"))
    else:
        assert response.usage.completion_tokens > 0


@chat_models
def test_chat_with_system_message(openai_client, model):
    system = "You are a terse assistant."
    response = openai_client.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": system}, {"role": "user", "content": "hello there"}],
    )

    assert_usage_consistent(response.usage)
    if is_fake_upstream(model):
        assert response.choices[0].message.content == echo_reply("hello there")
        # The system prompt reached the upstream: its words are counted.
        assert response.usage.prompt_tokens == word_count(system, "hello there")
    else:
        assert response.choices[0].message.content


@chat_models
def test_max_tokens_truncates_with_finish_reason_length(openai_client, model):
    response = openai_client.chat.completions.create(model=model, messages=HELLO, max_tokens=2)

    text = response.choices[0].message.content or ""
    assert_usage_consistent(response.usage)
    if is_fake_upstream(model):
        assert response.choices[0].finish_reason == "length"
        assert response.usage.completion_tokens <= 2
        assert echo_reply("hello there").startswith(text.rstrip())
    else:
        assert text


@pytest.mark.parametrize("model", MODELS_WITH_N)
def test_n_choices(openai_client, model):
    response = openai_client.chat.completions.create(model=model, messages=HELLO, n=2)

    assert len(response.choices) == 2
    assert sorted(choice.index for choice in response.choices) == [0, 1]
    for choice in response.choices:
        assert choice.message.content == echo_reply("hello there")
        assert choice.finish_reason == "stop"
    assert_usage_consistent(response.usage)


@chat_models
def test_image_content_part_is_accepted(openai_client, model):
    response = openai_client.chat.completions.create(
        model=model,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "describe this image"},
                    {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
                ],
            }
        ],
    )

    if is_fake_upstream(model):
        assert response.choices[0].message.content == echo_reply("describe this image")
    else:
        assert response.choices[0].message.content
    assert_usage_consistent(response.usage)


@chat_models
def test_response_format_json_object_is_accepted(openai_client, model):
    response = openai_client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "answer in json"}],
        response_format={"type": "json_object"},
    )

    content = response.choices[0].message.content
    assert content
    assert_usage_consistent(response.usage)
    if model in OPENAI_WIRE_MODELS:
        # The request reached an OpenAI-wire fake with response_format intact: in JSON mode the
        # fakes answer {"echo": <last user text>} instead of plain text.
        assert json.loads(content) == {"echo": "answer in json"}


# --- chat, streaming ------------------------------------------------------------------------


def collect_stream(stream) -> list:
    chunks = list(stream)
    assert chunks, "the stream carried no chunk"
    return chunks


def streamed_text(chunks, index: int = 0) -> str:
    return "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices if choice.index == index)


def finish_reasons(chunks, index: int = 0) -> list[str]:
    return [
        choice.finish_reason
        for chunk in chunks
        for choice in chunk.choices
        if choice.index == index and choice.finish_reason is not None
    ]


def assert_well_formed_stream(chunks) -> None:
    # An upstream's own extras (e.g. Azure's leading prompt_filter_results chunk, with an empty
    # id and object) must not reach an OpenAI-dialect caller as chunks of their own.
    odd = [chunk.to_dict() for chunk in chunks if chunk.object != "chat.completion.chunk"]
    assert not odd, f"chunks that are not chat.completion.chunk objects: {odd}"
    assert len({chunk.id for chunk in chunks}) == 1, (
        f"chunks of one stream carry different ids: {[c.id for c in chunks]}"
    )
    first_with_choices = next(chunk for chunk in chunks if chunk.choices)
    assert first_with_choices.choices[0].delta.role == "assistant", "the first delta carries no role"


@chat_models
def test_stream_with_usage(openai_client, model):
    chunks = collect_stream(
        openai_client.chat.completions.create(
            model=model, messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )

    assert_well_formed_stream(chunks)
    with_usage = [i for i, chunk in enumerate(chunks) if chunk.usage is not None]
    assert with_usage == [len(chunks) - 1], f"usage must be in exactly one chunk, the last; found at {with_usage}"
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert_usage_consistent(usage_chunk.usage)
    assert_optional_cost(usage_chunk.usage)
    text = streamed_text(chunks)
    assert finish_reasons(chunks) in (["stop"], ["length"])
    if is_fake_upstream(model):
        assert text == echo_reply("hello there")
        assert finish_reasons(chunks) == ["stop"]
        assert usage_chunk.usage.prompt_tokens == word_count("hello there")
        assert usage_chunk.usage.completion_tokens == word_count(echo_reply("hello there"))
        # The fakes send one chunk per word: the gateway streams rather than buffering.
        content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
        assert len(content_chunks) >= 2
    else:
        assert text


@chat_models
def test_stream_without_usage(openai_client, model):
    chunks = collect_stream(openai_client.chat.completions.create(model=model, messages=HELLO, stream=True))

    assert_well_formed_stream(chunks)
    # The gateway asks upstreams for usage to bill the call, but must not pass it on unasked.
    assert [chunk for chunk in chunks if chunk.usage is not None] == []
    assert all(chunk.choices for chunk in chunks), "a chunk with no choices (a stray usage chunk?)"
    if is_fake_upstream(model):
        assert streamed_text(chunks) == echo_reply("hello there")
        assert finish_reasons(chunks) == ["stop"]
    else:
        assert streamed_text(chunks)


# --- tools ----------------------------------------------------------------------------------


@chat_models
def test_tool_call(openai_client, model):
    response = openai_client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": TOOL_QUESTION}], tools=TOOLS
    )

    assert_usage_consistent(response.usage)
    if not is_fake_upstream(model):
        message = response.choices[0].message
        assert message.content or message.tool_calls
        return
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls and len(choice.message.tool_calls) == 1
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.id
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == tool_arguments(TOOL_QUESTION)


@chat_models
def test_tool_round_trip(openai_client, model):
    question = {"role": "user", "content": TOOL_QUESTION}
    if is_fake_upstream(model):
        first = openai_client.chat.completions.create(model=model, messages=[question], tools=TOOLS)
        call = first.choices[0].message.tool_calls[0]
        call_id, name, arguments = call.id, call.function.name, call.function.arguments
    else:
        call_id, name, arguments = "call_e2e_1", "get_weather", json.dumps(tool_arguments(TOOL_QUESTION))

    response = openai_client.chat.completions.create(
        model=model,
        tools=TOOLS,
        messages=[
            question,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
            },
            {"role": "tool", "tool_call_id": call_id, "content": "sunny"},
        ],
    )

    assert_usage_consistent(response.usage)
    if is_fake_upstream(model):
        assert response.choices[0].message.content == tool_reply("sunny")
        assert response.choices[0].finish_reason == "stop"
    else:
        assert response.choices[0].message.content


@chat_models
def test_stream_tool_call(openai_client, model):
    chunks = collect_stream(
        openai_client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": TOOL_QUESTION}], tools=TOOLS, stream=True
        )
    )

    assert_well_formed_stream(chunks)
    calls: dict[int, dict] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
                if delta.id:
                    call["id"] = delta.id
                if delta.function and delta.function.name:
                    call["name"] = delta.function.name
                if delta.function and delta.function.arguments:
                    call["arguments"] += delta.function.arguments
    if not is_fake_upstream(model):
        assert calls or streamed_text(chunks)
        return
    assert finish_reasons(chunks) == ["tool_calls"]
    assert list(calls) == [0], calls
    assert calls[0]["id"], calls
    assert calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"]) == tool_arguments(TOOL_QUESTION)


# --- embeddings -----------------------------------------------------------------------------

EMBED_INPUT = ["hello there", "general kenobi"]


def as_f32(values: list[float]) -> list[float]:
    """The values a float32 holds for these numbers (what base64 embeddings carry)."""
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def decode_base64_f32(encoded: str) -> list[float]:
    raw = base64.b64decode(encoded, validate=True)
    assert len(raw) % 4 == 0, f"{len(raw)} bytes is not a whole number of float32 values"
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def raw_embeddings(http, model: str, encoding_format: str) -> dict:
    response = http.post(
        "/v1/embeddings", json={"model": model, "input": EMBED_INPUT, "encoding_format": encoding_format}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list"
    assert [item["index"] for item in body["data"]] == list(range(len(EMBED_INPUT)))
    assert all(item["object"] == "embedding" for item in body["data"])
    usage = body.get("usage")
    assert usage is not None and isinstance(usage["prompt_tokens"], int), body
    assert usage["total_tokens"] >= usage["prompt_tokens"], usage
    return body


@pytest.mark.parametrize("model", EMBEDDING_MODELS)
def test_embeddings_float_and_base64_agree(http, model):
    floats = [item["embedding"] for item in raw_embeddings(http, model, "float")["data"]]
    encoded = [item["embedding"] for item in raw_embeddings(http, model, "base64")["data"]]

    for vector, text in zip(floats, encoded, strict=True):
        assert isinstance(vector, list) and vector and all(isinstance(x, (int, float)) for x in vector)
        assert isinstance(text, str), "encoding_format=base64 must answer a base64 string"
        assert decode_base64_f32(text) == as_f32(vector)


@pytest.mark.parametrize("model", EMBEDDING_MODELS)
def test_embeddings_sdk_default_path(openai_client, http, model):
    # Without encoding_format the SDK asks for base64 and decodes it to floats itself.
    response = openai_client.embeddings.create(model=model, input=EMBED_INPUT)

    assert len(response.data) == len(EMBED_INPUT)
    floats = [item["embedding"] for item in raw_embeddings(http, model, "float")["data"]]
    for item, expected in zip(response.data, floats, strict=True):
        assert isinstance(item.embedding, list) and item.embedding
        assert item.embedding == as_f32(expected)


@pytest.mark.parametrize("model", EMBEDDING_MODELS)
def test_embeddings_sdk_explicit_float(openai_client, model):
    response = openai_client.embeddings.create(model=model, input="hello there", encoding_format="float")

    assert len(response.data) == 1
    assert response.data[0].embedding and all(isinstance(x, (int, float)) for x in response.data[0].embedding)
    assert response.usage.prompt_tokens >= 0


# --- models, headers ------------------------------------------------------------------------


def test_models_list_has_every_configured_model(openai_client):
    listed = {model.id for model in openai_client.models.list()}

    missing = set(ALL_MODEL_NAMES) - listed
    assert not missing, f"not listed by GET /v1/models: {sorted(missing)}"


def test_response_carries_request_id(openai_client):
    raw = openai_client.chat.completions.with_raw_response.create(model="gpt-upstream", messages=HELLO)

    assert raw.headers.get("x-request-id")
    assert raw.parse().choices[0].message.content == echo_reply("hello there")


# --- errors, as the SDK's own exception types -----------------------------------------------


def test_wrong_key_is_authentication_error(gw):
    client = openai.OpenAI(base_url=f"{gw}/v1", api_key="tg-not-a-real-key", max_retries=0, timeout=30)
    with client, pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="gpt-upstream", messages=HELLO)

    assert caught.value.status_code == 401
    assert_openai_error_shape(caught.value)


def test_unknown_model_is_not_found(openai_client):
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.chat.completions.create(model="no-such-model", messages=HELLO)

    assert caught.value.status_code == 404
    assert_openai_error_shape(caught.value)


def test_messages_not_a_list_is_bad_request(openai_client):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(
            model="gpt-upstream", messages=HELLO, extra_body={"messages": "hello there"}
        )

    assert caught.value.status_code == 400
    assert_openai_error_shape(caught.value)


def test_invalid_json_is_bad_request_in_openai_shape(http):
    response = http.post(
        "/v1/chat/completions",
        content=b'{"model": "gpt-upstream", "messages": [',
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["message"] and "type" in error


def test_broken_upstream_is_internal_server_error(first_broken_upstream_error, mock_http):
    error = first_broken_upstream_error
    assert isinstance(error, openai.InternalServerError), f"expected InternalServerError, got {error!r}"
    assert error.status_code >= 500
    assert_openai_error_shape(error)
    # What the upstream itself said is kept in the message.
    upstream = mock_http.post(
        "/openai/v1/chat/completions",
        headers={"Authorization": "Bearer mock-key"},
        json={"model": "fail-500", "messages": HELLO},
    )
    assert upstream.status_code == 500, f"tollgate-mock's fail-500 answered {upstream.status_code}: {upstream.text}"
    upstream_message = (upstream.json().get("error") or {}).get("message")
    assert upstream_message, f"tollgate-mock's fail-500 body has no error.message: {upstream.text}"
    assert upstream_message in error.body["message"]


def test_rate_limited_upstream_is_rate_limit_error(openai_client):
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client.chat.completions.create(model="limited-upstream", messages=HELLO)

    assert caught.value.status_code == 429
    assert_openai_error_shape(caught.value)


def test_upstream_key_rejected_is_an_error_without_the_key(openai_client):
    # The upstream refused the gateway's own provider key. How the gateway maps that is its
    # choice; it must fail in the OpenAI shape and never echo the provider key.
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client.chat.completions.create(model="badkey-upstream", messages=HELLO)

    assert caught.value.status_code >= 400
    assert_openai_error_shape(caught.value)
    assert "mock-key" not in caught.value.response.text

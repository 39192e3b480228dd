//! Fake LLM providers that speak the real wire formats over real HTTP: the upstream of every
//! Tollgate test, of the Python SDK end-to-end tests and of the load benchmark.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use tollgate_mock::{Fault, Flavour, MockOptions, MockServer};
//! let mock = MockServer::start(MockOptions::default()).await?;
//! let openai_base = mock.url(Flavour::OpenAi); // http://127.0.0.1:PORT/openai/v1
//! mock.push_fault(Fault::Fail429);             // the next request (any flavour) gets a 429
//! // ... point the gateway at `openai_base`, send requests ...
//! assert_eq!(mock.hits(Flavour::OpenAi), 2);
//! let sent = &mock.requests()[0];              // what the gateway sent upstream
//! assert_eq!(sent.header("authorization"), Some("Bearer mock-key"));
//! # Ok(()) }
//! ```
//!
//! # Routes (one port, one prefix per flavour)
//!
//! | flavour | routes | auth |
//! |---|---|---|
//! | OpenAI | `POST /openai/v1/chat/completions`, `POST /openai/v1/embeddings`, `GET /openai/v1/models`, `GET /openai/v1/models/{id}` | `Authorization: Bearer` |
//! | OpenRouter | the same under `/openrouter/api/v1` | `Authorization: Bearer` |
//! | Azure | `POST /azure/openai/deployments/{deployment}/chat/completions?api-version=…`, `…/embeddings?api-version=…` | `api-key` |
//! | Anthropic | `POST /anthropic/v1/messages` (needs `anthropic-version`) | `x-api-key` |
//! | Gemini | `POST /gemini/v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse`, `:embedContent`, `:batchEmbedContents` | `x-goog-api-key` or `?key=` |
//! | Bench | `POST /bench/v1/chat/completions` | none |
//!
//! [`MockServer::url`] gives each flavour's SDK base URL. Every failure answers in the flavour's
//! own error shape and status: a wrong or missing key 401, a malformed body 400, an unknown path
//! under a flavour prefix 404, a wrong method 405 (Gemini 404). Those requests are still counted
//! and recorded.
//! Control routes for tests that run the binary: `GET /_mock/hits`, `GET /_mock/requests`,
//! `POST /_mock/faults` (`{"fault":"fail-500"}`, `{"faults":[…]}` or
//! `{"status":418,"body":…,"headers":{…}}`), `POST /_mock/reset`.
//!
//! # Deterministic behaviour
//!
//! Tests assert on these rules; every flavour applies them to its own wire format.
//!
//! - **Text of a message**: a string content, or its text parts/blocks concatenated with nothing
//!   in between (images and other parts carry no text).
//! - **Reply**: `"echo: " + <text of the last user message>`. If the conversation ends with a tool
//!   result (OpenAI `tool`/`function` message; an Anthropic user turn whose last block is
//!   `tool_result`; a Gemini content whose last part is `functionResponse`), the reply is
//!   `"tool said: " + <its content as text>` (Anthropic: string or text blocks; Gemini: the
//!   `response` object's lone `content` field if that is all it has, else the object as compact
//!   JSON with keys sorted).
//! - **Tool call**: if tools are declared, tool choice is not `none` (Anthropic `{"type":"none"}`,
//!   Gemini mode `NONE`) and the conversation ends with a user message (not a tool result), the
//!   answer is one call to the first declared tool (or the one a named tool choice /
//!   `allowedFunctionNames` picks) with arguments `{"input":"<last user text>"}`: OpenAI
//!   `finish_reason: tool_calls`, id `call_mock_1`; Anthropic `stop_reason: tool_use`, id
//!   `toolu_mock_1`; Gemini a `functionCall` part with `finishReason: STOP`.
//! - **JSON mode**: OpenAI `response_format` `json_object`/`json_schema`, or Gemini
//!   `responseMimeType: application/json`, makes the reply the JSON text
//!   `{"echo":"<last user text>"}` (compact, serde_json escaping).
//! - **Prompt tokens** = number of whitespace-separated words in all text of system + messages
//!   (tool results included; tool definitions and tool-call arguments not), at least 1.
//! - **Completion tokens** = number of words in the reply after truncation; a tool call counts 5.
//!   With `n`/`candidateCount` > 1, every choice is the same and OpenAI `completion_tokens` (and
//!   Gemini `candidatesTokenCount`) count all of them.
//! - **`CACHED`** anywhere in the prompt text: half the prompt tokens (rounded down) are cached —
//!   OpenAI `prompt_tokens_details.cached_tokens` (inside `prompt_tokens`); Anthropic
//!   `cache_read_input_tokens` beside `input_tokens` (which drops by as much); Gemini
//!   `cachedContentTokenCount` (inside `promptTokenCount`).
//! - **`CACHE_WRITE`** in the prompt text: half the prompt tokens are cache writes — Anthropic
//!   `cache_creation_input_tokens` (and `cache_creation.ephemeral_5m_input_tokens`) beside
//!   `input_tokens`; OpenRouter `prompt_tokens_details.cache_write_tokens`.
//! - **`REASON`** in the prompt text: 7 reasoning tokens — OpenAI
//!   `completion_tokens_details.reasoning_tokens` (inside `completion_tokens`); Gemini
//!   `thoughtsTokenCount` beside `candidatesTokenCount` (and in `totalTokenCount`); Anthropic
//!   counts them inside `output_tokens` (thinking is billed as output there).
//! - **Max tokens** (`max_completion_tokens` ?? `max_tokens`; Anthropic `max_tokens`, required;
//!   Gemini `maxOutputTokens`): the reply is cut after that many words, with finish reason
//!   `length` / `max_tokens` / `MAX_TOKENS`. Stop sequences are ignored.
//! - **OpenRouter cost**: `usage.cost = prompt_tokens × 0.000001 + completion_tokens × 0.000002`
//!   USD, written as an exact decimal JSON number (e.g. `0.000013`), with `is_byok: false` and
//!   `cost_details` (`upstream_inference_cost: null`, prompt and completion parts).
//! - **Embeddings**: one deterministic vector per input (string, string array, token array or
//!   array of token arrays; Gemini parts' text), 16 values unless `dimensions` /
//!   `outputDimensionality` says otherwise, each a multiple of 1/1024 in [-1, 1] so `float` and
//!   `base64` (little-endian f32) encodings agree exactly. `prompt_tokens` = words per string
//!   input (at least 1 each) or number of token ids.
//! - **Ids**: `chatcmpl-mock<N>`, `gen-<created>-mock<N>` (OpenRouter), `msg_mock<N>`,
//!   `mock-<N>` (Gemini `responseId`); request-id headers `req_mock_<N>` with N the server-wide
//!   request number (from 1).
//! - **Models**: the response `model` is the requested one (Azure: the deployment name).
//!
//! # Streams
//!
//! - **OpenAI family**: a role chunk (`delta: {"role":"assistant","content":"", "refusal":null}`)
//!   per choice, then one chunk per word (each piece carries the whitespace after its word, so
//!   pieces concatenate to the exact reply) interleaved across choices, a finish chunk per choice
//!   (`delta: {}`), then — only with `stream_options.include_usage: true` (OpenRouter also
//!   `usage.include: true`) — a usage chunk with `"choices":[]`, then `data: [DONE]`. With
//!   include_usage every other chunk carries `"usage":null`. A tool call streams a first chunk
//!   with id/name and `arguments: ""`, then the arguments in two fragments. OpenRouter opens with
//!   `: OPENROUTER PROCESSING` and sends it again after the second word. Azure opens with a chunk
//!   that has `"choices":[]`, empty `id`/`model` and `prompt_filter_results`.
//! - **Anthropic**: `message_start` (input usage with cache counts, `output_tokens: 1`),
//!   `content_block_start`, `ping`, one `text_delta` per word (a `ping` every third), or for a tool
//!   call `input_json_delta` fragments `""`, first half, second half; `content_block_stop`,
//!   `message_delta` (stop reason, cumulative `output_tokens`), `message_stop`.
//! - **Gemini** (`alt=sse`): `data:` events only, one per word (a tool call is one event); every
//!   event has `usageMetadata` with running counts, the last one has `finishReason` and the final
//!   counts; no `[DONE]`, EOF ends it. Without `alt=sse` the chunks come as one JSON array.
//! - **Quirks** ([`StreamQuirks`], all on with the binary's `--quirks`): `\r\n` line endings, a
//!   `: keep-alive` comment block before each event, JSON payloads split over two `data:` lines,
//!   each event written in two TCP writes, and (OpenAI family) the usage chunk with
//!   `"choices":null`.
//!
//! # Faults
//!
//! [`Fault`]s are queued with [`MockServer::push_fault`] (FIFO, consumed by the next request of
//! any flavour, before auth is checked) or selected by the upstream model name (body `model`,
//! Azure deployment, Gemini path model) after auth and validation: a model named `fail-429`,
//! `slow-250-gpt-4o` or `cut-stream/x` triggers that fault. See [`Fault`] for each one.
//!
//! # Headers
//!
//! OpenAI family: `x-request-id`, `openai-processing-ms`, `x-ratelimit-limit-requests: 10000`,
//! `x-ratelimit-remaining-requests: 9999`, `x-ratelimit-reset-requests: 1s`,
//! `x-ratelimit-limit-tokens: 1000000`, `x-ratelimit-remaining-tokens: 999000`,
//! `x-ratelimit-reset-tokens: 1s` (Azure adds `apim-request-id`). Anthropic: `request-id`,
//! `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}` (reset is RFC 3339, now + 1 s).
//! Gemini and bench: none. A 429 adds `retry-after: 1` (OpenAI family also `retry-after-ms: 1000`)
//! and sets the `remaining` headers to 0.
//!
//! # Bench
//!
//! `/bench/v1/chat/completions` answers a fixed completion (`"echo: bench"`, 8 + 2 tokens), or a
//! fixed short stream (ending with a usage chunk and `[DONE]`) when the body contains
//! `"stream":true`, without parsing JSON, checking auth or recording (only counting). Queued
//! faults still apply (those requests take the normal path and are recorded); model-name faults
//! do not, since the body is never parsed.

// Handlers return `Result<_, Response>` to answer early in the flavour's error shape; the size of
// the error variant is irrelevant at one per request.
#![allow(
    clippy::result_large_err,
    reason = "early answers are Responses, one per request"
)]

mod anthropic;
mod anthropic_stream;
mod azure;
mod bench;
mod call;
mod conn;
mod control;
mod embeddings;
mod errors;
mod faults;
mod flavour;
mod gemini;
mod gemini_request;
mod gemini_wire;
mod headers;
mod json;
mod openai;
mod openai_request;
mod openai_stream;
mod openai_wire;
mod options;
mod recorded;
mod reply;
mod respond;
mod router;
mod server;
mod sse;
mod state;
mod tokens;

pub use faults::Fault;
pub use flavour::Flavour;
pub use options::{MockOptions, StreamQuirks};
pub use recorded::RecordedRequest;
pub use server::MockServer;

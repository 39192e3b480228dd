//! OpenAI-compatible chat completions and model listing, shared by the OpenAI, OpenRouter and
//! Azure flavours (which differ in auth, ids and a few fields; see `openai_wire::Dialect`).

use axum::response::Response;
use serde_json::json;

use crate::Flavour;
use crate::call::Call;
use crate::errors::ErrorKind;
use crate::headers::unix_now;
use crate::openai_request;
use crate::openai_stream;
use crate::openai_wire::{
    Choice, Completion, Dialect, FunctionCall, Message, Meta, SYSTEM_FINGERPRINT, ToolCall,
    UsageOut, azure_prompt_filter_results, finish_reason,
};
use crate::reply::{Answer, OPENAI_TOOL_CALL_ID, Reply, reply};
use crate::respond::JSON;

const SSE: &str = "text/event-stream; charset=utf-8";

/// Model ids listed by `GET /models`.
pub(crate) const MODELS: [&str; 4] = [
    "gpt-4o-mini",
    "gpt-4o",
    "text-embedding-3-small",
    "mock-echo",
];
const MODEL_CREATED: u64 = 1_715_367_049;

/// `POST .../chat/completions` for OpenAI and OpenRouter.
pub(crate) async fn chat(call: Call) -> Response {
    chat_as(call, None).await
}

/// Chat completions; Azure passes its deployment name, which stands in for the model.
pub(crate) async fn chat_as(mut call: Call, deployment: Option<String>) -> Response {
    if let Err(denied) = check_key(&call) {
        return denied;
    }
    let dialect = Dialect::of(call.flavour);
    let parsed = call.json_object().and_then(|body| {
        openai_request::parse(body, dialect == Dialect::OpenRouter).map_err(|m| call.invalid(&m))
    });
    let request = match parsed {
        Ok(request) => request,
        Err(response) => return response,
    };
    let model = match (deployment, request.model) {
        (Some(deployment), _) => deployment,
        (None, Some(model)) => model,
        (None, None) => return call.invalid("you must provide a model parameter"),
    };
    if let Some(response) = call.model_fault(&model).await {
        return response;
    }

    let reply = reply(&request.prompt);
    let meta = Meta::new(dialect, call.seq, unix_now(), model);
    if request.stream {
        let null_choices = call.app.options.quirks.null_usage_choices;
        let items = openai_stream::items(&meta, &reply, request.include_usage, null_choices);
        call.sse(SSE, items)
    } else {
        call.json(JSON, &completion(&meta, &reply))
    }
}

fn completion<'a>(meta: &'a Meta, reply: &'a Reply) -> Completion<'a> {
    let finish = finish_reason(reply.finish);
    let message = || match &reply.answer {
        Answer::Text(text) => Message {
            role: "assistant",
            content: Some(text),
            refusal: None,
            tool_calls: None,
            annotations: [],
        },
        Answer::ToolCall { name, arguments } => Message {
            role: "assistant",
            content: None,
            refusal: None,
            tool_calls: Some(vec![ToolCall {
                id: OPENAI_TOOL_CALL_ID,
                kind: "function",
                function: FunctionCall { name, arguments },
            }]),
            annotations: [],
        },
    };
    Completion {
        id: &meta.id,
        object: "chat.completion",
        created: meta.created,
        model: &meta.model,
        provider: meta.provider(),
        prompt_filter_results: (meta.dialect == Dialect::Azure).then(azure_prompt_filter_results),
        choices: (0..reply.usage.choices)
            .map(|index| Choice {
                index,
                message: message(),
                logprobs: None,
                finish_reason: finish,
                native_finish_reason: (meta.dialect == Dialect::OpenRouter).then_some(finish),
                content_filter_results: meta.content_filter(),
            })
            .collect(),
        usage: UsageOut::new(&reply.usage, meta.dialect),
        service_tier: "default",
        system_fingerprint: SYSTEM_FINGERPRINT,
    }
}

/// `GET .../models`.
pub(crate) async fn list_models(call: Call) -> Response {
    if let Err(denied) = check_key(&call) {
        return denied;
    }
    let data: Vec<_> = MODELS.iter().map(|id| model_object(id)).collect();
    call.json(JSON, &json!({"object": "list", "data": data}))
}

/// `GET .../models/{id}`: any id exists, so configs naming fault models can be checked too.
pub(crate) async fn get_model(call: Call) -> Response {
    if let Err(denied) = check_key(&call) {
        return denied;
    }
    let index = if call.flavour == Flavour::OpenRouter {
        4
    } else {
        3
    };
    match call.path_segment(index).filter(|id| !id.is_empty()) {
        Some(id) => call.json(JSON, &model_object(&id)),
        None => call.error(ErrorKind::NotFound, "The model does not exist."),
    }
}

fn model_object(id: &str) -> serde_json::Value {
    json!({"id": id, "object": "model", "created": MODEL_CREATED, "owned_by": "tollgate-mock"})
}

/// Bearer auth for OpenAI and OpenRouter, `api-key` for Azure.
pub(crate) fn check_key(call: &Call) -> Result<(), Response> {
    let expected = call.app.options.api_key.as_str();
    if call.flavour == Flavour::Azure {
        return match call.header("api-key") {
            Some(key) if key == expected => Ok(()),
            Some(_) => Err(call.error(
                ErrorKind::Unauthorized,
                "Access denied due to invalid subscription key or wrong API endpoint. Make sure to \
                 provide a valid key for an active subscription and use a correct regional API \
                 endpoint for your resource.",
            )),
            None => Err(call.error(
                ErrorKind::Unauthorized,
                "Access denied due to missing subscription key. Make sure to include subscription \
                 key when making requests to an API.",
            )),
        };
    }
    match call.header("authorization").and_then(bearer_token) {
        Some(key) if key == expected => Ok(()),
        Some(key) => Err(call.error(
            ErrorKind::Unauthorized,
            &format!(
                "Incorrect API key provided: {}. You can find your API key at \
                 https://platform.openai.com/account/api-keys.",
                mask(key)
            ),
        )),
        None => Err(call.error(
            ErrorKind::Unauthorized,
            "You didn't provide an API key. You need to provide your API key in an Authorization \
             header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )),
    }
}

fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Like OpenAI, never echo a presented key whole.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

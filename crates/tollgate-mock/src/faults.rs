//! Scripted failures: what they are and how they are named.
//!
//! A fault is either queued with [`crate::MockServer::push_fault`] (consumed FIFO by the next
//! requests of any flavour) or chosen by the upstream model name, so a gateway config file can
//! script one without code: a model named `fail-429` or `slow-250-gpt-4o` triggers it. How each
//! fault is carried out lives with the request plumbing in `call.rs`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// One scripted failure or slowdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `fail-500`: 500 in the flavour's error shape.
    Fail500,
    /// `fail-429`: 429 with `retry-after: 1` and exhausted rate-limit headers.
    Fail429,
    /// `fail-429-retry-<ms>`: 429 asking for this wait: `retry-after` in whole seconds (rounded
    /// up) and, in the OpenAI family, `retry-after-ms`.
    Fail429RetryAfter(Duration),
    /// `fail-529`: Anthropic 529 `overloaded_error`; 503 for the other flavours.
    Fail529,
    /// `fail-400`: 400 invalid request.
    Fail400,
    /// `fail-401`: 401 authentication failure, whatever key was sent.
    Fail401,
    /// `slow-<ms>`: wait this long before sending the headers, then answer normally.
    Slow(Duration),
    /// `slow-stream-<ms>`: wait this long between stream events.
    SlowStream(Duration),
    /// `slow-first-event-<ms>`: send the 200 headers at once, then wait this long before the
    /// first byte of the body (a stream's first event, or a non-streamed answer's JSON).
    SlowFirstEvent(Duration),
    /// `hang`: read the request, never answer (until the server is dropped).
    Hang,
    /// `cut-stream`: after 2 content events the connection is closed mid-body, with no stream
    /// terminator and no final HTTP chunk (the client sees a transport error). A non-streamed
    /// answer is cut after half its body.
    CutStream,
    /// `truncate-stream`: like `cut-stream` but the HTTP body ends cleanly; only the stream's own
    /// terminator (`[DONE]`, `message_stop`, final usage) is missing.
    TruncateStream,
    /// `stall-stream`: after 2 content events the stream goes silent with the connection left
    /// open (no terminator, no close) until the client gives up. A non-streamed answer stalls
    /// after half its body.
    StallStream,
    /// `stream-error`: after 2 content events the stream carries the flavour's in-band error event
    /// (OpenAI `data: {"error":{...}}`, Anthropic `event: error`, Gemini `data: {"error":{...}}`)
    /// and ends without its terminator; the status was already 200. A non-streamed answer gets
    /// the flavour's 500 instead.
    StreamError,
    /// `bad-json`: 200, `content-type: application/json`, a body that is not valid JSON.
    BadJson,
    /// `wrong-ctype`: 200 with a `text/html` body.
    WrongContentType,
    /// `reset`: close the connection (TCP RST) without answering.
    Reset,
    /// Any status; `body: None` renders the flavour's own error shape for that status.
    Status {
        status: u16,
        body: Option<String>,
        headers: Vec<(String, String)>,
    },
}

/// What OpenAI answers a request longer than the model's context window (`fail-context`).
const CONTEXT_TOO_LONG: &str = r#"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#;

impl Fault {
    /// The fault a model name selects: the name must start with a fault name, followed by the end
    /// or a separator (`-`, `/`, `:`, `.`, `_`), e.g. `fail-500`, `slow-250-gpt-4o`,
    /// `cut-stream/claude`. Status faults cannot be selected this way.
    pub fn from_model(model: &str) -> Option<Fault> {
        let at_boundary =
            |rest: &str| rest.is_empty() || rest.starts_with(['-', '/', ':', '.', '_']);
        if let Some(rest) = model.strip_prefix("slow-stream-") {
            return millis_prefix(rest, at_boundary).map(Fault::SlowStream);
        }
        if let Some(rest) = model.strip_prefix("slow-first-event-") {
            return millis_prefix(rest, at_boundary).map(Fault::SlowFirstEvent);
        }
        if let Some(rest) = model.strip_prefix("fail-429-retry-") {
            return millis_prefix(rest, at_boundary).map(Fault::Fail429RetryAfter);
        }
        if let Some(rest) = model.strip_prefix("slow-") {
            return millis_prefix(rest, at_boundary).map(Fault::Slow);
        }
        let fixed = [
            ("fail-500", Fault::Fail500),
            ("fail-429", Fault::Fail429),
            ("fail-529", Fault::Fail529),
            ("fail-400", Fault::Fail400),
            ("fail-401", Fault::Fail401),
            (
                "fail-context",
                Fault::Status {
                    status: 400,
                    body: Some(CONTEXT_TOO_LONG.to_owned()),
                    headers: Vec::new(),
                },
            ),
            ("hang", Fault::Hang),
            ("cut-stream", Fault::CutStream),
            ("truncate-stream", Fault::TruncateStream),
            ("stall-stream", Fault::StallStream),
            ("stream-error", Fault::StreamError),
            ("bad-json", Fault::BadJson),
            ("wrong-ctype", Fault::WrongContentType),
            ("reset", Fault::Reset),
        ];
        fixed.into_iter().find_map(|(name, fault)| {
            let rest = model.strip_prefix(name)?;
            at_boundary(rest).then_some(fault)
        })
    }

    /// `flaky-<percent>` (e.g. `flaky-30-gpt-4o-mini`): that share of calls fails, each in a
    /// randomly chosen way that happens before the first byte of an answer (500, 429 with
    /// `retry-after`, 529/503 overloaded, a reset connection, invalid JSON), for chaos tests.
    pub fn flaky(model: &str) -> Option<Fault> {
        let rest = model.strip_prefix("flaky-")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let percent: u32 = digits.parse().ok()?;
        let mut rng = rand::rng();
        if rand::Rng::random_range(&mut rng, 0..100) >= percent {
            return None;
        }
        let choices = [
            Fault::Fail500,
            Fault::Fail429,
            Fault::Fail529,
            Fault::Reset,
            Fault::BadJson,
        ];
        let pick = rand::Rng::random_range(&mut rng, 0..choices.len());
        choices.into_iter().nth(pick)
    }

    /// The fault's name as used in model names and by the control endpoint.
    pub fn name(&self) -> String {
        match self {
            Fault::Fail500 => "fail-500".to_owned(),
            Fault::Fail429 => "fail-429".to_owned(),
            Fault::Fail429RetryAfter(d) => format!("fail-429-retry-{}", d.as_millis()),
            Fault::Fail529 => "fail-529".to_owned(),
            Fault::Fail400 => "fail-400".to_owned(),
            Fault::Fail401 => "fail-401".to_owned(),
            Fault::Slow(d) => format!("slow-{}", d.as_millis()),
            Fault::SlowStream(d) => format!("slow-stream-{}", d.as_millis()),
            Fault::SlowFirstEvent(d) => format!("slow-first-event-{}", d.as_millis()),
            Fault::Hang => "hang".to_owned(),
            Fault::CutStream => "cut-stream".to_owned(),
            Fault::TruncateStream => "truncate-stream".to_owned(),
            Fault::StallStream => "stall-stream".to_owned(),
            Fault::StreamError => "stream-error".to_owned(),
            Fault::BadJson => "bad-json".to_owned(),
            Fault::WrongContentType => "wrong-ctype".to_owned(),
            Fault::Reset => "reset".to_owned(),
            Fault::Status { status, .. } => format!("status-{status}"),
        }
    }
}

/// Leading decimal milliseconds of `rest`, if what follows them is a boundary.
fn millis_prefix(rest: &str, at_boundary: impl Fn(&str) -> bool) -> Option<Duration> {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (number, after) = rest.split_at(digits);
    if number.is_empty() || !at_boundary(after) {
        return None;
    }
    number.parse().ok().map(Duration::from_millis)
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Parses an exact fault name (`fail-500`, `slow-250`, `status-418`, ...).
impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(code) = s.strip_prefix("status-") {
            let status = code
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=999).contains(c))
                .ok_or_else(|| format!("bad status in fault {s:?}"))?;
            return Ok(Fault::Status {
                status,
                body: None,
                headers: Vec::new(),
            });
        }
        match Fault::from_model(s) {
            Some(fault) if fault.name() == s => Ok(fault),
            _ => Err(format!("unknown fault {s:?}")),
        }
    }
}

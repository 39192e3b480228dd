//! How a mock server is configured.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Options for [`crate::MockServer::start`].
#[derive(Debug, Clone)]
pub struct MockOptions {
    /// The key every flavour expects (Bearer, `api-key`, `x-api-key`, `x-goog-api-key` or `?key=`).
    /// A wrong or missing key gets 401 in the flavour's own error shape.
    pub api_key: String,
    /// Where to listen. The default `127.0.0.1:0` picks a free port so tests run in parallel.
    pub bind: SocketAddr,
    /// Stream framing oddities real servers produce; all off by default.
    pub quirks: StreamQuirks,
    /// Added before every answer (all flavours, bench included), to imitate upstream latency.
    pub latency: Duration,
    /// How many recorded requests are kept (oldest dropped first), so a long e2e run or a
    /// benchmark against the non-bench flavours cannot grow memory without bound.
    pub record_limit: usize,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            api_key: "mock-key".to_owned(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            quirks: StreamQuirks::NONE,
            latency: Duration::ZERO,
            record_limit: 10_000,
        }
    }
}

impl MockOptions {
    /// Same options with another expected key.
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// Same options with these stream quirks.
    pub fn with_quirks(mut self, quirks: StreamQuirks) -> Self {
        self.quirks = quirks;
        self
    }

    /// Same options with a fixed delay before every answer.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }
}

/// Stream framing quirks seen in the wild. Every one is valid SSE; a correct decoder must produce
/// the same events with any combination switched on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamQuirks {
    /// End lines with `\r\n` instead of `\n`.
    pub crlf: bool,
    /// Send a `: keep-alive` comment block before every event.
    pub keepalive_comments: bool,
    /// Split each JSON payload over two `data:` lines (after a comma outside strings), which a
    /// decoder joins with `\n`, a newline JSON tolerates.
    pub split_data_lines: bool,
    /// Write every event in two TCP writes, split in the middle (even inside a UTF-8 sequence),
    /// flushed separately.
    pub split_writes: bool,
    /// vLLM-style OpenAI usage chunk with `"choices":null` instead of `"choices":[]`.
    pub null_usage_choices: bool,
}

impl StreamQuirks {
    /// Plain framing.
    pub const NONE: StreamQuirks = StreamQuirks {
        crlf: false,
        keepalive_comments: false,
        split_data_lines: false,
        split_writes: false,
        null_usage_choices: false,
    };

    /// Every quirk at once (what the binary's `--quirks` turns on).
    pub const ALL: StreamQuirks = StreamQuirks {
        crlf: true,
        keepalive_comments: true,
        split_data_lines: true,
        split_writes: true,
        null_usage_choices: true,
    };
}

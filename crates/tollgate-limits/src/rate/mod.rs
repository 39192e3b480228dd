//! Requests/min and tokens/min per key, team and deployment.
//!
//! GCRA (a token bucket kept as one timestamp) implemented here rather than taken from
//! `governor`: every key carries its own limits (governor's keyed limiter has one quota for all
//! keys), tokens/min must refund the unused part of a worst-case take (governor cannot give
//! cells back), and the Redis backend needs this same arithmetic in a Lua script. It is a few
//! lines of exact integer arithmetic; see [`gcra`](self) for the formula.

mod gcra;
mod headers;
mod in_process;
mod limiter;
mod quota;

pub use headers::go_duration;
pub use in_process::InProcessRateLimiter;
pub use limiter::{RateError, RateGrant, RateLimited, RateLimiter, RateStatus, TokenRefund};
pub use quota::{Quota, RateCheck, RateKind};

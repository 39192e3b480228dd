//! Keyset pagination: a page of rows and the cursor of the next one.

use serde::Serialize;

/// At most this many rows per page, whatever the caller asks for.
pub const MAX_PAGE: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows wanted (clamped to 1..=1000).
    pub limit: u32,
    /// The `next` cursor of the previous page; `None` for the first.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn first(limit: u32) -> PageRequest {
        PageRequest { limit, after: None }
    }

    pub(crate) fn clamped_limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, MAX_PAGE))
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::first(100)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<String>,
}

//! Row ids: a readable kind prefix and a UUIDv7, so ids sort by creation time (keyset pagination
//! walks them in order) and a stray id in a log says what it names.

use uuid::Uuid;

pub(crate) const ORG: &str = "org";
pub(crate) const TEAM: &str = "team";
pub(crate) const USER: &str = "user";
pub(crate) const KEY: &str = "key";
pub(crate) const CREDIT: &str = "credit";
pub(crate) const AUDIT: &str = "audit";

/// `org_0190b6c1e4a87c3d9f1e2a3b4c5d6e7f`.
pub(crate) fn new_id(kind: &str) -> String {
    format!("{kind}_{}", Uuid::now_v7().simple())
}

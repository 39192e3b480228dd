//! Money in the admin API's JSON: a decimal string with nine places (`"0.001230000"`).

use serde::Serializer;
use tollgate_types::NanoUsd;

pub(crate) fn serialize<S: Serializer>(amount: &NanoUsd, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(amount)
}

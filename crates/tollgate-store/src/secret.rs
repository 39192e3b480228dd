//! Virtual key secrets: generated once, shown once, stored only as SHA-256.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

/// Every virtual key starts with this, so secret scanners and people can recognise one.
pub const KEY_PREFIX: &str = "tg-";
/// Characters after the prefix. 40 base62 characters carry about 238 bits of entropy.
const RANDOM_CHARS: usize = 40;
/// How much of a secret listings show (`tg-ab12cd3`): enough to tell keys apart, far too little
/// to guess the rest.
pub const VISIBLE_PREFIX_CHARS: usize = 10;

/// A fresh secret: `tg-` and 40 base62 characters from the thread's CSPRNG (ChaCha, seeded from
/// the operating system).
pub fn generate_key_secret() -> String {
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(RANDOM_CHARS)
        .map(char::from)
        .collect();
    format!("{KEY_PREFIX}{random}")
}

/// SHA-256 of the secret's bytes: what the store keeps and what lookups compare.
pub fn hash_key(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The part of a secret that listings may show.
pub fn visible_prefix(secret: &str) -> String {
    secret.chars().take(VISIBLE_PREFIX_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_the_prefix_and_length_and_differ() {
        let a = generate_key_secret();
        let b = generate_key_secret();
        assert!(a.starts_with("tg-"));
        assert_eq!(a.len(), 43);
        assert!(a[3..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
        assert_eq!(visible_prefix(&a).len(), 10);
        assert!(a.starts_with(&visible_prefix(&a)));
    }

    #[test]
    fn hash_is_sha256_of_the_bytes() {
        assert_eq!(
            hex::encode(hash_key("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

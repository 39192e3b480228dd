//! The master key: from `TOLLGATE_MASTER_KEY` (or the config), else generated once at first start.
//!
//! Only its SHA-256 is stored. A generated key is printed once, at the start that created it;
//! later starts find the hash in the store and keep using it.

use rand::RngCore;
use tollgate_server::auth::hash_key;
use tollgate_store::{DynStore, StoreError, meta_keys};

/// Resolves the master key's hash, generating and printing a key on first start if none is set.
pub async fn resolve(configured: Option<&str>, store: &DynStore) -> Result<[u8; 32], StoreError> {
    if let Some(key) = configured {
        let hash = hash_key(key);
        store
            .set_meta(meta_keys::MASTER_KEY_SHA256, &hex::encode(hash))
            .await?;
        return Ok(hash);
    }
    if let Some(stored) = store.get_meta(meta_keys::MASTER_KEY_SHA256).await?
        && let Some(hash) = decode_hash(&stored)
    {
        tracing::info!("using the master key set at first start (only its hash is stored)");
        return Ok(hash);
    }
    let key = generate_key();
    let hash = hash_key(&key);
    store
        .set_meta(meta_keys::MASTER_KEY_SHA256, &hex::encode(hash))
        .await?;
    // Printed once, to stderr beside the logs; stdout stays machine-readable.
    eprintln!(
        "\n  Generated master key (shown once, only its hash is stored):\n\n    {key}\n\n  \
         Set TOLLGATE_MASTER_KEY to choose your own.\n"
    );
    Ok(hash)
}

fn generate_key() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("tg-master-{}", hex::encode(bytes))
}

fn decode_hash(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

//! Signature checks with memory. A member shows the same card all year, so
//! the costly Ed25519 check runs once per card text, not once per scan.
//! Only the signature part is cached: revocation and expiry are checked
//! against current data every time.

use std::collections::HashMap;
use std::sync::Mutex;

use baodao_shared::card::{self, Card, CardRefusal, Keyring};

/// Enough for every card of a large district; cleared when full.
const CAPACITY: usize = 200_000;
/// Longer than any card (a 32-character member id gives 162 characters).
const MAX_CARD_TEXT: usize = 256;

#[derive(Debug)]
pub struct CardDecoder {
    keyring: Keyring,
    cache: Mutex<HashMap<String, Result<Card, CardRefusal>>>,
}

impl CardDecoder {
    pub fn new(keyring: Keyring) -> Self {
        Self {
            keyring,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn decode(&self, payload: &str) -> Result<Card, CardRefusal> {
        if payload.len() > MAX_CARD_TEXT {
            return Err(if payload.starts_with(card::CARD_PREFIX) {
                CardRefusal::Malformed
            } else {
                CardRefusal::NotBaodao
            });
        }
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(payload).cloned()) {
            return hit;
        }
        let result = card::decode(payload, &self.keyring);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CAPACITY {
                cache.clear();
            }
            cache.insert(payload.to_owned(), result.clone());
        }
        result
    }
}

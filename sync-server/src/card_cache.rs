//! Signature checks with memory. A member shows the same card all year, so
//! the costly Ed25519 check runs once per card text, not once per scan.
//! Only the signature part is cached: revocation and expiry are checked
//! against current data every time.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use baodao_shared::card::{self, Card, CardKey, CardRefusal, Keyring};

/// Enough for every card of a large district; cleared when full.
const CAPACITY: usize = 200_000;
/// Longer than any card (a 32-character member id gives 162 characters).
const MAX_CARD_TEXT: usize = 256;
/// Below this many new cards a batch is checked on the calling thread.
const PARALLEL_FROM: usize = 64;

type Decoded = Result<Card, CardRefusal>;

#[derive(Debug)]
pub struct CardDecoder {
    /// The keys in force and the keyring made of them; swapped whole when
    /// the office rotates or retires a key.
    keyring: RwLock<(Vec<CardKey>, Keyring)>,
    cache: Mutex<HashMap<String, Decoded>>,
    /// Bumped by each refresh: answers checked under older keys are not
    /// remembered.
    generation: AtomicU64,
}

impl CardDecoder {
    pub fn new(keyring: Keyring) -> Self {
        Self {
            keyring: RwLock::new((Vec::new(), keyring)),
            cache: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// A decoder trusting `keys`.
    pub fn with_keys(keys: Vec<CardKey>) -> Result<Self, baodao_shared::Error> {
        let keyring = Keyring::new(&keys)?;
        Ok(Self {
            keyring: RwLock::new((keys, keyring)),
            cache: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        })
    }

    /// Trusts `keys` from now on; `true` when they changed. Remembered
    /// answers are forgotten then: a card of a retired key must stop
    /// verifying at once.
    pub fn refresh(&self, keys: Vec<CardKey>) -> Result<bool, baodao_shared::Error> {
        if self.keyring.read().is_ok_and(|current| current.0 == keys) {
            return Ok(false);
        }
        let keyring = Keyring::new(&keys)?;
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self
            .keyring
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (keys, keyring);
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        Ok(true)
    }

    pub fn decode(&self, payload: &str) -> Decoded {
        let mut out = self.decode_all(&[Some(payload)]);
        out.pop().flatten().unwrap_or(Err(CardRefusal::Malformed))
    }

    /// Decodes the cards of a batch, in order. New cards are checked on all
    /// cores: a kiosk back after weeks offline sends thousands at once.
    pub fn decode_all(&self, payloads: &[Option<&str>]) -> Vec<Option<Decoded>> {
        let generation = self.generation.load(Ordering::SeqCst);
        let known: HashMap<&str, Decoded> = {
            let cache = self.cache.lock().ok();
            payloads
                .iter()
                .flatten()
                .filter_map(|p| Some((*p, cache.as_ref()?.get(*p)?.clone())))
                .collect()
        };
        let new: Vec<&str> = payloads
            .iter()
            .flatten()
            .copied()
            .filter(|p| !known.contains_key(p))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let checked = self.check_all(&new);
        if let Ok(mut cache) = self.cache.lock()
            && self.generation.load(Ordering::SeqCst) == generation
        {
            if cache.len() + checked.len() > CAPACITY {
                cache.clear();
            }
            for (payload, result) in &checked {
                if payload.len() <= MAX_CARD_TEXT {
                    cache.insert((*payload).to_owned(), result.clone());
                }
            }
        }
        payloads
            .iter()
            .map(|p| {
                p.map(|p| {
                    known
                        .get(p)
                        .or_else(|| checked.get(p))
                        .cloned()
                        .unwrap_or(Err(CardRefusal::Malformed))
                })
            })
            .collect()
    }

    fn check_all<'p>(&self, payloads: &[&'p str]) -> HashMap<&'p str, Decoded> {
        // Asked once: on Linux each call reads the cgroup files.
        static THREADS: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        });
        let threads = *THREADS;
        if payloads.len() < PARALLEL_FROM || threads < 2 {
            return payloads.iter().map(|p| (*p, self.check(p))).collect();
        }
        let chunk = payloads.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = payloads
                .chunks(chunk)
                .map(|part| {
                    std::thread::Builder::new()
                        .name("baodao-verify".into())
                        .spawn_scoped(scope, move || {
                            part.iter().map(|p| (*p, self.check(p))).collect::<Vec<_>>()
                        })
                })
                .collect();
            let mut out = HashMap::with_capacity(payloads.len());
            for (worker, part) in workers.into_iter().zip(payloads.chunks(chunk)) {
                match worker.ok().and_then(|w| w.join().ok()) {
                    Some(results) => out.extend(results),
                    // No thread to be had: check this part here instead.
                    None => out.extend(part.iter().map(|p| (*p, self.check(p)))),
                }
            }
            out
        })
    }

    fn check(&self, payload: &str) -> Decoded {
        if payload.len() > MAX_CARD_TEXT {
            return Err(if payload.starts_with(card::CARD_PREFIX) {
                CardRefusal::Malformed
            } else {
                CardRefusal::NotBaodao
            });
        }
        let keys = self
            .keyring
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        card::decode(payload, &keys.1)
    }
}

#[cfg(test)]
mod tests {
    use baodao_shared::card::CardSigner;
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn decodes_many_in_order_with_the_same_answers_as_one_by_one() {
        let signer = CardSigner::from_seed(1, &[3; 32]);
        let forger = CardSigner::from_seed(1, &[4; 32]);
        let decoder = CardDecoder::new(Keyring::new([&signer.public_key()]).unwrap());
        let expires = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let texts: Vec<String> = (0..300u32)
            .map(|i| {
                let id = format!("M{i}").parse().unwrap();
                match i % 3 {
                    0 => signer.sign(&id, i, expires).unwrap(),
                    1 => forger.sign(&id, i, expires).unwrap(),
                    _ => format!("junk {i}"),
                }
            })
            .collect();
        let mut payloads: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
        payloads.insert(7, None);
        payloads.push(Some(texts[0].as_str()));
        let all = decoder.decode_all(&payloads);
        assert_eq!(all.len(), payloads.len());
        for (payload, result) in payloads.iter().zip(&all) {
            let expected = payload.map(|p| card::decode(p, &decoder.keyring.read().unwrap().1));
            assert_eq!(result, &expected);
        }
        // From the cache, the same answers.
        assert_eq!(decoder.decode_all(&payloads), all);
        assert_eq!(
            decoder.decode(&"x".repeat(1000)),
            Err(CardRefusal::NotBaodao)
        );
    }

    #[test]
    fn a_refreshed_keyring_takes_effect_at_once() {
        let first = CardSigner::from_seed(1, &[3; 32]);
        let second = CardSigner::from_seed(2, &[4; 32]);
        let decoder = CardDecoder::with_keys(vec![first.public_key()]).unwrap();
        let expires = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let old = first.sign(&"M1".parse().unwrap(), 1, expires).unwrap();
        let new = second.sign(&"M1".parse().unwrap(), 2, expires).unwrap();
        assert!(decoder.decode(&old).is_ok());
        assert_eq!(decoder.decode(&new), Err(CardRefusal::UnknownKey(2)));
        // Rotated: both verify.
        assert!(
            decoder
                .refresh(vec![first.public_key(), second.public_key()])
                .unwrap()
        );
        assert!(
            !decoder
                .refresh(vec![first.public_key(), second.public_key()])
                .unwrap()
        );
        assert!(decoder.decode(&old).is_ok() && decoder.decode(&new).is_ok());
        // Key 1 retired: its cards stop verifying, cached or not.
        assert!(decoder.refresh(vec![second.public_key()]).unwrap());
        assert_eq!(decoder.decode(&old), Err(CardRefusal::UnknownKey(1)));
        assert!(decoder.decode(&new).is_ok());
    }
}

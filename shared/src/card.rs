//! The signed member card.
//!
//! A card is a QR code holding `BD1:` and the Base45 text of
//!
//! ```text
//! version u8 | key id u8 | serial u32 BE | expiry u16 BE (days since 1970-01-01)
//! | member id length u8 | member id (ASCII) | Ed25519 signature (64 bytes)
//! ```
//!
//! Everything is in the QR alphanumeric alphabet, so a card with an eight
//! character member id is 126 characters: QR version 6 at EC level M. The
//! length byte tells a truncated card (damaged) from a forged one.
//! The signature covers a domain-separation context and the body, so a
//! signature made for anything else never verifies as a card.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::{Error, MemberId, base45, hex};

pub const CARD_PREFIX: &str = "BD1:";
const SIGNING_CONTEXT: &[u8] = b"baodao member card v1\0";
const FORMAT_VERSION: u8 = 1;
const HEADER_LEN: usize = 9;
const SIGNATURE_LEN: usize = 64;

/// Which office key signed a card. Carried in the card so keys can rotate.
pub type KeyId = u8;

/// What a verified card says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Card {
    pub member_id: MemberId,
    /// Unique across all cards; a reissue gets a new serial.
    pub serial: u32,
    /// The last day the card is valid.
    pub expires_on: NaiveDate,
    pub key_id: KeyId,
}

/// Why a scanned text is not a usable card. Each one is a message a member
/// at the door can act on, so they are kept apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardRefusal {
    #[error("not a Baodao member card")]
    NotBaodao,
    #[error("damaged or incomplete card")]
    Malformed,
    #[error("card signed by unknown key {0}")]
    UnknownKey(KeyId),
    #[error("card signature does not verify")]
    BadSignature,
    #[error("card expired on {}", .0.expires_on)]
    Expired(Card),
    #[error("card {} was revoked", .0.serial)]
    Revoked(Card),
    #[error("card {} was replaced by card {current_serial}", card.serial)]
    Replaced { card: Card, current_serial: u32 },
}

impl CardRefusal {
    /// The word the kiosk and the server both use for this refusal.
    pub fn reason(&self) -> crate::protocol::Reason {
        use crate::protocol::Reason;
        match self {
            Self::NotBaodao => Reason::NotBaodaoCard,
            Self::Malformed => Reason::CardMalformed,
            Self::UnknownKey(_) => Reason::CardUnknownKey,
            Self::BadSignature => Reason::BadCardSignature,
            Self::Expired(_) => Reason::CardExpired,
            Self::Revoked(_) => Reason::CardRevoked,
            Self::Replaced { .. } => Reason::CardReplaced,
        }
    }

    /// The card behind the refusal, when its signature verified.
    pub fn card(&self) -> Option<&Card> {
        match self {
            Self::Expired(card) | Self::Revoked(card) | Self::Replaced { card, .. } => Some(card),
            _ => None,
        }
    }
}

/// A verification key as the office publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardKey {
    pub key_id: KeyId,
    /// Ed25519 public key, 64 hex digits.
    pub public_key: String,
}

/// The office's signing key. Only the sync server holds one.
pub struct CardSigner {
    key_id: KeyId,
    key: SigningKey,
}

impl std::fmt::Debug for CardSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardSigner")
            .field("key_id", &self.key_id)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl CardSigner {
    /// A signer from 32 secret bytes (made by the caller from the OS RNG).
    pub fn from_seed(key_id: KeyId, seed: &[u8; 32]) -> Self {
        Self {
            key_id,
            key: SigningKey::from_bytes(seed),
        }
    }

    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    pub fn public_key(&self) -> CardKey {
        CardKey {
            key_id: self.key_id,
            public_key: hex::encode(self.key.verifying_key().as_bytes()),
        }
    }

    /// The QR text for a card. The card's `key_id` is this signer's.
    pub fn sign(
        &self,
        member_id: &MemberId,
        serial: u32,
        expires_on: NaiveDate,
    ) -> Result<String, Error> {
        let days = expires_on
            .signed_duration_since(epoch())
            .num_days()
            .try_into()
            .map_err(|_| Error::SigningKey("expiry outside 1970..2149"))?;
        let mut bytes = Vec::with_capacity(HEADER_LEN + member_id.as_str().len() + SIGNATURE_LEN);
        bytes.push(FORMAT_VERSION);
        bytes.push(self.key_id);
        bytes.extend(serial.to_be_bytes());
        bytes.extend(u16::to_be_bytes(days));
        let id = member_id.as_str().as_bytes();
        // Ids are at most MAX_ID_LEN (32) bytes, so the length fits.
        bytes.push(u8::try_from(id.len()).map_err(|_| Error::SigningKey("member id too long"))?);
        bytes.extend(id);
        let signature = self.key.sign(&signed_message(&bytes));
        bytes.extend(signature.to_bytes());
        Ok(format!("{CARD_PREFIX}{}", base45::encode(&bytes)))
    }
}

/// The office keys a verifier trusts.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: BTreeMap<KeyId, VerifyingKey>,
}

impl Keyring {
    /// A keyring from published keys; a key that is not a valid Ed25519
    /// point is an error rather than silently skipped.
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a CardKey>) -> Result<Self, Error> {
        let mut out = BTreeMap::new();
        for key in keys {
            let bytes: [u8; 32] = hex::decode(&key.public_key)
                .and_then(|b| b.try_into().ok())
                .ok_or(Error::SigningKey("public key is not 64 hex digits"))?;
            let key_value = VerifyingKey::from_bytes(&bytes)
                .map_err(|_| Error::SigningKey("not an Ed25519 public key"))?;
            out.insert(key.key_id, key_value);
        }
        Ok(Self { keys: out })
    }
}

/// What the verifier knows about issued cards.
pub trait CardStatus {
    /// The serial of the member's current card, if the roster has one.
    fn current_serial(&self, member: &MemberId) -> Option<u32>;
    /// Whether the office revoked this serial.
    fn is_revoked(&self, serial: u32) -> bool;
}

/// Decodes a scanned text and checks its signature. Says nothing about expiry
/// or revocation: see [`verify`].
pub fn decode(payload: &str, keyring: &Keyring) -> Result<Card, CardRefusal> {
    let text = payload
        .trim()
        .strip_prefix(CARD_PREFIX)
        .ok_or(CardRefusal::NotBaodao)?;
    let bytes = base45::decode(text).map_err(|_| CardRefusal::Malformed)?;
    if bytes.len() <= HEADER_LEN + SIGNATURE_LEN {
        return Err(CardRefusal::Malformed);
    }
    let id_len = usize::from(*bytes.get(HEADER_LEN - 1).ok_or(CardRefusal::Malformed)?);
    if bytes.len() != HEADER_LEN + id_len + SIGNATURE_LEN {
        return Err(CardRefusal::Malformed);
    }
    let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
    let field = |range: std::ops::Range<usize>| body.get(range).ok_or(CardRefusal::Malformed);
    if field(0..1)? != [FORMAT_VERSION] {
        return Err(CardRefusal::Malformed);
    }
    let key_id = field(1..2)?[0];
    let serial = u32::from_be_bytes(
        field(2..6)?
            .try_into()
            .map_err(|_| CardRefusal::Malformed)?,
    );
    let days = u16::from_be_bytes(
        field(6..8)?
            .try_into()
            .map_err(|_| CardRefusal::Malformed)?,
    );
    let member_id = std::str::from_utf8(field(HEADER_LEN..body.len())?)
        .ok()
        .and_then(|id| MemberId::new(id).ok())
        .ok_or(CardRefusal::Malformed)?;
    let expires_on = epoch()
        .checked_add_days(Days::new(u64::from(days)))
        .ok_or(CardRefusal::Malformed)?;

    let key = keyring
        .keys
        .get(&key_id)
        .ok_or(CardRefusal::UnknownKey(key_id))?;
    let signature = Signature::from_slice(signature).map_err(|_| CardRefusal::Malformed)?;
    key.verify_strict(&signed_message(body), &signature)
        .map_err(|_| CardRefusal::BadSignature)?;
    Ok(Card {
        member_id,
        serial,
        expires_on,
        key_id,
    })
}

/// Checks a card whose signature verified against the roster and the date.
pub fn check(card: Card, today: NaiveDate, status: &impl CardStatus) -> Result<Card, CardRefusal> {
    let current = status.current_serial(&card.member_id);
    if let Some(current_serial) = current.filter(|&current| current > card.serial) {
        return Err(CardRefusal::Replaced {
            card,
            current_serial,
        });
    }
    if status.is_revoked(card.serial) || current.is_some_and(|current| current != card.serial) {
        return Err(CardRefusal::Revoked(card));
    }
    if today > card.expires_on {
        return Err(CardRefusal::Expired(card));
    }
    Ok(card)
}

/// The whole verification: decode, signature, revocation, expiry.
/// Never panics, whatever the input.
pub fn verify(
    payload: &str,
    keyring: &Keyring,
    today: NaiveDate,
    status: &impl CardStatus,
) -> Result<Card, CardRefusal> {
    check(decode(payload, keyring)?, today, status)
}

fn signed_message(body: &[u8]) -> Vec<u8> {
    [SIGNING_CONTEXT, body].concat()
}

fn epoch() -> NaiveDate {
    NaiveDate::default()
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use proptest::prelude::*;

    use super::*;

    #[derive(Default)]
    struct Roster {
        current: HashMap<MemberId, u32>,
        revoked: HashSet<u32>,
    }

    impl CardStatus for Roster {
        fn current_serial(&self, member: &MemberId) -> Option<u32> {
            self.current.get(member).copied()
        }
        fn is_revoked(&self, serial: u32) -> bool {
            self.revoked.contains(&serial)
        }
    }

    fn make_signer(key_id: KeyId, fill: u8) -> CardSigner {
        CardSigner::from_seed(key_id, &[fill; 32])
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn member(id: &str) -> MemberId {
        MemberId::new(id).unwrap()
    }

    fn setup() -> (CardSigner, Keyring, Roster) {
        let signer = make_signer(1, 7);
        let keyring = Keyring::new([&signer.public_key()]).unwrap();
        let mut roster = Roster::default();
        roster.current.insert(member("M0000001"), 5);
        (signer, keyring, roster)
    }

    #[test]
    fn a_fresh_card_verifies_and_is_small() {
        let (signer, keyring, roster) = setup();
        let text = signer
            .sign(&member("M0000001"), 5, day(2027, 12, 31))
            .unwrap();
        assert!(text.starts_with("BD1:"));
        assert!(text.len() <= 126, "{} characters", text.len());
        assert!(
            text.bytes()
                .all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b))
        );
        let card = verify(&text, &keyring, day(2026, 11, 30), &roster).unwrap();
        assert_eq!(card.member_id, member("M0000001"));
        assert_eq!(card.serial, 5);
        assert_eq!(card.expires_on, day(2027, 12, 31));
        // A keyboard-wedge scanner adds a line end.
        assert!(verify(&format!("{text}\r\n"), &keyring, day(2026, 11, 30), &roster).is_ok());
    }

    #[test]
    fn every_refusal_is_told_apart() {
        let (signer, keyring, mut roster) = setup();
        let today = day(2026, 11, 30);
        let good = signer
            .sign(&member("M0000001"), 5, day(2027, 1, 1))
            .unwrap();

        assert_eq!(
            verify("https://example.com", &keyring, today, &roster),
            Err(CardRefusal::NotBaodao)
        );
        assert_eq!(
            verify("", &keyring, today, &roster),
            Err(CardRefusal::NotBaodao)
        );
        assert_eq!(
            verify("BD1:ABC", &keyring, today, &roster),
            Err(CardRefusal::Malformed)
        );
        assert_eq!(
            verify(&good[..good.len() - 3], &keyring, today, &roster),
            Err(CardRefusal::Malformed)
        );

        let other_key = make_signer(9, 8)
            .sign(&member("M0000001"), 5, day(2027, 1, 1))
            .unwrap();
        assert_eq!(
            verify(&other_key, &keyring, today, &roster),
            Err(CardRefusal::UnknownKey(9))
        );

        // Same key id, different secret: a forgery.
        let forged = make_signer(1, 8)
            .sign(&member("M0000001"), 5, day(2027, 1, 1))
            .unwrap();
        assert_eq!(
            verify(&forged, &keyring, today, &roster),
            Err(CardRefusal::BadSignature)
        );

        // A valid card with one byte of its body changed.
        let mut bytes = base45::decode(&good[4..]).unwrap();
        bytes[5] ^= 1;
        let tampered = format!("BD1:{}", base45::encode(&bytes));
        assert_eq!(
            verify(&tampered, &keyring, today, &roster),
            Err(CardRefusal::BadSignature)
        );

        let old = signer
            .sign(&member("M0000001"), 5, day(2026, 11, 29))
            .unwrap();
        assert!(matches!(
            verify(&old, &keyring, today, &roster),
            Err(CardRefusal::Expired(_))
        ));
        let last_day = signer.sign(&member("M0000001"), 5, today).unwrap();
        assert!(
            verify(&last_day, &keyring, today, &roster).is_ok(),
            "valid through its expiry day"
        );

        roster.current.insert(member("M0000001"), 6);
        assert_eq!(
            verify(&good, &keyring, today, &roster)
                .unwrap_err()
                .card()
                .map(|c| c.serial),
            Some(5)
        );
        assert!(matches!(
            verify(&good, &keyring, today, &roster),
            Err(CardRefusal::Replaced {
                current_serial: 6,
                ..
            })
        ));

        roster.current.insert(member("M0000001"), 5);
        roster.revoked.insert(5);
        assert!(matches!(
            verify(&good, &keyring, today, &roster),
            Err(CardRefusal::Revoked(_))
        ));
    }

    #[test]
    fn bad_keys_are_refused() {
        let bad = CardKey {
            key_id: 1,
            public_key: "zz".into(),
        };
        assert!(Keyring::new([&bad]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(text in ".{0,300}") {
            let (_, keyring, roster) = setup();
            let _ = verify(&text, &keyring, day(2026, 1, 1), &roster);
            let _ = verify(&format!("BD1:{text}"), &keyring, day(2026, 1, 1), &roster);
        }

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let (_, keyring, roster) = setup();
            let text = format!("BD1:{}", base45::encode(&bytes));
            prop_assert!(verify(&text, &keyring, day(2026, 1, 1), &roster).is_err());
        }

        #[test]
        fn any_single_bit_flip_is_refused(bit in 0usize..(8 * 90)) {
            let (signer, keyring, roster) = setup();
            let good = signer.sign(&member("M0000001"), 5, day(2027, 1, 1)).unwrap();
            let mut bytes = base45::decode(&good[4..]).unwrap();
            let index = (bit / 8) % bytes.len();
            bytes[index] ^= 1 << (bit % 8);
            let text = format!("BD1:{}", base45::encode(&bytes));
            prop_assert!(verify(&text, &keyring, day(2026, 1, 1), &roster).is_err());
        }

        #[test]
        fn signs_and_verifies_any_valid_card(id in "[A-Z0-9]{1,20}", serial in any::<u32>(), days in 0u64..40_000) {
            let (signer, keyring, _) = setup();
            let expires_on = epoch().checked_add_days(Days::new(days)).unwrap();
            let text = signer.sign(&member(&id), serial, expires_on).unwrap();
            let card = decode(&text, &keyring).unwrap();
            prop_assert_eq!(card, Card { member_id: member(&id), serial, expires_on, key_id: 1 });
        }
    }
}

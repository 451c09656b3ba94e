//! Any text a camera or a keyboard-wedge scanner may hand over, through the
//! card decoder and every check after it.
#![no_main]

use std::sync::LazyLock;

use baodao_shared::MemberId;
use baodao_shared::card::{self, CardSigner, CardStatus, Keyring};
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

static KEYRING: LazyLock<Keyring> = LazyLock::new(|| {
    let keys = [
        CardSigner::from_seed(1, &[7; 32]).public_key(),
        CardSigner::from_seed(2, &[8; 32]).public_key(),
    ];
    Keyring::new(&keys).expect("valid keys")
});

struct Roster;

impl CardStatus for Roster {
    fn current_serial(&self, member: &MemberId) -> Option<u32> {
        (member.as_str().len() % 3 != 0).then_some(7)
    }
    fn is_revoked(&self, serial: u32) -> bool {
        serial % 5 == 0
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(card) = card::decode(text, &KEYRING) {
        for day in [NaiveDate::MIN, NaiveDate::MAX, NaiveDate::from_ymd_opt(2026, 11, 30).expect("a day")] {
            let _ = card::check(card.clone(), day, &Roster);
        }
    }
    // A forged variant: the same text with the prefix the decoder expects.
    let _ = card::decode(&format!("{}{text}", card::CARD_PREFIX), &KEYRING);
});

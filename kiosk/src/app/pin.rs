//! The staff PIN: an argon2 hash in the configuration, and a lockout after
//! repeated failures so a PIN cannot be guessed at the door. The lockout is
//! kept in the kiosk's database: pulling the plug does not reset it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::config::StaffPin;

/// Wrong PINs in a row before the lockout.
pub const ATTEMPTS: u32 = 5;
/// The first lockout; each further one doubles, up to an hour.
pub const FIRST_LOCKOUT: Duration = Duration::from_mins(1);
/// The shortest PIN `hash-pin` accepts: a million guesses at five a
/// lockout is years at the door.
pub const MIN_PIN_DIGITS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinCheck {
    /// Unlocked by the PIN of the staff member named.
    Unlocked {
        staff: String,
    },
    Wrong {
        attempts_left: u32,
    },
    Locked {
        for_secs: u64,
    },
    NotConfigured,
}

/// Failures and lockouts so far; stored as JSON in the kiosk database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinGate {
    failures: u32,
    lockouts: u32,
    locked_until: Option<DateTime<Utc>>,
}

impl PinGate {
    /// Checks `pin` against every staff member's; argon2 makes each try
    /// cost tens of milliseconds, so this runs off the UI thread.
    pub fn check(&mut self, pin: &str, pins: &[StaffPin], now: DateTime<Utc>) -> PinCheck {
        if let Some(until) = self.locked_until.filter(|until| *until > now) {
            let left = until.signed_duration_since(now).num_seconds();
            return PinCheck::Locked {
                for_secs: u64::try_from(left).unwrap_or(1).max(1),
            };
        }
        if pins.is_empty() {
            return PinCheck::NotConfigured;
        }
        if let Some(staff) = pins.iter().find(|p| verify(pin, &p.pin_hash)) {
            self.failures = 0;
            self.lockouts = 0;
            self.locked_until = None;
            return PinCheck::Unlocked {
                staff: staff.name.clone(),
            };
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= ATTEMPTS {
            let lockout = FIRST_LOCKOUT
                .saturating_mul(1 << self.lockouts.min(6))
                .min(Duration::from_hours(1));
            self.lockouts = self.lockouts.saturating_add(1);
            self.failures = 0;
            self.locked_until = chrono::Duration::from_std(lockout)
                .ok()
                .and_then(|lockout| now.checked_add_signed(lockout));
            return PinCheck::Locked {
                for_secs: lockout.as_secs(),
            };
        }
        PinCheck::Wrong {
            attempts_left: ATTEMPTS - self.failures,
        }
    }
}

fn verify(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(pin.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The hash to put in `staff_pin_hash` for a PIN of at least six digits.
pub fn hash(pin: &str) -> crate::Result<String> {
    if pin.chars().count() < MIN_PIN_DIGITS || !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(crate::Error::Config(format!(
            "a staff PIN is at least {MIN_PIN_DIGITS} digits (0-9)"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| crate::Error::Internal(format!("no OS randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| crate::Error::Internal(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| crate::Error::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn locks_after_five_wrong_pins_and_unlocks_with_the_right_one() {
        let pins = [
            StaffPin {
                name: "王芳".into(),
                pin_hash: hash("246810").unwrap(),
            },
            StaffPin {
                name: "李強".into(),
                pin_hash: hash("135790").unwrap(),
            },
        ];
        let unlocked = |name: &str| PinCheck::Unlocked { staff: name.into() };
        let mut gate = PinGate::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
        let secs = |s| t0 + chrono::Duration::seconds(s);
        assert_eq!(gate.check("246810", &pins, t0), unlocked("王芳"));
        assert_eq!(gate.check("135790", &pins, t0), unlocked("李強"));
        for left in (1..ATTEMPTS).rev() {
            assert_eq!(
                gate.check("000000", &pins, t0),
                PinCheck::Wrong {
                    attempts_left: left
                }
            );
        }
        assert_eq!(
            gate.check("000000", &pins, t0),
            PinCheck::Locked { for_secs: 60 }
        );
        // A restart reads the same state back: the lockout holds.
        let stored = serde_json::to_string(&gate).unwrap();
        let mut gate: PinGate = serde_json::from_str(&stored).unwrap();
        // Even the right PIN waits out the lockout.
        assert!(matches!(
            gate.check("246810", &pins, secs(30)),
            PinCheck::Locked { .. }
        ));
        assert_eq!(gate.check("246810", &pins, secs(61)), unlocked("王芳"));
        assert_eq!(gate.check("1", &[], secs(61)), PinCheck::NotConfigured);
        let broken = [StaffPin {
            name: "x".into(),
            pin_hash: "not a hash".into(),
        }];
        assert_eq!(
            gate.check("1", &broken, secs(61)),
            PinCheck::Wrong { attempts_left: 4 }
        );
    }

    #[test]
    fn short_or_non_digit_pins_are_refused() {
        for pin in ["", "1234", "12345", "abcdef", "12345a", "１２３４５６"] {
            assert!(hash(pin).is_err(), "{pin:?}");
        }
        assert!(hash("123456").is_ok());
    }
}

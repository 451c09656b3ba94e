//! The staff PIN: an argon2 hash in the configuration, and a lockout after
//! repeated failures so a PIN cannot be guessed at the door.

use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Wrong PINs in a row before the lockout.
pub const ATTEMPTS: u32 = 5;
/// The first lockout; each further one doubles, up to an hour.
pub const FIRST_LOCKOUT: Duration = Duration::from_mins(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    Unlocked,
    Wrong { attempts_left: u32 },
    Locked { for_secs: u64 },
    NotConfigured,
}

#[derive(Debug, Default)]
pub struct PinGate {
    failures: u32,
    lockouts: u32,
    locked_until: Option<Instant>,
}

impl PinGate {
    pub fn check(&mut self, pin: &str, hash: Option<&str>, now: Instant) -> PinCheck {
        if let Some(until) = self.locked_until.filter(|until| *until > now) {
            return PinCheck::Locked {
                for_secs: until.duration_since(now).as_secs().max(1),
            };
        }
        let Some(hash) = hash else {
            return PinCheck::NotConfigured;
        };
        if verify(pin, hash) {
            self.failures = 0;
            self.lockouts = 0;
            self.locked_until = None;
            return PinCheck::Unlocked;
        }
        self.failures += 1;
        if self.failures >= ATTEMPTS {
            let lockout = FIRST_LOCKOUT
                .saturating_mul(1 << self.lockouts.min(6))
                .min(Duration::from_hours(1));
            self.lockouts += 1;
            self.failures = 0;
            self.locked_until = Some(now + lockout);
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

/// The hash to put in `staff_pin_hash` for a PIN.
pub fn hash(pin: &str) -> crate::Result<String> {
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
    use super::*;

    #[test]
    fn locks_after_five_wrong_pins_and_unlocks_with_the_right_one() {
        let hash = hash("2468").unwrap();
        let mut gate = PinGate::default();
        let t0 = Instant::now();
        assert_eq!(gate.check("2468", Some(&hash), t0), PinCheck::Unlocked);
        for left in (1..ATTEMPTS).rev() {
            assert_eq!(
                gate.check("0000", Some(&hash), t0),
                PinCheck::Wrong {
                    attempts_left: left
                }
            );
        }
        assert_eq!(
            gate.check("0000", Some(&hash), t0),
            PinCheck::Locked { for_secs: 60 }
        );
        // Even the right PIN waits out the lockout.
        assert!(matches!(
            gate.check("2468", Some(&hash), t0 + Duration::from_secs(30)),
            PinCheck::Locked { .. }
        ));
        assert_eq!(
            gate.check("2468", Some(&hash), t0 + Duration::from_secs(61)),
            PinCheck::Unlocked
        );
        assert_eq!(
            gate.check("1", None, t0 + Duration::from_secs(61)),
            PinCheck::NotConfigured
        );
        assert_eq!(
            gate.check("1", Some("not a hash"), t0 + Duration::from_secs(61)),
            PinCheck::Wrong { attempts_left: 4 }
        );
    }
}

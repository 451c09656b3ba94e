//! Browser sessions of the office console: the cookie, its idle expiry, the
//! per-form CSRF token and the lockout after wrong passwords. Plain
//! functions; the store keeps sessions (hashed) so any instance serves any
//! request.

use std::time::Duration;

use baodao_shared::hex;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

/// The session cookie's name. `__Host-` under TLS: the browser then keeps it
/// to this host and path `/`, and only over HTTPS.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-baodao_session"
    } else {
        "baodao_session"
    }
}

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::from_mins(30);

/// Wrong passwords in a row before an account is locked, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub max_failures: u32,
    pub lock_for: Duration,
}

pub const LOCKOUT: Lockout = Lockout {
    max_failures: 5,
    lock_for: Duration::from_mins(15),
};

impl Lockout {
    /// Until when an account is locked once it has `failures` wrong
    /// passwords in a row, the last at `now`.
    pub fn locked_until(self, failures: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (failures >= self.max_failures)
            .then(|| now + TimeDelta::from_std(self.lock_for).unwrap_or(TimeDelta::MAX))
    }
}

/// Whether an account locked until `until` is still locked at `now`.
pub fn is_locked(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    until.is_some_and(|until| now < until)
}

/// Whether a session last used at `last_seen` has expired at `now`.
pub fn is_idle(last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now.signed_duration_since(last_seen) >= TimeDelta::from_std(IDLE).unwrap_or(TimeDelta::MAX)
}

/// A fresh session: the cookie's secret (the browser's; the store keeps
/// its hash) and the CSRF token the session's forms carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub secret: String,
    pub csrf: String,
}

impl NewSession {
    pub fn from_random(secret: &[u8; 32], csrf: &[u8; 32]) -> Self {
        Self {
            secret: hex::encode(secret),
            csrf: hex::encode(csrf),
        }
    }

    pub fn secret_hash(&self) -> String {
        secret_hash(&self.secret)
    }
}

/// The stored form of a session secret.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(&Sha256::digest(secret.as_bytes()))
}

/// The `Set-Cookie` value that gives the browser its session.
pub fn set_cookie(secret: &str, secure: bool) -> String {
    format!(
        "{}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        cookie_name(secure),
        IDLE.as_secs() * 16,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes it.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// The session secret among a request's `Cookie` headers, if it has the
/// shape of one (64 hex digits).
pub fn secret_in<'a>(cookies: impl IntoIterator<Item = &'a str>, secure: bool) -> Option<&'a str> {
    let name = cookie_name(secure);
    cookies
        .into_iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether a form's CSRF token is the session's, compared in constant time.
pub fn csrf_matches(sent: &str, expected: &str) -> bool {
    sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn the_fifth_wrong_password_locks_for_fifteen_minutes() {
        assert_eq!(LOCKOUT.locked_until(4, at(0)), None);
        let until = LOCKOUT.locked_until(5, at(0)).unwrap();
        assert_eq!(until, at(15 * 60));
        assert!(is_locked(Some(until), at(15 * 60 - 1)));
        assert!(!is_locked(Some(until), at(15 * 60)));
        assert!(!is_locked(None, at(0)));
    }

    #[test]
    fn a_session_expires_after_thirty_idle_minutes() {
        assert!(!is_idle(at(0), at(29 * 60)));
        assert!(is_idle(at(0), at(30 * 60)));
        // A clock that went back does not end a session.
        assert!(!is_idle(at(60), at(0)));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_under_tls() {
        let plain = set_cookie("ab", false);
        assert!(plain.starts_with("baodao_session=ab;"));
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"));
        let tls = set_cookie("ab", true);
        assert!(tls.starts_with("__Host-baodao_session=ab;") && tls.ends_with("; Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }

    #[test]
    fn the_secret_is_found_among_other_cookies_and_checked_for_shape() {
        let secret = "a".repeat(64);
        let header = format!("lang=zh-Hans; baodao_session={secret}; x=1");
        assert_eq!(secret_in([header.as_str()], false), Some(secret.as_str()));
        assert_eq!(secret_in([header.as_str()], true), None);
        assert_eq!(secret_in(["baodao_session=short"], false), None);
        assert_eq!(
            secret_in(["lang=en", header.as_str()], false),
            Some(secret.as_str())
        );
        let new = NewSession::from_random(&[1; 32], &[2; 32]);
        assert_eq!(new.secret.len(), 64);
        assert_ne!(new.secret_hash(), new.secret);
    }

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(csrf_matches("abc", "abc"));
        assert!(!csrf_matches("abd", "abc"));
        assert!(!csrf_matches("ab", "abc"));
        assert!(!csrf_matches("", "abc"));
    }
}

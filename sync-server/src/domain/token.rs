//! Bearer tokens. A token is 32 random bytes; the server keeps only its
//! SHA-256, so a copy of the database does not let anyone upload. Kiosk
//! tokens (`bdk_`) and office tokens (`bdo_`) differ in prefix and live in
//! different tables: neither ever passes for the other.

use baodao_shared::hex;
use sha2::{Digest, Sha256};

const PREFIX: &str = "bdk_";
const OFFICE_PREFIX: &str = "bdo_";

/// The text a kiosk sends, from 32 random bytes.
pub fn format_token(secret: &[u8; 32]) -> String {
    format!("{PREFIX}{}", hex::encode(secret))
}

/// The text an office user's program sends, from 32 random bytes.
pub fn format_office_token(secret: &[u8; 32]) -> String {
    format!("{OFFICE_PREFIX}{}", hex::encode(secret))
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(&Sha256::digest(token.trim().as_bytes()))
}

/// The token in an `Authorization` header value, if it is a bearer token of
/// the right shape.
pub fn bearer(header: &str) -> Option<&str> {
    bearer_with(header, PREFIX)
}

/// An office token in an `Authorization` header value.
pub fn office_bearer(header: &str) -> Option<&str> {
    bearer_with(header, OFFICE_PREFIX)
}

fn bearer_with<'a>(header: &'a str, prefix: &str) -> Option<&'a str> {
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && token.starts_with(prefix)
        && token.len() == prefix.len() + 64)
        .then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_hash_and_parse() {
        let token = format_token(&[7; 32]);
        assert_eq!(token.len(), 68);
        assert_eq!(bearer(&format!("Bearer {token}")), Some(token.as_str()));
        assert_eq!(bearer(&format!("bearer  {token} ")), Some(token.as_str()));
        assert_eq!(bearer(&format!("Basic {token}")), None);
        assert_eq!(bearer("Bearer bdk_short"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_ne!(hash_token(&token), hash_token(&format_token(&[8; 32])));
        assert_eq!(hash_token(&token).len(), 64);
        let office = format_office_token(&[7; 32]);
        assert_eq!(bearer(&format!("Bearer {office}")), None);
        assert_eq!(office_bearer(&format!("Bearer {token}")), None);
        assert_eq!(
            office_bearer(&format!("Bearer {office}")),
            Some(office.as_str())
        );
    }
}

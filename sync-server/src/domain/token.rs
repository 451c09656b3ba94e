//! Kiosk bearer tokens. A token is 32 random bytes; the server keeps only its
//! SHA-256, so a copy of the database does not let anyone upload.

use baodao_shared::hex;
use sha2::{Digest, Sha256};

const PREFIX: &str = "bdk_";

/// The text a kiosk sends, from 32 random bytes.
pub fn format_token(secret: &[u8; 32]) -> String {
    format!("{PREFIX}{}", hex::encode(secret))
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(&Sha256::digest(token.trim().as_bytes()))
}

/// The token in an `Authorization` header value, if it is a bearer token of
/// the right shape.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer")
        && token.starts_with(PREFIX)
        && token.len() == PREFIX.len() + 64)
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
    }
}

//! Enrolment codes: whether a code may be exchanged for its kiosk's token.

use axum::http::StatusCode;
use baodao_shared::enrol::EnrolCode;
use chrono::{DateTime, Duration, Utc};

use crate::error::Error;

/// How long a code stays good after the office made it.
pub const CODE_LIFETIME: Duration = Duration::hours(24);

/// What the database knows of a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeState {
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// Its kiosk was revoked after the code was made.
    pub kiosk_revoked: bool,
}

/// Why a code does not enrol a kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Used,
    Expired,
    KioskRevoked,
}

/// Whether `code` (`None`: no such code) may enrol its kiosk at `now`. A
/// used code says so even after it expired: the volunteer who typed it
/// twice learns why.
pub fn judge(code: Option<&CodeState>, now: DateTime<Utc>) -> Result<(), Refusal> {
    let code = code.ok_or(Refusal::Unknown)?;
    if code.used_at.is_some() {
        Err(Refusal::Used)
    } else if code.kiosk_revoked {
        Err(Refusal::KioskRevoked)
    } else if now >= code.expires_at {
        Err(Refusal::Expired)
    } else {
        Ok(())
    }
}

/// The stored form of a code: like a token, only its SHA-256 (with a
/// prefix, so a code's hash never equals a token's).
pub fn hash_code(code: &EnrolCode) -> String {
    crate::domain::token::hash_token(&format!("enrol:{}", code.as_str()))
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        let (status, code, message) = match refusal {
            Refusal::Unknown => (
                StatusCode::NOT_FOUND,
                "enrol_code_unknown",
                "no such enrolment code: check it against the office's screen, or ask for a new one",
            ),
            Refusal::Used => (
                StatusCode::CONFLICT,
                "enrol_code_used",
                "this enrolment code was used already: each code enrols one kiosk once; ask the office for a new one",
            ),
            Refusal::Expired => (
                StatusCode::GONE,
                "enrol_code_expired",
                "this enrolment code expired (codes last 24 hours): ask the office for a new one",
            ),
            Refusal::KioskRevoked => (
                StatusCode::FORBIDDEN,
                "kiosk_revoked",
                "the kiosk this code is for was revoked: the office must register a new kiosk",
            ),
        };
        Self::BadRequest {
            status,
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minutes)
    }

    #[test]
    fn a_code_enrols_once_within_its_day() {
        let made = at(0);
        let fresh = CodeState {
            expires_at: made + CODE_LIFETIME,
            used_at: None,
            kiosk_revoked: false,
        };
        assert_eq!(judge(Some(&fresh), made), Ok(()));
        assert_eq!(judge(Some(&fresh), at(24 * 60 - 1)), Ok(()));
        assert_eq!(judge(Some(&fresh), at(24 * 60)), Err(Refusal::Expired));
        assert_eq!(judge(None, made), Err(Refusal::Unknown));
        let used = CodeState {
            used_at: Some(at(5)),
            ..fresh.clone()
        };
        assert_eq!(judge(Some(&used), at(6)), Err(Refusal::Used));
        assert_eq!(judge(Some(&used), at(3 * 24 * 60)), Err(Refusal::Used));
        let revoked = CodeState {
            kiosk_revoked: true,
            ..fresh
        };
        assert_eq!(judge(Some(&revoked), at(1)), Err(Refusal::KioskRevoked));
    }

    #[test]
    fn codes_and_tokens_never_share_a_hash() {
        let code = EnrolCode::parse("ABCD-EFGH").unwrap();
        assert_ne!(
            hash_code(&code),
            crate::domain::token::hash_token(code.as_str())
        );
        assert_eq!(
            hash_code(&code),
            hash_code(&EnrolCode::parse("abcdefgh").unwrap())
        );
    }
}

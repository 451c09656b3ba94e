//! Identifiers. Text ids are short and restricted to characters that survive
//! CSV files, URLs and the QR alphanumeric mode, so a card stays small.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Longest text id accepted; keeps cards at a low QR version.
pub const MAX_ID_LEN: usize = 32;

fn check_id(kind: &'static str, value: &str) -> Result<(), Error> {
    let invalid = |why| Error::InvalidId {
        kind,
        value: value.chars().take(64).collect(),
        why,
    };
    if value.is_empty() {
        return Err(invalid("empty"));
    }
    if value.len() > MAX_ID_LEN {
        return Err(invalid("longer than 32 characters"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(invalid("only A-Z, a-z, 0-9, '-', '_' and '.' are allowed"));
    }
    Ok(())
}

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Result<Self, Error> {
                let value = value.into();
                check_id($kind, &value)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(value: String) -> Result<Self, Error> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(value: &str) -> Result<Self, Error> {
                Self::new(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(
    /// A party member, as the central office registers them.
    MemberId,
    "member id"
);
text_id!(
    /// One scheduled activity.
    ActivityId,
    "activity id"
);
text_id!(
    /// The community (社區) a kiosk, activity or member belongs to.
    Community,
    "community"
);
text_id!(
    /// A registered kiosk.
    KioskId,
    "kiosk id"
);

/// A client-made attendance record id. Kiosks make `UUIDv7` ids so that
/// retries are idempotent and ids sort by creation time.
pub type RecordId = uuid::Uuid;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_ids_and_refuses_the_rest() {
        assert!(MemberId::new("M-0001").is_ok());
        assert!(MemberId::new("").is_err());
        assert!(MemberId::new("a b").is_err());
        assert!(MemberId::new("張三").is_err());
        assert!(MemberId::new("x".repeat(33)).is_err());
        assert!(serde_json::from_str::<MemberId>("\"bad id\"").is_err());
        let id: MemberId = serde_json::from_str("\"M1\"").unwrap();
        assert_eq!(id.as_str(), "M1");
    }
}

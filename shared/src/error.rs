use thiserror::Error;

/// Everything the shared domain can refuse.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    #[error("invalid {kind} {value:?}: {why}")]
    InvalidId {
        kind: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("unknown activity kind {0:?}")]
    UnknownActivityKind(String),
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
    #[error("activity ends before it starts")]
    ActivityEndsBeforeStart,
    #[error("invalid base45 text")]
    Base45,
    #[error("{what} {why}")]
    OutOfRange { what: &'static str, why: String },
    #[error("invalid card signing key: {0}")]
    SigningKey(&'static str),
}

use thiserror::Error;

/// Everything the kiosk core can fail with. Each one becomes a status the
/// staff can read; none of them stops the kiosk.
#[derive(Debug, Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(String),
    #[error("camera: {0}")]
    Camera(String),
    #[error("image {path}: {message}")]
    Image { path: String, message: String },
    #[error("local database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Server(String),
    /// The server does not take this kiosk's token (revoked, or replaced
    /// by another enrolment): only a new enrolment helps.
    #[error("server: {0}")]
    TokenRefused(String),
    #[error("network: {0}")]
    Network(String),
    /// The server refused an enrolment code; `code` is its word for why
    /// (`enrol_code_unknown`, `enrol_code_used`, `enrol_code_expired`,
    /// `kiosk_revoked`, `invalid_code`).
    #[error("enrolment refused: {message}")]
    Enrol { code: String, message: String },
    #[error("the server is busy: try again in {} s", .0.as_secs().max(1))]
    RateLimited(std::time::Duration),
    #[error(transparent)]
    Domain(#[from] baodao_shared::Error),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    /// Whether the disk is full: the one failure staff must fix by hand.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Database(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            Self::Io { source, .. } => source.kind() == std::io::ErrorKind::StorageFull,
            _ => false,
        }
    }
}

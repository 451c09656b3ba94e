//! The crate's one error type. It is also the HTTP error: every handler
//! returns it, and it renders as the API's single JSON error body.

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use baodao_shared::protocol::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("missing, unknown or revoked token")]
    Unauthorized,
    /// Authenticated, but the role does not allow it.
    #[error("not allowed: {0}")]
    Forbidden(String),
    /// The request does not fit the resource's state.
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    BadRequest {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{}", format_rows(.0))]
    Import(Vec<RowError>),
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Domain(#[from] baodao_shared::Error),
    /// A storage backend's failure; which driver is the store's business.
    #[error("database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// One bad line (or spreadsheet row) of an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The line or row number.
    pub line: u64,
    /// Where, in words: `line 3`, `sheet 党员, row 3`.
    pub place: String,
    /// The sheet, for a workbook's row.
    pub sheet: Option<String>,
    /// The column's header as the file wrote it, when it is one column's.
    pub column: Option<String>,
    /// In English, for the command line.
    pub message: String,
    /// The same as a value, for the console to say in the office's
    /// language.
    pub problem: Option<crate::import::problem::Problem>,
}

fn format_rows(rows: &[RowError]) -> String {
    use std::fmt::Write;
    let mut out = format!("{} bad row(s), nothing imported:", rows.len());
    for row in rows {
        let _ = match &row.column {
            Some(column) => write!(out, "\n  {}, column {column}: {}", row.place, row.message),
            None => write!(out, "\n  {}: {}", row.place, row.message),
        };
    }
    out
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::BadRequest { status, code, .. } => (*status, code),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Invalid(_) | Self::Import(_) | Self::Domain(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
            }
            Self::Config(_) | Self::Database(_) | Self::Io { .. } | Self::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            _ => "malformed_json",
        };
        Self::BadRequest {
            status,
            code,
            message: rejection.body_text(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            // Internal detail stays in the log; the client gets a stable text.
            tracing::error!(error = %self, "request failed");
            "internal server error".to_owned()
        } else {
            self.to_string()
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
            },
        };
        (status, axum::Json(body)).into_response()
    }
}

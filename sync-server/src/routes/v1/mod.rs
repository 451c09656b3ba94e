//! API v1.

pub mod batches;
pub mod kiosks;
pub mod office;
pub mod points;
pub mod snapshot;

use crate::error::{Error, Result};

/// Runs database work off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("database task failed: {e}")))?
}

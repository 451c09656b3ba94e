//! Getting check-ins to the office and the snapshot back, whatever the
//! network does: batches with idempotent ids, backoff with jitter, resume
//! after any failure.

pub mod backoff;
pub mod client;
pub mod heartbeat;
pub mod plan;
pub mod worker;

pub use worker::{SyncHandle, SyncStatus};

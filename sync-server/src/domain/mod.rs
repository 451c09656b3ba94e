//! The server's decisions, as plain functions: no I/O, tested without it.

pub mod enrolment;
pub mod heartbeat;
pub mod import_plan;
pub mod ingest;
pub mod judge;
pub mod membership;
pub mod office;
pub mod password;
pub mod report;
pub mod schedule;
pub mod session;
pub mod staff;
pub mod token;
pub mod upload;
pub mod void;

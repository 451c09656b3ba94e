//! The kiosk's decisions as plain functions: which activity is on, whether
//! a card may check in, how long to wait before retrying.

pub mod checkin;
pub mod offline;

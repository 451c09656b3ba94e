//! The kiosk's decisions as plain functions: which activity is on, whether
//! a card may check in, what the member's points are now.

pub mod checkin;
pub mod health;
pub mod offline;
pub mod standing;

//! The Baodao domain, shared by the kiosk and the sync server.
//!
//! Everything here is pure: values in, values out, no I/O. The kiosk and the
//! server are thin adapters around these rules, so a rule is tested once.

pub mod activity;
pub mod base45;
pub mod bounds;
pub mod card;
pub mod enrol;
pub mod error;
pub mod hex;
pub mod ids;
pub mod model;
pub mod points;
pub mod protocol;
pub mod search;

pub use activity::ActivityKind;
pub use error::Error;
pub use ids::{ActivityId, Community, KioskId, MemberId, RecordId};
pub use model::{Activity, AttendanceRecord, Member, Method, Void};
pub use points::{MemberYear, Policy};

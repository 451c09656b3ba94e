//! What a kiosk's staff did by hand, for the office's audit: manual
//! check-ins and voids, under the name of the PIN that unlocked staff mode
//! on the kiosk.

use baodao_shared::bounds::{self, MAX_STAFF_CHARS};
use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_shared::{AttendanceRecord, Void};

/// One audit entry written with the batch that carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffEntry {
    /// `王芳 (kiosk K01)`: the person, and where they were.
    pub actor: String,
    pub action: &'static str,
    pub subject: String,
    pub after: String,
}

/// A staff name as the kiosk sent it: absent, or 1 to 64 characters
/// without control characters.
pub fn check_name(name: Option<&str>) -> Result<Option<&str>, Reason> {
    name.map(|n| bounds::check_text("staff", n, MAX_STAFF_CHARS))
        .transpose()
        .map_err(|_| Reason::MalformedRecord)
}

/// The entry for a manual check-in entered by a named staff member.
pub fn manual_check_in(
    kiosk_id: &str,
    record: &AttendanceRecord,
    status: RecordStatus,
    reason: Option<Reason>,
) -> Option<StaffEntry> {
    let staff = check_name(record.entered_by.as_deref()).ok().flatten()?;
    let outcome = match reason {
        Some(reason) => format!("{} ({})", status.code(), reason.code()),
        None => status.code().to_owned(),
    };
    Some(StaffEntry {
        actor: actor(staff, kiosk_id),
        action: "kiosk.manual_check_in",
        subject: format!("record:{}", record.record_id),
        after: format!(
            "{} @ {}: {outcome}",
            record.member_id.as_str(),
            record.activity_id.as_str()
        ),
    })
}

/// The entry for a void that took effect, by a named staff member.
pub fn void(kiosk_id: &str, void: &Void, reason: &str) -> Option<StaffEntry> {
    let staff = check_name(void.voided_by.as_deref()).ok().flatten()?;
    Some(StaffEntry {
        actor: actor(staff, kiosk_id),
        action: "kiosk.void",
        subject: format!("record:{}", void.record_id),
        after: format!("voided: {reason}"),
    })
}

fn actor(staff: &str, kiosk_id: &str) -> String {
    format!("{staff} (kiosk {kiosk_id})")
}

#[cfg(test)]
mod tests {
    use baodao_shared::Method;

    use super::*;

    fn manual(entered_by: Option<&str>) -> AttendanceRecord {
        AttendanceRecord {
            record_id: uuid::Uuid::nil(),
            member_id: "M001".parse().unwrap(),
            activity_id: "A1".parse().unwrap(),
            scanned_at: "2026-12-01T01:00:00Z".parse().unwrap(),
            method: Method::Manual,
            card: None,
            entered_by: entered_by.map(str::to_owned),
        }
    }

    #[test]
    fn names_are_checked_where_they_enter() {
        assert_eq!(check_name(None), Ok(None));
        assert_eq!(check_name(Some(" 王芳 ")), Ok(Some("王芳")));
        for bad in ["", "  ", "a\nb", &"字".repeat(65)] {
            assert_eq!(
                check_name(Some(bad)),
                Err(Reason::MalformedRecord),
                "{bad:?}"
            );
        }
        assert!(check_name(Some(&"字".repeat(64))).is_ok());
    }

    #[test]
    fn a_named_manual_check_in_is_an_entry_and_an_anonymous_one_is_not() {
        let entry =
            manual_check_in("K01", &manual(Some("王芳")), RecordStatus::Accepted, None).unwrap();
        assert_eq!(entry.actor, "王芳 (kiosk K01)");
        assert_eq!(entry.action, "kiosk.manual_check_in");
        assert_eq!(entry.after, "M001 @ A1: accepted");
        let held = manual_check_in(
            "K01",
            &manual(Some("王芳")),
            RecordStatus::Held,
            Some(Reason::ManualLimit),
        )
        .unwrap();
        assert_eq!(held.after, "M001 @ A1: held (manual_limit)");
        assert_eq!(
            manual_check_in("K01", &manual(None), RecordStatus::Accepted, None),
            None
        );
        let v = Void {
            record_id: uuid::Uuid::nil(),
            reason: "掃錯人".into(),
            voided_at: None,
            voided_by: Some("李強".into()),
        };
        assert_eq!(void("K02", &v, "掃錯人").unwrap().actor, "李強 (kiosk K02)");
    }
}

//! A void, decided: what a kiosk's correction may undo, and the receipts
//! both answer with. The store fetches the record's community and writes
//! the void; the rules are here.

use baodao_shared::Void;
use baodao_shared::bounds::{self, MAX_REASON_CHARS};
use baodao_shared::protocol::{Reason, RecordReceipt, RecordStatus, VoidReceipt, VoidStatus};
use uuid::Uuid;

/// The void's own faults: its reason (checked, returned) and its time.
pub fn check(void: &Void) -> Result<&str, Reason> {
    let reason = bounds::check_text("reason", &void.reason, MAX_REASON_CHARS)
        .map_err(|_| Reason::InvalidReason)?;
    if let Some(at) = void.voided_at
        && bounds::check_time("voided_at", at).is_err()
    {
        return Err(Reason::InvalidTime);
    }
    super::staff::check_name(void.voided_by.as_deref())?;
    Ok(reason)
}

/// A kiosk voids only its own community's records. The record may not have
/// arrived yet (`owner` is `None`): the void is then kept with the kiosk's
/// community and applies only to a record of it.
pub fn may_void(owner: Option<&str>, kiosk_community: &str) -> Result<(), Reason> {
    match owner {
        Some(owner) if owner != kiosk_community => Err(Reason::OtherCommunity),
        _ => Ok(()),
    }
}

/// The answer to a void that was stored (`new`) or already there.
pub fn done(record_id: Uuid, new: bool) -> VoidReceipt {
    VoidReceipt {
        record_id,
        status: if new {
            VoidStatus::Voided
        } else {
            VoidStatus::AlreadyVoided
        },
        reason: None,
    }
}

pub fn refused(record_id: Uuid, reason: Reason) -> VoidReceipt {
    VoidReceipt {
        record_id,
        status: VoidStatus::Rejected,
        reason: Some(reason),
    }
}

/// The answer to a record decided now.
pub fn record_receipt(
    record_id: Uuid,
    status: RecordStatus,
    reason: Option<Reason>,
) -> RecordReceipt {
    RecordReceipt {
        record_id,
        status,
        reason,
        original_status: None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn void(reason: &str, at: Option<chrono::DateTime<Utc>>) -> Void {
        Void {
            record_id: Uuid::nil(),
            reason: reason.into(),
            voided_at: at,
            voided_by: None,
        }
    }

    #[test]
    fn a_void_needs_a_reason_and_a_sane_time() {
        assert_eq!(check(&void("登記錯了", None)), Ok("登記錯了"));
        assert_eq!(check(&void("", None)), Err(Reason::InvalidReason));
        assert_eq!(
            check(&void(&"x".repeat(501), None)),
            Err(Reason::InvalidReason)
        );
        let far = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).unwrap();
        assert_eq!(check(&void("ok", Some(far))), Err(Reason::InvalidTime));
    }

    #[test]
    fn only_the_records_community_may_void_it() {
        assert_eq!(may_void(Some("C01"), "C01"), Ok(()));
        assert_eq!(may_void(None, "C01"), Ok(()));
        assert_eq!(may_void(Some("C02"), "C01"), Err(Reason::OtherCommunity));
    }
}

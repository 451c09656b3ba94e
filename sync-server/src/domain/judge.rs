//! What happens to one uploaded attendance record.

use baodao_shared::card::{Card, CardRefusal};
use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_shared::{Activity, AttendanceRecord, Community};
use chrono::{DateTime, Duration, Utc};

/// Everything the server knows about a record when it decides.
#[derive(Debug)]
pub struct Facts<'a> {
    pub record: &'a AttendanceRecord,
    pub kiosk_community: &'a Community,
    pub member_known: bool,
    pub activity: Option<&'a Activity>,
    /// The card after signature, revocation and expiry checks, when the
    /// record carries one.
    pub card: Option<&'a Result<Card, CardRefusal>>,
    /// The scan time corrected by the kiosk's clock offset.
    pub corrected_at: DateTime<Utc>,
    pub grace: Duration,
    /// The member already has a counting record at this activity.
    pub already_attended: bool,
}

/// The decision for a record never seen before. Rejected and held records
/// are stored too: the kiosk is told why, and the office can review them.
pub fn judge(facts: &Facts<'_>) -> (RecordStatus, Option<Reason>) {
    use RecordStatus::{Accepted, Held, Rejected, Repeat};
    let Some(activity) = facts.activity else {
        return (Rejected, Some(Reason::UnknownActivity));
    };
    if &activity.community != facts.kiosk_community {
        return (Rejected, Some(Reason::OtherCommunity));
    }
    if !facts.member_known {
        return (Rejected, Some(Reason::UnknownMember));
    }
    match facts.card {
        None if facts.record.method.needs_card() => return (Rejected, Some(Reason::CardMissing)),
        Some(Ok(card)) if card.member_id != facts.record.member_id => {
            return (Rejected, Some(Reason::CardOfAnotherMember));
        }
        None | Some(Ok(_)) => {}
        Some(Err(refusal)) => {
            // A kiosk with an older roster may have accepted a card that the
            // office has since revoked or replaced: a person should look.
            let status = match refusal {
                CardRefusal::Revoked(_) | CardRefusal::Replaced { .. } => Held,
                _ => Rejected,
            };
            return (status, Some(card_reason(refusal)));
        }
    }
    if !activity.is_open_at(facts.corrected_at, facts.grace) {
        return (Held, Some(Reason::OutsideActivityWindow));
    }
    if facts.already_attended {
        return (Repeat, None);
    }
    (Accepted, None)
}

pub fn card_reason(refusal: &CardRefusal) -> Reason {
    match refusal {
        CardRefusal::NotBaodao => Reason::NotBaodaoCard,
        CardRefusal::Malformed => Reason::CardMalformed,
        CardRefusal::UnknownKey(_) => Reason::CardUnknownKey,
        CardRefusal::BadSignature => Reason::BadCardSignature,
        CardRefusal::Expired(_) => Reason::CardExpired,
        CardRefusal::Revoked(_) => Reason::CardRevoked,
        CardRefusal::Replaced { .. } => Reason::CardReplaced,
    }
}

#[cfg(test)]
mod tests {
    use baodao_shared::{ActivityKind, Method};
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    fn activity() -> Activity {
        Activity {
            activity_id: "A1".parse().unwrap(),
            title: "黨課".into(),
            kind: ActivityKind::PartyLesson,
            community: "C1".parse().unwrap(),
            starts_at: Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap(),
            ends_at: Utc.with_ymd_and_hms(2026, 11, 30, 3, 0, 0).unwrap(),
        }
    }

    fn record(method: Method) -> AttendanceRecord {
        AttendanceRecord {
            record_id: uuid::Uuid::now_v7(),
            member_id: "M1".parse().unwrap(),
            activity_id: "A1".parse().unwrap(),
            scanned_at: Utc.with_ymd_and_hms(2026, 11, 30, 1, 30, 0).unwrap(),
            method,
            card: None,
        }
    }

    fn card(member: &str) -> Card {
        Card {
            member_id: member.parse().unwrap(),
            serial: 1,
            expires_on: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            key_id: 1,
        }
    }

    fn decide(
        record: &AttendanceRecord,
        community: &str,
        member_known: bool,
        card: Option<&Result<Card, CardRefusal>>,
        corrected_at: DateTime<Utc>,
        already: bool,
    ) -> (RecordStatus, Option<Reason>) {
        let activity = activity();
        let community: Community = community.parse().unwrap();
        judge(&Facts {
            record,
            kiosk_community: &community,
            member_known,
            activity: Some(&activity),
            card,
            corrected_at,
            grace: Duration::hours(2),
            already_attended: already,
        })
    }

    #[test]
    fn each_outcome_has_its_reason() {
        let qr = record(Method::Qr);
        let manual = record(Method::Manual);
        let at = qr.scanned_at;
        let ok = Ok(card("M1"));
        assert_eq!(
            decide(&qr, "C1", true, Some(&ok), at, false),
            (RecordStatus::Accepted, None)
        );
        assert_eq!(
            decide(&qr, "C1", true, Some(&ok), at, true),
            (RecordStatus::Repeat, None)
        );
        assert_eq!(
            decide(&manual, "C1", true, None, at, false),
            (RecordStatus::Accepted, None)
        );
        assert_eq!(
            decide(&qr, "C1", true, None, at, false),
            (RecordStatus::Rejected, Some(Reason::CardMissing))
        );
        assert_eq!(
            decide(&qr, "C2", true, Some(&ok), at, false),
            (RecordStatus::Rejected, Some(Reason::OtherCommunity))
        );
        assert_eq!(
            decide(&qr, "C1", false, Some(&ok), at, false),
            (RecordStatus::Rejected, Some(Reason::UnknownMember))
        );
        assert_eq!(
            decide(&qr, "C1", true, Some(&Ok(card("M2"))), at, false),
            (RecordStatus::Rejected, Some(Reason::CardOfAnotherMember))
        );
        assert_eq!(
            decide(
                &qr,
                "C1",
                true,
                Some(&Err(CardRefusal::BadSignature)),
                at,
                false
            ),
            (RecordStatus::Rejected, Some(Reason::BadCardSignature))
        );
        assert_eq!(
            decide(
                &qr,
                "C1",
                true,
                Some(&Err(CardRefusal::Expired(card("M1")))),
                at,
                false
            ),
            (RecordStatus::Rejected, Some(Reason::CardExpired))
        );
        assert_eq!(
            decide(
                &qr,
                "C1",
                true,
                Some(&Err(CardRefusal::Revoked(card("M1")))),
                at,
                false
            ),
            (RecordStatus::Held, Some(Reason::CardRevoked))
        );
        let late = at + Duration::hours(5);
        assert_eq!(
            decide(&qr, "C1", true, Some(&ok), late, false),
            (RecordStatus::Held, Some(Reason::OutsideActivityWindow))
        );
        let within_grace = activity().ends_at + Duration::minutes(90);
        assert_eq!(
            decide(&qr, "C1", true, Some(&ok), within_grace, false).0,
            RecordStatus::Accepted
        );
    }

    #[test]
    fn an_unknown_activity_is_rejected() {
        let community: Community = "C1".parse().unwrap();
        let qr = record(Method::Qr);
        let facts = Facts {
            record: &qr,
            kiosk_community: &community,
            member_known: true,
            activity: None,
            card: None,
            corrected_at: qr.scanned_at,
            grace: Duration::hours(2),
            already_attended: false,
        };
        assert_eq!(
            judge(&facts),
            (RecordStatus::Rejected, Some(Reason::UnknownActivity))
        );
    }
}

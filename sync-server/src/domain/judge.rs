//! What happens to one uploaded attendance record.

use baodao_shared::card::{Card, CardRefusal};
use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_shared::{Activity, AttendanceRecord, Community, Method};
use chrono::{DateTime, Duration, Utc};

/// Where the record's member is registered, as seen from the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// The office never registered the member.
    Unknown,
    /// A member of the kiosk's community.
    Local,
    /// A member of another community (a paired agency's, say).
    Visitor,
}

/// Everything the server knows about a record when it decides.
#[derive(Debug)]
pub struct Facts<'a> {
    pub record: &'a AttendanceRecord,
    pub kiosk_community: &'a Community,
    pub member: Membership,
    pub activity: Option<&'a Activity>,
    /// The card after signature, revocation and expiry checks, when the
    /// record carries one.
    pub card: Option<&'a Result<Card, CardRefusal>>,
    /// The scan time corrected by the kiosk's clock offset.
    pub corrected_at: DateTime<Utc>,
    /// When the server received the record: the one time a kiosk cannot choose.
    pub received_at: DateTime<Utc>,
    /// The kiosk's clock offset was within what the server corrects.
    pub clock_trusted: bool,
    pub grace: Duration,
    /// The member already has a counting record at this activity.
    pub already_attended: bool,
    /// The member counts at another community's activity at the same time.
    pub attended_elsewhere: bool,
    /// Counting manual check-ins this kiosk already made for the activity,
    /// and how many the office allows.
    pub manual_so_far: u32,
    pub manual_limit: u32,
}

/// How far in the server's future a corrected scan time may lie: the
/// offset is measured once per batch, and clocks drift a little.
const FUTURE_TOLERANCE_SECS: i64 = 300;

/// The decision for a record never seen before. Rejected and held records
/// are stored too: the kiosk is told why, and the office can review them.
///
/// A kiosk chooses every time it sends, so nothing that would count rests
/// on its clock alone: a scan in the server's future, a clock too far off
/// to correct, and a manual check-in that arrives after the activity (or
/// names someone from elsewhere, or one too many) wait for a person.
pub fn judge(facts: &Facts<'_>) -> (RecordStatus, Option<Reason>) {
    use RecordStatus::{Accepted, Held, Rejected, Repeat};
    let Some(activity) = facts.activity else {
        return (Rejected, Some(Reason::UnknownActivity));
    };
    if &activity.community != facts.kiosk_community {
        return (Rejected, Some(Reason::OtherCommunity));
    }
    if facts.member == Membership::Unknown {
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
            return (status, Some(refusal.reason()));
        }
    }
    if !facts.clock_trusted {
        return (Held, Some(Reason::ClockUntrusted));
    }
    let in_future = (facts.corrected_at - facts.received_at).num_seconds() > FUTURE_TOLERANCE_SECS;
    if in_future {
        return (Held, Some(Reason::ScannedInFuture));
    }
    if !activity.is_open_at(facts.corrected_at, facts.grace) {
        return (Held, Some(Reason::OutsideActivityWindow));
    }
    if facts.record.method == Method::Manual {
        if activity.is_over_at(facts.received_at, facts.grace) {
            return (Held, Some(Reason::ManualAfterActivity));
        }
        if facts.member == Membership::Visitor {
            return (Held, Some(Reason::ManualForOtherCommunity));
        }
        if !facts.already_attended && facts.manual_so_far >= facts.manual_limit {
            return (Held, Some(Reason::ManualLimit));
        }
    }
    if facts.already_attended {
        return (Repeat, None);
    }
    if facts.attended_elsewhere {
        return (Held, Some(Reason::AttendedElsewhere));
    }
    (Accepted, None)
}

#[cfg(test)]
mod tests {
    use baodao_shared::Method;
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    fn activity() -> Activity {
        Activity {
            activity_id: "A1".parse().unwrap(),
            title: "黨課".into(),
            kind: baodao_shared::ActivityKind::PartyLesson,
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
            entered_by: None,
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

    /// A record scanned and received during the activity, by a member of
    /// the kiosk's community, that nothing stands against.
    struct Case {
        record: AttendanceRecord,
        kiosk: Community,
        member: Option<Community>,
        card: Option<Result<Card, CardRefusal>>,
        corrected_at: DateTime<Utc>,
        received_at: DateTime<Utc>,
        clock_trusted: bool,
        already: bool,
        elsewhere: bool,
        manual_so_far: u32,
    }

    impl Case {
        fn new(method: Method) -> Self {
            let record = record(method);
            let at = record.scanned_at;
            Self {
                card: method.needs_card().then(|| Ok(card("M1"))),
                record,
                kiosk: "C1".parse().unwrap(),
                member: Some("C1".parse().unwrap()),
                corrected_at: at,
                received_at: at + Duration::minutes(1),
                clock_trusted: true,
                already: false,
                elsewhere: false,
                manual_so_far: 0,
            }
        }

        fn decide(&self) -> (RecordStatus, Option<Reason>) {
            let activity = activity();
            judge(&Facts {
                record: &self.record,
                kiosk_community: &self.kiosk,
                member: match &self.member {
                    None => Membership::Unknown,
                    Some(c) if c == &self.kiosk => Membership::Local,
                    Some(_) => Membership::Visitor,
                },
                activity: Some(&activity),
                card: self.card.as_ref(),
                corrected_at: self.corrected_at,
                received_at: self.received_at,
                clock_trusted: self.clock_trusted,
                grace: Duration::hours(2),
                already_attended: self.already,
                attended_elsewhere: self.elsewhere,
                manual_so_far: self.manual_so_far,
                manual_limit: 3,
            })
        }
    }

    fn with(method: Method, change: impl FnOnce(&mut Case)) -> (RecordStatus, Option<Reason>) {
        let mut case = Case::new(method);
        change(&mut case);
        case.decide()
    }

    #[test]
    fn each_outcome_has_its_reason() {
        use RecordStatus::{Accepted, Held, Rejected, Repeat};
        let qr = Method::Qr;
        assert_eq!(with(qr, |_| {}), (Accepted, None));
        assert_eq!(with(Method::Manual, |_| {}), (Accepted, None));
        assert_eq!(with(qr, |c| c.already = true), (Repeat, None));
        assert_eq!(
            with(qr, |c| c.card = None),
            (Rejected, Some(Reason::CardMissing))
        );
        assert_eq!(
            with(qr, |c| c.kiosk = "C2".parse().unwrap()),
            (Rejected, Some(Reason::OtherCommunity))
        );
        assert_eq!(
            with(qr, |c| c.member = None),
            (Rejected, Some(Reason::UnknownMember))
        );
        assert_eq!(
            with(qr, |c| c.card = Some(Ok(card("M2")))),
            (Rejected, Some(Reason::CardOfAnotherMember))
        );
        assert_eq!(
            with(qr, |c| c.card = Some(Err(CardRefusal::BadSignature))),
            (Rejected, Some(Reason::BadCardSignature))
        );
        assert_eq!(
            with(qr, |c| c.card = Some(Err(CardRefusal::Expired(card("M1"))))),
            (Rejected, Some(Reason::CardExpired))
        );
        assert_eq!(
            with(qr, |c| c.card = Some(Err(CardRefusal::Revoked(card("M1"))))),
            (Held, Some(Reason::CardRevoked))
        );
        assert_eq!(
            with(qr, |c| {
                c.corrected_at += Duration::hours(5);
                c.received_at += Duration::hours(6);
            }),
            (Held, Some(Reason::OutsideActivityWindow))
        );
        assert_eq!(
            with(qr, |c| {
                c.corrected_at = activity().ends_at + Duration::minutes(90);
                c.received_at = c.corrected_at;
            })
            .0,
            Accepted
        );
    }

    #[test]
    fn nothing_counts_on_the_kiosk_clock_alone() {
        use RecordStatus::{Accepted, Held};
        assert_eq!(
            with(Method::Qr, |c| c.clock_trusted = false),
            (Held, Some(Reason::ClockUntrusted))
        );
        assert_eq!(
            with(Method::Qr, |c| c.received_at =
                c.corrected_at - Duration::minutes(30)),
            (Held, Some(Reason::ScannedInFuture))
        );
        assert_eq!(
            with(Method::Qr, |c| c.received_at =
                c.corrected_at - Duration::minutes(4))
            .0,
            Accepted
        );
        // A QR record may arrive weeks later (the kiosk was offline) ...
        assert_eq!(
            with(Method::Qr, |c| c.received_at += Duration::days(20)).0,
            Accepted
        );
        // ... a manual one, which needs no card, waits for a person.
        assert_eq!(
            with(Method::Manual, |c| c.received_at += Duration::days(20)),
            (Held, Some(Reason::ManualAfterActivity))
        );
        assert_eq!(
            with(Method::Manual, |c| c.member = Some("C9".parse().unwrap())),
            (Held, Some(Reason::ManualForOtherCommunity))
        );
        assert_eq!(
            with(Method::Manual, |c| c.manual_so_far = 3),
            (Held, Some(Reason::ManualLimit))
        );
        assert_eq!(with(Method::Manual, |c| c.manual_so_far = 2).0, Accepted);
        // A member of another community may check in with their own card.
        assert_eq!(
            with(Method::Qr, |c| c.member = Some("C9".parse().unwrap())).0,
            Accepted
        );
        assert_eq!(
            with(Method::Qr, |c| c.elsewhere = true),
            (Held, Some(Reason::AttendedElsewhere))
        );
    }

    #[test]
    fn an_unknown_activity_is_rejected() {
        let community: Community = "C1".parse().unwrap();
        let qr = record(Method::Qr);
        let facts = Facts {
            record: &qr,
            kiosk_community: &community,
            member: Membership::Local,
            activity: None,
            card: None,
            corrected_at: qr.scanned_at,
            received_at: qr.scanned_at,
            clock_trusted: true,
            grace: Duration::hours(2),
            already_attended: false,
            attended_elsewhere: false,
            manual_so_far: 0,
            manual_limit: 3,
        };
        assert_eq!(
            judge(&facts),
            (RecordStatus::Rejected, Some(Reason::UnknownActivity))
        );
    }
}

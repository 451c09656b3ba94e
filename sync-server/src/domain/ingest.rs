//! One uploaded record, decided: the store answers the questions asked here
//! and writes the verdict; which questions to ask, in what order, and what
//! follows from the answers is decided here, without I/O. A costly question
//! is asked only when its answer can change the verdict.

use baodao_shared::bounds;
use baodao_shared::card::{self, Card, CardRefusal, CardStatus};
use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_shared::{Activity, AttendanceRecord, Community, MemberId, Method, Policy};
use chrono::{DateTime, Duration, Utc};

use crate::domain::judge::{Facts, Membership, judge};
use crate::error::Result;

/// Longest card text kept; longer is no card (a 32-character member id
/// gives 162 characters).
pub const MAX_CARD_CHARS: usize = 256;

/// The questions ingest asks the store about one record. `Member` and
/// `Activity` are the store's own handles for them.
pub trait Lookup {
    type Member;
    type Activity;
    fn is_revoked(&mut self, serial: u32) -> Result<bool>;
    /// The member already has a counting record at the activity.
    fn already_attended(
        &mut self,
        member: &Self::Member,
        activity: &Self::Activity,
    ) -> Result<bool>;
    /// The member counts at another community's activity that overlaps
    /// `starts..ends`.
    fn attended_elsewhere(
        &mut self,
        member: &Self::Member,
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
    ) -> Result<bool>;
    /// Counting manual check-ins this kiosk made for the activity.
    fn manual_so_far(&mut self, activity: &Self::Activity) -> Result<u32>;
}

/// A member as the store found them.
#[derive(Debug, Clone)]
pub struct MemberFacts<M> {
    pub handle: M,
    pub card_serial: Option<u32>,
    /// Registered with the kiosk's community.
    pub local: bool,
    /// Has counted at a community other than their own.
    pub visits_elsewhere: bool,
    /// Since when the office made the membership inactive.
    pub inactive_since: Option<DateTime<Utc>>,
}

/// What holds for every record of one upload.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub kiosk_community: &'a Community,
    pub received_at: DateTime<Utc>,
    pub policy: &'a Policy,
    pub grace: Duration,
    /// The kiosk's clock offset, bounded, and whether it was within bounds.
    pub offset: Duration,
    pub clock_trusted: bool,
    pub manual_limit: u32,
}

/// What happened to a record, and the scan time the server settled on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub status: RecordStatus,
    pub reason: Option<Reason>,
    pub corrected_at: DateTime<Utc>,
}

/// The card's revocation and replacement, as the roster says.
struct Known {
    current: Option<u32>,
    revoked: bool,
}

impl CardStatus for Known {
    fn current_serial(&self, _: &MemberId) -> Option<u32> {
        self.current
    }
    fn is_revoked(&self, _: u32) -> bool {
        self.revoked
    }
}

/// Decides a record never seen before. `decoded` is its card after the
/// signature check (done outside the transaction, as it is the costly part).
pub fn decide<L: Lookup>(
    record: &AttendanceRecord,
    member: Option<&MemberFacts<L::Member>>,
    activity: Option<(&L::Activity, &Activity)>,
    decoded: Option<Result<Card, CardRefusal>>,
    arrival: &Arrival<'_>,
    lookup: &mut L,
) -> Result<Verdict> {
    if bounds::check_time("scanned_at", record.scanned_at).is_err() {
        return Ok(Verdict {
            status: RecordStatus::Rejected,
            reason: Some(Reason::InvalidTime),
            corrected_at: record.scanned_at,
        });
    }
    let corrected_at = record
        .scanned_at
        .checked_add_signed(arrival.offset)
        .unwrap_or(record.scanned_at);
    if let Err(reason) = super::staff::check_name(record.entered_by.as_deref()) {
        return Ok(Verdict {
            status: RecordStatus::Rejected,
            reason: Some(reason),
            corrected_at,
        });
    }
    let decoded = match (record.card.as_deref(), decoded) {
        (Some(text), _) if text.chars().count() > MAX_CARD_CHARS => {
            Some(Err(CardRefusal::Malformed))
        }
        (_, decoded) => decoded,
    };
    let card = match decoded {
        Some(Ok(card)) => {
            let known = Known {
                current: member.and_then(|m| m.card_serial),
                revoked: lookup.is_revoked(card.serial)?,
            };
            let today = corrected_at
                .with_timezone(&arrival.policy.time_zone)
                .date_naive();
            Some(card::check(card, today, &known))
        }
        other => other,
    };
    let (mut already_attended, mut attended_elsewhere, mut manual_so_far) = (false, false, 0);
    if let (Some(member), Some((handle, activity))) = (member, activity) {
        already_attended = lookup.already_attended(&member.handle, handle)?;
        // One card counted at two communities at once needs a member who
        // counts away from home: this record, or an earlier one.
        if !already_attended && (!member.local || member.visits_elsewhere) {
            attended_elsewhere =
                lookup.attended_elsewhere(&member.handle, activity.starts_at, activity.ends_at)?;
        }
        if record.method == Method::Manual {
            manual_so_far = lookup.manual_so_far(handle)?;
        }
    }
    if member
        .and_then(|m| m.inactive_since)
        .is_some_and(|since| corrected_at >= since)
    {
        return Ok(Verdict {
            status: RecordStatus::Rejected,
            reason: Some(Reason::MemberInactive),
            corrected_at,
        });
    }
    let (status, reason) = judge(&Facts {
        record,
        kiosk_community: arrival.kiosk_community,
        member: match member {
            None => Membership::Unknown,
            Some(m) if m.local => Membership::Local,
            Some(_) => Membership::Visitor,
        },
        activity: activity.map(|(_, a)| a),
        card: card.as_ref(),
        corrected_at,
        received_at: arrival.received_at,
        clock_trusted: arrival.clock_trusted,
        grace: arrival.grace,
        already_attended,
        attended_elsewhere,
        manual_so_far,
        manual_limit: arrival.manual_limit,
    });
    Ok(Verdict {
        status,
        reason,
        corrected_at,
    })
}

/// A record for an activity the office cancelled does not count: what
/// would have counted is held for review instead (the office may accept it,
/// e.g. when the activity took place after all).
pub fn for_cancelled(verdict: Verdict, cancelled: bool) -> Verdict {
    if cancelled && verdict.status.counts() {
        Verdict {
            status: RecordStatus::Held,
            reason: Some(Reason::ActivityCancelled),
            ..verdict
        }
    } else {
        verdict
    }
}

#[cfg(test)]
mod tests {
    use baodao_shared::ActivityKind;
    use baodao_shared::card::{CardSigner, Keyring};
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    /// Answers from fixed values, and remembers what was asked.
    #[derive(Default)]
    struct Answers {
        revoked: bool,
        already: bool,
        elsewhere: bool,
        manual: u32,
        asked: Vec<&'static str>,
    }

    impl Lookup for Answers {
        type Member = ();
        type Activity = ();
        fn is_revoked(&mut self, _: u32) -> Result<bool> {
            self.asked.push("revoked");
            Ok(self.revoked)
        }
        fn already_attended(&mut self, (): &(), (): &()) -> Result<bool> {
            self.asked.push("already");
            Ok(self.already)
        }
        fn attended_elsewhere(
            &mut self,
            (): &(),
            _: DateTime<Utc>,
            _: DateTime<Utc>,
        ) -> Result<bool> {
            self.asked.push("elsewhere");
            Ok(self.elsewhere)
        }
        fn manual_so_far(&mut self, (): &()) -> Result<u32> {
            self.asked.push("manual");
            Ok(self.manual)
        }
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap()
    }

    fn activity() -> Activity {
        Activity {
            activity_id: "A1".parse().unwrap(),
            title: "黨課".into(),
            kind: ActivityKind::PartyLesson,
            community: "C1".parse().unwrap(),
            starts_at: at(1, 0),
            ends_at: at(3, 0),
        }
    }

    fn record(method: Method, card: Option<String>) -> AttendanceRecord {
        AttendanceRecord {
            record_id: uuid::Uuid::now_v7(),
            member_id: "M1".parse().unwrap(),
            activity_id: "A1".parse().unwrap(),
            scanned_at: at(1, 30),
            method,
            card,
            entered_by: None,
        }
    }

    fn member(local: bool, visits_elsewhere: bool) -> MemberFacts<()> {
        MemberFacts {
            handle: (),
            card_serial: Some(1),
            local,
            visits_elsewhere,
            inactive_since: None,
        }
    }

    fn run(
        record: &AttendanceRecord,
        member: Option<&MemberFacts<()>>,
        offset: Duration,
        answers: &mut Answers,
    ) -> Verdict {
        let community: Community = "C1".parse().unwrap();
        let policy = Policy::default();
        let activity = activity();
        let signer = CardSigner::from_seed(1, &[5; 32]);
        let keyring = Keyring::new([&signer.public_key()]).unwrap();
        let decoded = record
            .card
            .as_deref()
            .map(|text| card::decode(text, &keyring));
        decide(
            record,
            member,
            Some((&(), &activity)),
            decoded,
            &Arrival {
                kiosk_community: &community,
                received_at: at(1, 31),
                policy: &policy,
                grace: Duration::hours(2),
                offset,
                clock_trusted: true,
                manual_limit: 3,
            },
            answers,
        )
        .unwrap()
    }

    fn signed(serial: u32) -> String {
        CardSigner::from_seed(1, &[5; 32])
            .sign(
                &"M1".parse().unwrap(),
                serial,
                NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            )
            .unwrap()
    }

    #[test]
    fn a_local_card_check_in_asks_only_what_it_needs() {
        let mut answers = Answers::default();
        let verdict = run(
            &record(Method::Qr, Some(signed(1))),
            Some(&member(true, false)),
            Duration::zero(),
            &mut answers,
        );
        assert_eq!(
            (verdict.status, verdict.reason),
            (RecordStatus::Accepted, None)
        );
        assert_eq!(answers.asked, vec!["revoked", "already"]);
    }

    #[test]
    fn visitors_and_members_who_visit_are_checked_elsewhere() {
        for who in [member(false, false), member(true, true)] {
            let mut answers = Answers {
                elsewhere: true,
                ..Answers::default()
            };
            let verdict = run(
                &record(Method::Qr, Some(signed(1))),
                Some(&who),
                Duration::zero(),
                &mut answers,
            );
            assert_eq!(verdict.reason, Some(Reason::AttendedElsewhere));
            assert_eq!(answers.asked, vec!["revoked", "already", "elsewhere"]);
        }
    }

    #[test]
    fn manual_check_ins_are_counted_and_times_corrected() {
        let mut answers = Answers {
            manual: 3,
            ..Answers::default()
        };
        let verdict = run(
            &record(Method::Manual, None),
            Some(&member(true, false)),
            Duration::minutes(-10),
            &mut answers,
        );
        assert_eq!(verdict.reason, Some(Reason::ManualLimit));
        assert_eq!(verdict.corrected_at, at(1, 20));
        assert_eq!(answers.asked, vec!["already", "manual"]);
    }

    #[test]
    fn edge_times_and_oversized_cards_are_refused_before_any_question() {
        let mut answers = Answers::default();
        let mut edge = record(Method::Qr, Some(signed(1)));
        edge.scanned_at = DateTime::<Utc>::MIN_UTC;
        let verdict = run(
            &edge,
            Some(&member(true, false)),
            Duration::zero(),
            &mut answers,
        );
        assert_eq!(
            (verdict.status, verdict.reason),
            (RecordStatus::Rejected, Some(Reason::InvalidTime))
        );
        assert!(answers.asked.is_empty());
        let huge = record(
            Method::Qr,
            Some(format!("{}{}", signed(1), "A".repeat(300))),
        );
        let verdict = run(
            &huge,
            Some(&member(true, false)),
            Duration::zero(),
            &mut answers,
        );
        assert_eq!(verdict.reason, Some(Reason::CardMalformed));
        let mut revoked = Answers {
            revoked: true,
            ..Answers::default()
        };
        let verdict = run(
            &record(Method::Qr, Some(signed(1))),
            Some(&member(true, false)),
            Duration::zero(),
            &mut revoked,
        );
        assert_eq!(
            (verdict.status, verdict.reason),
            (RecordStatus::Held, Some(Reason::CardRevoked))
        );
    }
}

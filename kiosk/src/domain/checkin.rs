//! Whether a scanned card (or a member picked by staff) checks in, and to
//! which activity.

use baodao_shared::card;
use baodao_shared::protocol::Reason as Shared;
use baodao_shared::protocol::RosterEntry;
use baodao_shared::{Activity, ActivityId, MemberId};
use chrono::{DateTime, Duration, Utc};

use super::offline::OfflineData;
use crate::config::ActivityChoice;
use crate::outcome::{KioskReason, Reason};

/// How long before its start and after its end an activity takes
/// check-ins when the server does not say (an older server).
pub const OPEN_GRACE_MINUTES: u32 = 30;

/// Who is checking in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented<'a> {
    /// A card's text, read by the camera or typed by a scanner.
    Card(&'a str),
    /// Picked by staff, without a card.
    Member(&'a MemberId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    CheckIn {
        member: RosterEntry,
        activity: Activity,
    },
    Already {
        member: RosterEntry,
        activity: Activity,
        first_at: DateTime<Utc>,
    },
    Refused {
        reason: Reason,
        /// The member, when the card names one the roster knows.
        member: Option<RosterEntry>,
    },
}

/// The activity check-ins are for at `now` (kiosk time corrected to the
/// server's clock): a staff choice, else the one open now at this
/// community; of several, the one that started last.
pub fn pick_activity<'a>(
    data: &'a OfflineData,
    now: DateTime<Utc>,
    choice: &ActivityChoice,
) -> Option<&'a Activity> {
    match choice {
        ActivityChoice::Fixed(id) => data.activities.iter().find(|a| &a.activity_id == id),
        ActivityChoice::Auto => {
            let grace = data.grace;
            data.activities
                .iter()
                .filter(|a| a.community == data.community && a.is_open_at(now, grace))
                .max_by_key(|a| {
                    (
                        a.is_open_at(now, Duration::zero()),
                        a.starts_at,
                        a.activity_id.clone(),
                    )
                })
        }
    }
}

/// Decides a check-in. `first_check_in` says when the member first checked
/// in at an activity, if they did.
pub fn decide(
    presented: &Presented<'_>,
    now: DateTime<Utc>,
    data: &OfflineData,
    choice: &ActivityChoice,
    first_check_in: impl FnOnce(&MemberId, &ActivityId) -> Option<DateTime<Utc>>,
) -> Decision {
    let (member_id, visiting_card) = match presented {
        Presented::Member(id) => ((*id).clone(), None),
        Presented::Card(text) => {
            let today = now.with_timezone(&data.policy.time_zone).date_naive();
            match card::verify(text, &data.keyring, today, data) {
                Ok(card) => (card.member_id.clone(), Some(card)),
                Err(refusal) => {
                    let member = refusal
                        .card()
                        .and_then(|c| data.roster.get(&c.member_id))
                        .cloned();
                    return Decision::Refused {
                        reason: refusal.reason().into(),
                        member,
                    };
                }
            }
        }
    };
    let member = match (data.roster.get(&member_id), visiting_card) {
        (Some(member), _) => member.clone(),
        // A valid card of a member the roster does not carry: a member of
        // another community (a paired agency's) visiting. The snapshot
        // holds only this community's members, and the signature, expiry
        // and revocation list vouch for the card; the server decides the rest.
        (None, Some(card)) => RosterEntry {
            name: card.member_id.to_string(),
            member_id: card.member_id,
            organization: String::new(),
            community: data.community.clone(),
            card_serial: Some(card.serial),
            inactive: false,
        },
        (None, None) => {
            return Decision::Refused {
                reason: KioskReason::NotRegisteredHere.into(),
                member: None,
            };
        }
    };
    if member.inactive {
        return Decision::Refused {
            reason: Shared::MemberInactive.into(),
            member: Some(member),
        };
    }
    let Some(activity) = pick_activity(data, now, choice).cloned() else {
        return Decision::Refused {
            reason: KioskReason::NoActivity.into(),
            member: Some(member),
        };
    };
    match first_check_in(&member.member_id, &activity.activity_id) {
        Some(first_at) => Decision::Already {
            member,
            activity,
            first_at,
        },
        None => Decision::CheckIn { member, activity },
    }
}

#[cfg(test)]
mod tests {
    use baodao_shared::ActivityKind;
    use baodao_shared::card::{CardSigner, Keyring};
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap()
    }

    fn activity(id: &str, community: &str, start_h: i64, end_h: i64) -> Activity {
        Activity {
            activity_id: id.parse().unwrap(),
            title: "黨課".into(),
            kind: ActivityKind::PartyLesson,
            community: community.parse().unwrap(),
            starts_at: now() + Duration::hours(start_h),
            ends_at: now() + Duration::hours(end_h),
        }
    }

    fn data(signer: &CardSigner) -> OfflineData {
        let mut data = OfflineData::empty("C01".parse().unwrap());
        data.keyring = Keyring::new([&signer.public_key()]).unwrap();
        for (id, serial) in [("M1", 1), ("M2", 3)] {
            data.roster.insert(
                id.parse().unwrap(),
                RosterEntry {
                    member_id: id.parse().unwrap(),
                    name: "張偉".into(),
                    organization: "局".into(),
                    community: "C01".parse().unwrap(),
                    card_serial: Some(serial),
                    inactive: false,
                },
            );
        }
        data.revoked.insert(2);
        data.activities = vec![activity("A1", "C01", -1, 1), activity("B1", "C02", -1, 1)];
        data
    }

    fn card(signer: &CardSigner, member: &str, serial: u32, expires: NaiveDate) -> String {
        signer
            .sign(&member.parse().unwrap(), serial, expires)
            .unwrap()
    }

    fn refusal(decision: &Decision) -> Option<Reason> {
        match decision {
            Decision::Refused { reason, .. } => Some(*reason),
            _ => None,
        }
    }

    #[test]
    fn a_visiting_members_valid_card_checks_in_and_a_name_alone_does_not() {
        let signer = CardSigner::from_seed(1, &[1; 32]);
        let data = data(&signer);
        let later = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let visitor = card(&signer, "M3", 9, later);
        match decide(
            &Presented::Card(&visitor),
            now(),
            &data,
            &ActivityChoice::Auto,
            |_, _| None,
        ) {
            Decision::CheckIn { member, .. } => {
                assert_eq!(member.member_id.as_str(), "M3");
                assert_eq!(member.card_serial, Some(9));
            }
            other => panic!("{other:?}"),
        }
        let mut revoked = data.clone();
        revoked.revoked.insert(9);
        let d = decide(
            &Presented::Card(&visitor),
            now(),
            &revoked,
            &ActivityChoice::Auto,
            |_, _| None,
        );
        assert_eq!(refusal(&d), Some(Shared::CardRevoked.into()));
        let m3: MemberId = "M3".parse().unwrap();
        let d = decide(
            &Presented::Member(&m3),
            now(),
            &data,
            &ActivityChoice::Auto,
            |_, _| None,
        );
        assert_eq!(refusal(&d), Some(KioskReason::NotRegisteredHere.into()));
        // A member the office made inactive: refused, named, sent to staff.
        let mut inactive = data.clone();
        inactive
            .roster
            .get_mut(&"M1".parse().unwrap())
            .unwrap()
            .inactive = true;
        let d = decide(
            &Presented::Card(&card(&signer, "M1", 1, later)),
            now(),
            &inactive,
            &ActivityChoice::Auto,
            |_, _| None,
        );
        assert_eq!(refusal(&d), Some(Shared::MemberInactive.into()));
    }

    #[test]
    fn every_refusal_reason() {
        let signer = CardSigner::from_seed(1, &[1; 32]);
        let forger = CardSigner::from_seed(1, &[2; 32]);
        let stranger = CardSigner::from_seed(7, &[3; 32]);
        let data = data(&signer);
        let later = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let past = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let good = card(&signer, "M1", 1, later);
        let cases = [
            ("https://u.wechat.com/abc".to_owned(), Shared::NotBaodaoCard),
            (good[..40].to_owned(), Shared::CardMalformed),
            (card(&forger, "M1", 1, later), Shared::BadCardSignature),
            (card(&stranger, "M1", 1, later), Shared::CardUnknownKey),
            (card(&signer, "M1", 1, past), Shared::CardExpired),
            (card(&signer, "M2", 2, later), Shared::CardReplaced),
        ];
        for (text, expected) in cases {
            let d = decide(
                &Presented::Card(&text),
                now(),
                &data,
                &ActivityChoice::Auto,
                |_, _| None,
            );
            assert_eq!(refusal(&d), Some(expected.into()), "{text}");
        }
        let mut revoked = data.clone();
        revoked.revoked.insert(1);
        let d = decide(
            &Presented::Card(&good),
            now(),
            &revoked,
            &ActivityChoice::Auto,
            |_, _| None,
        );
        assert_eq!(refusal(&d), Some(Shared::CardRevoked.into()));

        let tomorrow = now() + Duration::days(1);
        let d = decide(
            &Presented::Card(&good),
            tomorrow,
            &data,
            &ActivityChoice::Auto,
            |_, _| None,
        );
        assert_eq!(refusal(&d), Some(KioskReason::NoActivity.into()));
        if let Decision::Refused { member, .. } = d {
            assert_eq!(
                member.unwrap().member_id.as_str(),
                "M1",
                "the member is named in the refusal"
            );
        }
    }

    #[test]
    fn checks_in_then_says_already() {
        let signer = CardSigner::from_seed(1, &[1; 32]);
        let data = data(&signer);
        let good = card(
            &signer,
            "M1",
            1,
            NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        );
        let d = decide(
            &Presented::Card(&good),
            now(),
            &data,
            &ActivityChoice::Auto,
            |_, _| None,
        );
        assert!(
            matches!(&d, Decision::CheckIn { activity, .. } if activity.activity_id.as_str() == "A1")
        );
        let first = now() - Duration::minutes(5);
        let d = decide(
            &Presented::Card(&good),
            now(),
            &data,
            &ActivityChoice::Auto,
            |_, _| Some(first),
        );
        assert!(matches!(d, Decision::Already { first_at, .. } if first_at == first));
        let m1 = "M1".parse().unwrap();
        let d = decide(
            &Presented::Member(&m1),
            now(),
            &data,
            &ActivityChoice::Auto,
            |_, _| None,
        );
        assert!(matches!(d, Decision::CheckIn { .. }));
    }

    #[test]
    fn picks_the_activity_open_now_or_the_staff_choice() {
        let signer = CardSigner::from_seed(1, &[1; 32]);
        let mut data = data(&signer);
        data.activities.push(activity("A2", "C01", 0, 3));
        data.activities.push(activity("A3", "C01", 5, 6));
        let auto =
            pick_activity(&data, now() + Duration::minutes(1), &ActivityChoice::Auto).unwrap();
        assert_eq!(
            auto.activity_id.as_str(),
            "A2",
            "of two open, the one that started last"
        );
        let early = pick_activity(
            &data,
            now() + Duration::minutes(4 * 60 + 40),
            &ActivityChoice::Auto,
        )
        .unwrap();
        assert_eq!(
            early.activity_id.as_str(),
            "A3",
            "open 30 minutes before its start"
        );
        assert!(pick_activity(&data, now() + Duration::hours(8), &ActivityChoice::Auto).is_none());
        // The server's grace, from the snapshot, moves both edges.
        let late = now() + Duration::minutes(6 * 60 + 90);
        assert!(pick_activity(&data, late, &ActivityChoice::Auto).is_none());
        data.grace = Duration::minutes(120);
        assert_eq!(
            pick_activity(&data, late, &ActivityChoice::Auto)
                .unwrap()
                .activity_id
                .as_str(),
            "A3"
        );
        data.grace = Duration::zero();
        assert!(
            pick_activity(
                &data,
                now() + Duration::minutes(4 * 60 + 40),
                &ActivityChoice::Auto
            )
            .is_none()
        );
        let fixed = ActivityChoice::Fixed("A3".parse().unwrap());
        assert_eq!(
            pick_activity(&data, now(), &fixed)
                .unwrap()
                .activity_id
                .as_str(),
            "A3"
        );
        let other = ActivityChoice::Fixed("Z9".parse().unwrap());
        assert!(pick_activity(&data, now(), &other).is_none());
    }
}

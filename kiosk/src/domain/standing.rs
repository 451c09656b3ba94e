//! The N/12 a member sees after checking in: the server's count for the
//! activity's year plus the check-ins this kiosk has not uploaded yet,
//! through the one points rule (`baodao_shared::points`).

use baodao_shared::{Activity, ActivityId, MemberId};

use super::offline::OfflineData;

/// The member's points in the year `activity` counts for (its start in the
/// policy's time zone, as the server counts it; not the kiosk's UTC year,
/// which is a day behind on the first morning of January in Shanghai).
/// The server's count is the last snapshot's; `unsynced` the activities of
/// the member's check-ins not yet uploaded (this one included).
pub fn points(
    data: &OfflineData,
    member: &MemberId,
    activity: &Activity,
    unsynced: &[ActivityId],
) -> u32 {
    let year = data.policy.year_of(activity.starts_at);
    let counted = data
        .points
        .get(member)
        .filter(|p| p.year == year)
        .map_or(0, |p| p.attended);
    let pending = unsynced
        .iter()
        .filter(|id| {
            // An activity the snapshot no longer lists is counted: it was
            // open when the member checked in.
            data.activities
                .iter()
                .find(|a| &a.activity_id == *id)
                .is_none_or(|a| data.policy.year_of(a.starts_at) == year)
        })
        .count();
    data.policy
        .points_for(counted.saturating_add(u32::try_from(pending).unwrap_or(u32::MAX)))
}

#[cfg(test)]
mod tests {
    use baodao_shared::ActivityKind;
    use baodao_shared::protocol::MemberPoints;
    use chrono::{TimeZone, Utc};

    use super::*;

    fn activity(id: &str, starts_at: chrono::DateTime<Utc>) -> Activity {
        Activity {
            activity_id: id.parse().unwrap(),
            title: id.into(),
            kind: ActivityKind::ActivityDay,
            community: "C01".parse().unwrap(),
            starts_at,
            ends_at: starts_at + chrono::Duration::hours(2),
        }
    }

    #[test]
    fn new_years_morning_in_shanghai_counts_for_the_new_year() {
        // 1 January 2027, 02:00 in Shanghai: still 31 December in UTC.
        let new_year = activity("NY", Utc.with_ymd_and_hms(2026, 12, 31, 18, 0, 0).unwrap());
        let december = activity("DEC", Utc.with_ymd_and_hms(2026, 12, 20, 2, 0, 0).unwrap());
        let mut data = OfflineData::empty("C01".parse().unwrap());
        data.activities = vec![december.clone(), new_year.clone()];
        let member: MemberId = "M001".parse().unwrap();
        // The member reached the cap in 2026; the snapshot still says so.
        let last_year = MemberPoints {
            member_id: member.clone(),
            year: 2026,
            points: 12,
            attended: 14,
            cap: 12,
        };
        data.points.insert(member.clone(), last_year.clone());
        let ids = |a: &[&Activity]| a.iter().map(|a| a.activity_id.clone()).collect::<Vec<_>>();
        // The first activity of 2027: 1 point, not 12.
        assert_eq!(points(&data, &member, &new_year, &ids(&[&new_year])), 1);
        // A December check-in still waiting to upload counts for 2026 only.
        assert_eq!(
            points(&data, &member, &new_year, &ids(&[&new_year, &december])),
            1
        );
        assert_eq!(points(&data, &member, &december, &ids(&[&december])), 12);
        // The server's 2027 count, once it has one, plus what waits.
        let this_year = MemberPoints {
            year: 2027,
            points: 3,
            attended: 3,
            ..last_year
        };
        data.points.insert(member.clone(), this_year);
        assert_eq!(points(&data, &member, &new_year, &ids(&[&new_year])), 4);
        let stranger: MemberId = "M999".parse().unwrap();
        assert_eq!(points(&data, &stranger, &new_year, &[]), 0);
    }
}

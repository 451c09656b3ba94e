//! The points rule (積分制管理): each distinct activity a member attends earns
//! points, capped per calendar year. The year is that of the activity's start
//! in the policy's time zone, so an evening activity on 31 December counts for
//! the year it was held in, wherever the server runs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::Error;

/// The office's scoring policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Policy {
    pub points_per_activity: u32,
    pub annual_cap: u32,
    /// IANA name, e.g. `Asia/Shanghai`.
    #[serde(with = "tz_name")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "Asia/Shanghai"))]
    pub time_zone: Tz,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            points_per_activity: 1,
            annual_cap: 12,
            time_zone: chrono_tz::Asia::Shanghai,
        }
    }
}

impl Policy {
    /// The calendar year an activity starting at `starts_at` counts for.
    pub fn year_of(&self, starts_at: DateTime<Utc>) -> i32 {
        starts_at.with_timezone(&self.time_zone).year()
    }

    /// Points for `attended` distinct activities in one year.
    pub fn points_for(&self, attended: u32) -> u32 {
        attended
            .saturating_mul(self.points_per_activity)
            .min(self.annual_cap)
    }
}

/// Parses an IANA time zone name.
pub fn parse_time_zone(name: &str) -> Result<Tz, Error> {
    name.parse::<Tz>()
        .map_err(|_| Error::UnknownTimeZone(name.chars().take(64).collect()))
}

mod tz_name {
    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer};

    // serde's `with` dictates the reference.
    #[allow(clippy::trivially_copy_pass_by_ref)]
    pub fn serialize<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(d)?;
        super::parse_time_zone(&name).map_err(serde::de::Error::custom)
    }
}

/// One member's standing in one year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberYear {
    /// Distinct activities attended, before the cap.
    pub attended: u32,
    /// Points after the cap.
    pub points: u32,
}

/// One attendance as the rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance<M, A> {
    pub member: M,
    pub activity: A,
    pub voided: bool,
}

/// Applies the rule to every attendance record.
///
/// Repeat records of one member at one activity count once, voided records
/// count nothing, and records of activities `activity_start` does not know
/// count nothing. The result is ordered by member, then year, so it does not
/// depend on the order of `records`.
pub fn tally<M, A>(
    policy: &Policy,
    records: impl IntoIterator<Item = Attendance<M, A>>,
    mut activity_start: impl FnMut(&A) -> Option<DateTime<Utc>>,
) -> BTreeMap<(M, i32), MemberYear>
where
    M: Ord + Hash + Clone,
    A: Hash + Eq + Clone,
{
    let distinct: HashSet<(M, A)> = records
        .into_iter()
        .filter(|record| !record.voided)
        .map(|record| (record.member, record.activity))
        .collect();

    let mut years: HashMap<A, Option<i32>> = HashMap::new();
    let mut out: BTreeMap<(M, i32), MemberYear> = BTreeMap::new();
    for (member, activity) in distinct {
        let year = *years
            .entry(activity)
            .or_insert_with_key(|activity| activity_start(activity).map(|at| policy.year_of(at)));
        if let Some(year) = year {
            out.entry((member, year)).or_default().attended += 1;
        }
    }
    for standing in out.values_mut() {
        standing.points = policy.points_for(standing.attended);
    }
    out
}

#[cfg(test)]
// `tally` takes `FnMut(&A) -> Option<_>`; the helpers match that shape.
#[allow(clippy::trivially_copy_pass_by_ref, clippy::unnecessary_wraps)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn attend(member: u32, activity: u32) -> Attendance<u32, u32> {
        Attendance {
            member,
            activity,
            voided: false,
        }
    }

    /// Activity `n` starts on day `n` of 2026 (UTC noon), wrapping within the year.
    fn start_2026(activity: &u32) -> Option<DateTime<Utc>> {
        Some(at(2026, 1, 1, 12, 0) + chrono::Duration::days(i64::from(*activity % 360)))
    }

    #[test]
    fn caps_at_twelve_a_year() {
        let policy = Policy::default();
        let records = (0..20).map(|activity| attend(7, activity));
        let result = tally(&policy, records, start_2026);
        assert_eq!(
            result[&(7, 2026)],
            MemberYear {
                attended: 20,
                points: 12
            }
        );
    }

    #[test]
    fn repeats_count_once_and_voids_count_nothing() {
        let policy = Policy::default();
        let records = vec![
            attend(1, 1),
            attend(1, 1),
            attend(1, 1),
            attend(1, 2),
            Attendance {
                member: 1,
                activity: 3,
                voided: true,
            },
        ];
        let result = tally(&policy, records, start_2026);
        assert_eq!(result[&(1, 2026)].points, 2);
    }

    #[test]
    fn a_void_of_one_repeat_leaves_the_other_counting() {
        let policy = Policy::default();
        let records = vec![
            Attendance {
                member: 1,
                activity: 1,
                voided: true,
            },
            attend(1, 1),
        ];
        assert_eq!(tally(&policy, records, start_2026)[&(1, 2026)].points, 1);
    }

    #[test]
    fn unknown_activities_count_nothing() {
        let policy = Policy::default();
        let result = tally(&policy, vec![attend(1, 99)], |_| None);
        assert!(result.is_empty());
    }

    #[test]
    fn the_year_is_the_local_year_of_the_start_in_shanghai() {
        let policy = Policy::default();
        // 16:30 UTC on 31 Dec 2025 is 00:30 on 1 Jan 2026 in Shanghai.
        let new_year_night = at(2025, 12, 31, 16, 30);
        // 15:30 UTC on 31 Dec 2025 is 23:30 on 31 Dec 2025 in Shanghai.
        let new_year_eve = at(2025, 12, 31, 15, 30);
        assert_eq!(policy.year_of(new_year_night), 2026);
        assert_eq!(policy.year_of(new_year_eve), 2025);
        let starts = [new_year_eve, new_year_night];
        let result = tally(&policy, vec![attend(1, 0), attend(1, 1)], |a: &u32| {
            starts.get(*a as usize).copied()
        });
        assert_eq!(result[&(1, 2025)].points, 1);
        assert_eq!(result[&(1, 2026)].points, 1);

        let utc = Policy {
            time_zone: chrono_tz::UTC,
            ..Policy::default()
        };
        assert_eq!(utc.year_of(new_year_night), 2025);
    }

    #[test]
    fn policy_values_are_honoured_and_round_trip() {
        let policy = Policy {
            points_per_activity: 2,
            annual_cap: 5,
            time_zone: chrono_tz::Asia::Taipei,
        };
        assert_eq!(policy.points_for(2), 4);
        assert_eq!(policy.points_for(3), 5);
        assert_eq!(policy.points_for(u32::MAX), 5);
        let json = serde_json::to_string(&policy).unwrap();
        assert!(json.contains("Asia/Taipei"));
        assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), policy);
        assert!(serde_json::from_str::<Policy>(&json.replace("Asia/Taipei", "Mars/Base")).is_err());
    }

    fn records_strategy() -> impl Strategy<Value = Vec<Attendance<u8, u16>>> {
        prop::collection::vec(
            (0u8..6, 0u16..40, prop::bool::weighted(0.15)).prop_map(
                |(member, activity, voided)| Attendance {
                    member,
                    activity,
                    voided,
                },
            ),
            0..200,
        )
    }

    fn start_of(activity: &u16) -> Option<DateTime<Utc>> {
        // Spread activities over two years; every seventh is unknown.
        (!activity.is_multiple_of(7))
            .then(|| at(2025, 6, 1, 0, 0) + chrono::Duration::days(i64::from(*activity) * 13))
    }

    proptest! {
        #[test]
        fn never_exceeds_the_cap(records in records_strategy(), cap in 0u32..15, per in 1u32..4) {
            let policy = Policy { points_per_activity: per, annual_cap: cap, ..Policy::default() };
            for standing in tally(&policy, records, start_of).values() {
                prop_assert!(standing.points <= cap);
                prop_assert_eq!(standing.points, (standing.attended * per).min(cap));
            }
        }

        #[test]
        fn sending_records_again_changes_nothing(records in records_strategy()) {
            let policy = Policy::default();
            let once = tally(&policy, records.clone(), start_of);
            let twice = tally(&policy, records.iter().chain(records.iter()).cloned(), start_of);
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn order_does_not_matter(records in records_strategy(), seed in any::<u64>()) {
            let policy = Policy::default();
            let mut shuffled = records.clone();
            // A deterministic shuffle driven by the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                let j = usize::try_from(state % (i as u64 + 1)).unwrap();
                shuffled.swap(i, j);
            }
            prop_assert_eq!(tally(&policy, records, start_of), tally(&policy, shuffled, start_of));
        }

        #[test]
        fn attended_counts_distinct_unvoided_known_activities(records in records_strategy()) {
            let policy = Policy::default();
            let result = tally(&policy, records.clone(), start_of);
            let mut expected: BTreeMap<(u8, i32), HashSet<u16>> = BTreeMap::new();
            for r in records.iter().filter(|r| !r.voided) {
                if let Some(start) = start_of(&r.activity) {
                    expected.entry((r.member, policy.year_of(start))).or_default().insert(r.activity);
                }
            }
            let attended: BTreeMap<(u8, i32), u32> = result.iter().map(|(k, v)| (*k, v.attended)).collect();
            let expected: BTreeMap<(u8, i32), u32> = expected.into_iter().map(|(k, v)| (k, u32::try_from(v.len()).unwrap())).collect();
            prop_assert_eq!(attended, expected);
        }
    }
}

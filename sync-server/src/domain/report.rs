//! Roll-ups of a points report: per home organisation or per community,
//! how many members, their mean, how many at 0 and at the cap, and how
//! points are distributed. The points themselves come counted by the store
//! (`shared::points` is the rule); this only groups them.

use std::collections::{BTreeMap, HashMap};

/// One group's figures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Rollup {
    /// The organisation's or community's name.
    pub group: String,
    pub members: u64,
    pub points: u64,
    pub at_zero: u64,
    pub at_cap: u64,
    /// Members with 0, 1, ... `cap` points.
    pub distribution: Vec<u64>,
}

impl Rollup {
    fn new(group: String, cap: u32) -> Self {
        Self {
            group,
            members: 0,
            points: 0,
            at_zero: 0,
            at_cap: 0,
            distribution: vec![0; cap as usize + 1],
        }
    }

    fn add(&mut self, points: u32, cap: u32) {
        let points = points.min(cap);
        self.members += 1;
        self.points += u64::from(points);
        self.at_zero += u64::from(points == 0);
        self.at_cap += u64::from(points == cap);
        self.distribution[points as usize] += 1;
    }

    fn merge(&mut self, other: &Self) {
        self.members += other.members;
        self.points += other.points;
        self.at_zero += other.at_zero;
        self.at_cap += other.at_cap;
        for (mine, theirs) in self.distribution.iter_mut().zip(&other.distribution) {
            *mine += theirs;
        }
    }

    /// Mean points a member, to one decimal.
    #[allow(clippy::cast_precision_loss)]
    pub fn mean(&self) -> f64 {
        if self.members == 0 {
            0.0
        } else {
            (self.points as f64 / self.members as f64 * 10.0).round() / 10.0
        }
    }
}

/// Groups `(group, points)` of members, by group name; points over `cap`
/// (which the store never answers) count as the cap. Sorted by group.
pub fn rollup<'a>(members: impl IntoIterator<Item = (&'a str, u32)>, cap: u32) -> Vec<Rollup> {
    let mut groups: HashMap<&str, Rollup> = HashMap::new();
    for (group, points) in members {
        groups
            .entry(group)
            .or_insert_with(|| Rollup::new(group.to_owned(), cap))
            .add(points, cap);
    }
    sorted(groups.into_values().collect())
}

/// Groups of groups: each of `groups` under the name `name` gives it
/// (communities under their district, ids under their names), leaving out
/// the groups it gives none. Sorted by the new name.
pub fn regroup(groups: &[Rollup], name: impl Fn(&str) -> Option<String>, cap: u32) -> Vec<Rollup> {
    let mut merged: HashMap<String, Rollup> = HashMap::new();
    for group in groups {
        if let Some(name) = name(&group.group) {
            merged
                .entry(name)
                .or_insert_with_key(|name| Rollup::new(name.clone(), cap))
                .merge(group);
        }
    }
    sorted(merged.into_values().collect())
}

fn sorted(mut groups: Vec<Rollup>) -> Vec<Rollup> {
    groups.sort_unstable_by(|a, b| a.group.cmp(&b.group));
    groups
}

/// Every member in one group.
pub fn overall(points: impl IntoIterator<Item = u32>, cap: u32) -> Rollup {
    let mut all = Rollup::new(String::new(), cap);
    for p in points {
        all.add(p, cap);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_count_members_zeros_caps_and_the_distribution() {
        let rows = [
            ("建設局", 0),
            ("建設局", 12),
            ("建設局", 3),
            ("財政局", 12),
            ("建設局", 40),
        ];
        let groups = rollup(rows, 12);
        assert_eq!(groups.len(), 2);
        let jian = groups.iter().find(|g| g.group == "建設局").unwrap();
        assert_eq!(
            (jian.members, jian.points, jian.at_zero, jian.at_cap),
            (4, 27, 1, 2)
        );
        assert_eq!(jian.distribution.len(), 13);
        assert_eq!(
            jian.distribution[0] + jian.distribution[3] + jian.distribution[12],
            4
        );
        assert!((jian.mean() - 6.8).abs() < 1e-9);
        let all = overall(rows.iter().map(|r| r.1), 12);
        assert_eq!((all.members, all.at_cap), (5, 3));
        assert!(overall([], 12).mean().abs() < f64::EPSILON);
    }

    #[test]
    fn regrouping_adds_groups_up_under_their_new_names() {
        let rows = [("C01", 0), ("C02", 12), ("C03", 5), ("C01", 12), ("C04", 1)];
        let communities = rollup(rows, 12);
        let district = |c: &str| match c {
            "C01" | "C02" => Some("江岸區".to_owned()),
            "C03" => Some("武昌區".to_owned()),
            _ => None,
        };
        let districts = regroup(&communities, district, 12);
        assert_eq!(
            districts
                .iter()
                .map(|g| g.group.as_str())
                .collect::<Vec<_>>(),
            ["武昌區", "江岸區"]
        );
        let jiangan = &districts[1];
        assert_eq!(
            (
                jiangan.members,
                jiangan.points,
                jiangan.at_zero,
                jiangan.at_cap
            ),
            (3, 24, 1, 2)
        );
        assert_eq!(jiangan.distribution[12], 2);
        assert_eq!(districts[0].distribution[5], 1);
        // Renaming one to one keeps every figure.
        let same = regroup(&communities, |c| Some(c.to_owned()), 12);
        assert_eq!(same, communities);
    }
}

/// How one of a member's records counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// It earned points.
    Counted,
    /// The member counted at this activity already.
    Repeat,
    /// The year's cap was reached before it.
    OverCap,
    Voided,
    Held,
    Rejected,
}

/// A record as `explain` needs it: its status, whether it was voided, its
/// activity and the activity's start.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub status: baodao_shared::protocol::RecordStatus,
    pub voided: bool,
    pub activity: &'a str,
    pub starts_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// How each of a member's records counted, in the order given (oldest
/// first): each year's distinct activities in order earn points until the
/// policy's cap (`Policy::points_for`, the one rule).
pub fn explain(entries: &[Entry<'_>], policy: &baodao_shared::Policy) -> Vec<Counted> {
    use baodao_shared::protocol::RecordStatus;
    let mut counted: Vec<(&str, i32)> = Vec::new();
    let mut per_year: BTreeMap<i32, u32> = BTreeMap::new();
    entries
        .iter()
        .map(|e| match e.status {
            _ if e.voided => Counted::Voided,
            RecordStatus::Held => Counted::Held,
            RecordStatus::Rejected | RecordStatus::AlreadyReceived | RecordStatus::Unknown => {
                Counted::Rejected
            }
            RecordStatus::Accepted | RecordStatus::Repeat => {
                let Some(year) = e.starts_at.map(|at| policy.year_of(at)) else {
                    return Counted::Rejected;
                };
                if counted.contains(&(e.activity, year)) {
                    return Counted::Repeat;
                }
                counted.push((e.activity, year));
                let n = per_year.entry(year).or_default();
                *n += 1;
                if policy.points_for(*n) > policy.points_for(*n - 1) {
                    Counted::Counted
                } else {
                    Counted::OverCap
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod explain_tests {
    use super::*;
    use baodao_shared::Policy;
    use baodao_shared::protocol::RecordStatus;
    use chrono::{TimeZone, Utc};

    #[test]
    fn the_thirteenth_activity_is_over_the_cap_and_a_second_scan_a_repeat() {
        let policy = Policy::default();
        let names: Vec<String> = (0..14).map(|i| format!("A{i}")).collect();
        let mut entries: Vec<Entry<'_>> = names
            .iter()
            .enumerate()
            .map(|(i, a)| Entry {
                status: RecordStatus::Accepted,
                voided: false,
                activity: a,
                starts_at: Some(
                    Utc.with_ymd_and_hms(2026, 3, 1 + u32::try_from(i).unwrap(), 2, 0, 0)
                        .unwrap(),
                ),
            })
            .collect();
        entries.insert(
            1,
            Entry {
                voided: true,
                ..entries[1]
            },
        );
        entries.push(Entry {
            status: RecordStatus::Repeat,
            ..entries[0]
        });
        entries.push(Entry {
            status: RecordStatus::Held,
            ..entries[0]
        });
        let how = explain(&entries, &policy);
        assert_eq!(how[0], Counted::Counted);
        assert_eq!(how[1], Counted::Voided);
        assert_eq!(how.iter().filter(|c| **c == Counted::Counted).count(), 12);
        assert_eq!(how[13], Counted::OverCap);
        assert_eq!(how[14], Counted::OverCap);
        assert_eq!(how[15], Counted::Repeat);
        assert_eq!(how[16], Counted::Held);
        // Next year starts again.
        let next = [Entry {
            starts_at: Some(Utc.with_ymd_and_hms(2027, 3, 1, 2, 0, 0).unwrap()),
            ..entries[0]
        }];
        assert_eq!(explain(&next, &policy), [Counted::Counted]);
    }
}

/// The calendar quarter around `day`: its first day and its last.
pub fn quarter_of(day: chrono::NaiveDate) -> (chrono::NaiveDate, chrono::NaiveDate) {
    use chrono::Datelike;
    let first_month = (day.month0() / 3) * 3 + 1;
    let start = chrono::NaiveDate::from_ymd_opt(day.year(), first_month, 1).unwrap_or(day);
    let end = start
        .checked_add_months(chrono::Months::new(3))
        .and_then(|d| d.pred_opt())
        .unwrap_or(day);
    (start, end)
}

#[cfg(test)]
mod quarter_tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn quarters_run_from_their_first_day_to_their_last() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            quarter_of(d(2026, 12, 1)),
            (d(2026, 10, 1), d(2026, 12, 31))
        );
        assert_eq!(quarter_of(d(2026, 1, 1)), (d(2026, 1, 1), d(2026, 3, 31)));
        assert_eq!(quarter_of(d(2024, 5, 31)), (d(2024, 4, 1), d(2024, 6, 30)));
    }
}

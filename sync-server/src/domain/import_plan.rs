//! What an import would change, worked out before anything is written
//! (`--dry-run`): each incoming row against what the database holds under
//! its key, by the same fields the import writes.

use std::collections::HashMap;

/// A row as compared: its key and its fields by name, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub fields: Vec<(&'static str, String)>,
}

/// The counts an import would report, and what differs, a line a row
/// (new rows and changed ones; unchanged ones are only counted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub changes: Vec<String>,
}

/// Compares `incoming` with `existing` (keyed the same way).
pub fn plan(existing: &[Entry], incoming: &[Entry]) -> Plan {
    let known: HashMap<&str, &Entry> = existing.iter().map(|e| (e.key.as_str(), e)).collect();
    let mut plan = Plan::default();
    for entry in incoming {
        match known.get(entry.key.as_str()) {
            None => {
                plan.added += 1;
                let values: Vec<&str> = entry.fields.iter().map(|(_, v)| v.as_str()).collect();
                plan.changes
                    .push(format!("{}: new ({})", entry.key, values.join(", ")));
            }
            Some(before) => {
                let differences: Vec<String> = entry
                    .fields
                    .iter()
                    .filter_map(|(name, after)| {
                        let was = before
                            .fields
                            .iter()
                            .find(|(n, _)| n == name)
                            .map_or("", |(_, v)| v.as_str());
                        (was != after).then(|| format!("{name} {was} → {after}"))
                    })
                    .collect();
                if differences.is_empty() {
                    plan.unchanged += 1;
                } else {
                    plan.updated += 1;
                    plan.changes
                        .push(format!("{}: {}", entry.key, differences.join("; ")));
                }
            }
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, name: &str, community: &str) -> Entry {
        Entry {
            key: key.into(),
            fields: vec![("name", name.into()), ("community", community.into())],
        }
    }

    #[test]
    fn new_changed_and_unchanged_rows_are_told_apart() {
        let existing = [entry("M1", "張偉", "C01"), entry("M2", "李娜", "C01")];
        let incoming = [
            entry("M1", "張偉", "C01"),
            entry("M2", "李娜", "C02"),
            entry("M3", "王芳", "C01"),
        ];
        let plan = plan(&existing, &incoming);
        assert_eq!((plan.added, plan.updated, plan.unchanged), (1, 1, 1));
        assert_eq!(
            plan.changes,
            vec!["M2: community C01 → C02", "M3: new (王芳, C01)"]
        );
        assert_eq!(super::plan(&[], &[]), Plan::default());
    }
}

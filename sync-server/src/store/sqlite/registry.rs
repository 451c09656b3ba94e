//! The registry of communities and organisations on SQLite.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, audit_import, parse_column};
use crate::error::Result;
use crate::store::{Change, CommunityInfo, ImportSummary, Organization, Registry};

impl Store {
    pub fn registry(&self) -> Result<Registry> {
        self.read(read_registry)
    }

    pub fn upsert_communities(
        &self,
        communities: &[CommunityInfo],
        change: &Change,
    ) -> Result<ImportSummary> {
        self.write(|tx| {
            let mut summary = ImportSummary::default();
            for c in communities {
                let existing: Option<(String, String, String)> = tx
                    .query_row(
                        "SELECT name, subdistrict, district FROM communities WHERE community_id = ?1",
                        [c.community_id.as_str()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                match existing {
                    Some((name, sub, district))
                        if name == c.name && sub == c.subdistrict && district == c.district =>
                    {
                        summary.unchanged += 1;
                        continue;
                    }
                    Some(_) => summary.updated += 1,
                    None => summary.added += 1,
                }
                tx.execute(
                    "INSERT INTO communities (community_id, name, subdistrict, district)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (community_id) DO UPDATE SET name = ?2, subdistrict = ?3, district = ?4",
                    params![c.community_id.as_str(), c.name, c.subdistrict, c.district],
                )?;
            }
            audit_import(tx, change, "communities.import", communities.len(), summary)?;
            Ok(summary)
        })
    }

    pub fn upsert_organizations(
        &self,
        organizations: &[Organization],
        change: &Change,
    ) -> Result<ImportSummary> {
        self.write(|tx| {
            let before = read_registry(tx)?;
            let seq = super::next_seq(tx)?;
            let mut summary = ImportSummary::default();
            for o in organizations {
                let old = before.organization_with_id(&o.organization_id);
                match old {
                    Some(old) if old == o => {
                        summary.unchanged += 1;
                        continue;
                    }
                    Some(old) => {
                        summary.updated += 1;
                        if old.name != o.name {
                            // Members carry the name: they follow a rename,
                            // and kiosks hear of it.
                            tx.execute(
                                "UPDATE members SET organization = ?2, seq = ?3 WHERE organization = ?1",
                                params![old.name, o.name, seq],
                            )?;
                        }
                    }
                    None => summary.added += 1,
                }
                tx.execute(
                    "INSERT INTO organizations (organization_id, name) VALUES (?1, ?2)
                     ON CONFLICT (organization_id) DO UPDATE SET name = ?2",
                    params![o.organization_id, o.name],
                )?;
                tx.execute(
                    "DELETE FROM pairings WHERE organization_id = ?1",
                    [&o.organization_id],
                )?;
                for c in &o.communities {
                    tx.execute(
                        "INSERT INTO pairings (organization_id, community_id) VALUES (?1, ?2)",
                        params![o.organization_id, c.as_str()],
                    )?;
                }
            }
            audit_import(tx, change, "organizations.import", organizations.len(), summary)?;
            Ok(summary)
        })
    }
}

pub(super) fn read_registry(tx: &Transaction<'_>) -> Result<Registry> {
    let communities = tx
        .prepare_cached(
            "SELECT community_id, name, subdistrict, district FROM communities ORDER BY community_id",
        )?
        .query_map([], |r| {
            Ok(CommunityInfo {
                community_id: parse_column(0, &r.get::<_, String>(0)?)?,
                name: r.get(1)?,
                subdistrict: r.get(2)?,
                district: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let organizations = tx
        .prepare_cached("SELECT organization_id, name FROM organizations ORDER BY organization_id")?
        .query_map([], |r| {
            Ok(Organization {
                organization_id: r.get(0)?,
                name: r.get(1)?,
                communities: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let pairs = tx
        .prepare_cached(
            "SELECT organization_id, community_id FROM pairings ORDER BY organization_id, community_id",
        )?
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, parse_column(1, &r.get::<_, String>(1)?)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Registry::new(communities, organizations, pairs))
}

/// A community's registered name.
pub(super) fn community_name(tx: &Transaction<'_>, community: &str) -> Result<Option<String>> {
    Ok(tx
        .prepare_cached("SELECT name FROM communities WHERE community_id = ?1")?
        .query_row([community], |r| r.get(0))
        .optional()?)
}

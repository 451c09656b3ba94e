//! The registry of communities and organisations on PostgreSQL.

use deadpool_postgres::{GenericClient, Object};

use super::admin::audit_change;
use super::{XID, parse};
use crate::error::Result;
use crate::store::{Change, CommunityInfo, ImportSummary, Organization, Registry};

pub(super) async fn registry(client: &impl GenericClient) -> Result<Registry> {
    let communities = client
        .query(
            "SELECT community_id, name, subdistrict, district FROM communities ORDER BY community_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(CommunityInfo {
                community_id: parse("community_id", r.get(0))?,
                name: r.get(1),
                subdistrict: r.get(2),
                district: r.get(3),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let organizations: Vec<Organization> = client
        .query(
            "SELECT organization_id, name FROM organizations ORDER BY organization_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| Organization {
            organization_id: r.get(0),
            name: r.get(1),
            communities: Vec::new(),
        })
        .collect();
    let pairs = client
        .query(
            "SELECT organization_id, community_id FROM pairings ORDER BY organization_id, community_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| Ok((r.get::<_, String>(0), parse("community_id", r.get(1))?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Registry::new(communities, organizations, pairs))
}

fn summary_line(rows: usize, summary: ImportSummary) -> (String, String) {
    (format!("{rows} rows"), summary.to_string())
}

pub(super) async fn upsert_communities(
    client: &mut Object,
    communities: &[CommunityInfo],
    change: &Change,
) -> Result<ImportSummary> {
    let tx = client.transaction().await?;
    let mut summary = ImportSummary::default();
    for c in communities {
        let existing = tx
            .query_opt(
                "SELECT name, subdistrict, district FROM communities WHERE community_id = $1",
                &[&c.community_id.as_str()],
            )
            .await?;
        match existing {
            Some(r)
                if r.get::<_, &str>(0) == c.name
                    && r.get::<_, &str>(1) == c.subdistrict
                    && r.get::<_, &str>(2) == c.district =>
            {
                summary.unchanged += 1;
                continue;
            }
            Some(_) => summary.updated += 1,
            None => summary.added += 1,
        }
        tx.execute(
            "INSERT INTO communities (community_id, name, subdistrict, district)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (community_id) DO UPDATE SET name = $2, subdistrict = $3, district = $4",
            &[
                &c.community_id.as_str(),
                &c.name,
                &c.subdistrict,
                &c.district,
            ],
        )
        .await?;
    }
    let (subject, after) = summary_line(communities.len(), summary);
    audit_change(
        &*tx,
        change,
        "communities.import",
        &subject,
        (None, Some(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

pub(super) async fn upsert_organizations(
    client: &mut Object,
    organizations: &[Organization],
    change: &Change,
) -> Result<ImportSummary> {
    let tx = client.transaction().await?;
    let before = registry(&tx).await?;
    let mut summary = ImportSummary::default();
    for o in organizations {
        match before.organization_with_id(&o.organization_id) {
            Some(old) if old == o => {
                summary.unchanged += 1;
                continue;
            }
            Some(old) => {
                summary.updated += 1;
                if old.name != o.name {
                    // Members carry the name: they follow a rename, and
                    // kiosks hear of it.
                    tx.execute(
                        &format!(
                            "UPDATE members SET organization = $2, seq = {XID} WHERE organization = $1"
                        ),
                        &[&old.name, &o.name],
                    )
                    .await?;
                }
            }
            None => summary.added += 1,
        }
        tx.execute(
            "INSERT INTO organizations (organization_id, name) VALUES ($1, $2)
             ON CONFLICT (organization_id) DO UPDATE SET name = $2",
            &[&o.organization_id, &o.name],
        )
        .await?;
        tx.execute(
            "DELETE FROM pairings WHERE organization_id = $1",
            &[&o.organization_id],
        )
        .await?;
        for c in &o.communities {
            tx.execute(
                "INSERT INTO pairings (organization_id, community_id) VALUES ($1, $2)",
                &[&o.organization_id, &c.as_str()],
            )
            .await?;
        }
    }
    let (subject, after) = summary_line(organizations.len(), summary);
    audit_change(
        &*tx,
        change,
        "organizations.import",
        &subject,
        (None, Some(&after)),
    )
    .await?;
    tx.commit().await?;
    Ok(summary)
}

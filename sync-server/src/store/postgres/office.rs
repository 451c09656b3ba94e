//! Office users, their tokens, the review of held and refused records, and
//! the audit log, on PostgreSQL.

use baodao_shared::protocol::{Reason, RecordStatus};
use baodao_shared::{ActivityId, Community, MemberId};
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Object};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{XID, from_ms, to_ms};
use crate::domain::office::{
    self, Decision, OfficeUser, Role, communities_text, parse_communities,
};
use crate::domain::token::hash_token;
use crate::error::{Error, Result};
use crate::store::{AuditEntry, MemberRecord, PeriodAttendance, ReviewItem};

const REVIEW_COLUMNS: &str =
    "a.record_id, a.member_id, a.activity_id, a.community, a.kiosk_id, a.method, a.status,
     a.reason, a.scanned_at, a.corrected_at, a.received_at, act.title, act.starts_at, act.ends_at";

/// Each record with its activity, when known (`a`, `act`).
const WITH_ACTIVITY: &str = "LEFT JOIN activities act ON act.activity_id = a.activity_id";

pub(super) async fn add_office_user(
    client: &Object,
    user: &OfficeUser,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let inserted = client
        .execute(
            "INSERT INTO office_users (username, password_hash, role, communities, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING",
            &[
                &user.username,
                &password_hash,
                &user.role.code(),
                &communities_text(&user.communities),
                &to_ms(now),
            ],
        )
        .await?;
    if inserted == 0 {
        return Err(Error::Conflict(format!("user {} exists", user.username)));
    }
    Ok(())
}

pub(super) async fn add_office_token(
    client: &Object,
    username: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let inserted = client
        .execute(
            "INSERT INTO office_tokens (token_hash, user_id, created_at)
             SELECT $1, user_id, $3 FROM office_users WHERE username = $2",
            &[&token_hash, &username, &to_ms(now)],
        )
        .await?;
    if inserted == 0 {
        return Err(Error::NotFound(format!("user {username}")));
    }
    Ok(())
}

pub(super) async fn revoke_office_tokens(
    client: &Object,
    username: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let user = client
        .query_opt(
            "SELECT user_id FROM office_users WHERE username = $1",
            &[&username],
        )
        .await?
        .ok_or_else(|| Error::NotFound(format!("user {username}")))?
        .get::<_, i64>(0);
    let revoked = client
        .execute(
            "UPDATE office_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            &[&user, &to_ms(now)],
        )
        .await?;
    // A lost laptop's browser session ends with its tokens.
    client
        .execute("DELETE FROM office_sessions WHERE user_id = $1", &[&user])
        .await?;
    Ok(revoked)
}

pub(super) async fn office_authenticate(
    client: &Object,
    token: &str,
) -> Result<Option<OfficeUser>> {
    let stmt = client
        .prepare_cached(
            "SELECT u.username, u.role, u.communities FROM office_tokens t
             JOIN office_users u ON u.user_id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .await?;
    Ok(client
        .query_opt(&stmt, &[&hash_token(token)])
        .await?
        .and_then(|r| {
            Some(OfficeUser {
                username: r.get(0),
                role: r.get::<_, &str>(1).parse::<Role>().ok()?,
                communities: parse_communities(r.get(2)),
            })
        }))
}

pub(super) async fn review_queue(
    client: &Object,
    scope: Option<&[Community]>,
    limit: u32,
) -> Result<Vec<ReviewItem>> {
    let communities: Option<Vec<&str>> = scope.map(|s| s.iter().map(Community::as_str).collect());
    client
        .query(
            &format!(
                "SELECT {REVIEW_COLUMNS} FROM attendance a {WITH_ACTIVITY}
                 WHERE a.status IN ('held', 'rejected') AND ($1::text[] IS NULL OR a.community = ANY($1))
                 ORDER BY a.received_at, a.record_id LIMIT $2"
            ),
            &[&communities, &i64::from(limit)],
        )
        .await?
        .iter()
        .map(review_item)
        .collect()
}

pub(super) async fn review_count(client: &Object, scope: Option<&[Community]>) -> Result<u64> {
    let communities: Option<Vec<&str>> = scope.map(|s| s.iter().map(Community::as_str).collect());
    let count: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM attendance a
             WHERE a.status IN ('held', 'rejected') AND ($1::text[] IS NULL OR a.community = ANY($1))",
            &[&communities],
        )
        .await?
        .get(0);
    u64::try_from(count).map_err(|e| Error::Internal(format!("a negative count: {e}")))
}

pub(super) async fn review(
    client: &mut Object,
    record_id: Uuid,
    decision: Decision,
    user: &OfficeUser,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ReviewItem> {
    let tx = client.transaction().await?;
    let before = find(&tx, record_id, " FOR UPDATE OF a")
        .await?
        .ok_or_else(|| Error::NotFound(format!("record {record_id}")))?;
    let status = office::review(user, &before.community, before.status, decision)?;
    tx.execute(
        &format!("UPDATE attendance SET status = $2, seq = {XID} WHERE record_id = $1"),
        &[&record_id, &status.code()],
    )
    .await?;
    let (action, subject, was, is) =
        office::review_audit(record_id, decision, (before.status, before.reason), status);
    tx.execute(
        "INSERT INTO audit (at, actor, action, subject, before_value, after_value, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &to_ms(now),
            &user.username,
            &action,
            &subject,
            &was,
            &is,
            &note,
        ],
    )
    .await?;
    let after = find(&tx, record_id, "")
        .await?
        .ok_or_else(|| Error::Internal("a reviewed record vanished".into()))?;
    tx.commit().await?;
    Ok(after)
}

pub(super) async fn enter_attendance(
    client: &mut Object,
    member_id: &MemberId,
    activity_id: &ActivityId,
    user: &OfficeUser,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ReviewItem> {
    let tx = client.transaction().await?;
    // Locks the member's row: two offices entering one paper list at once
    // queue here, and the second finds the first's record.
    let member: i64 = tx
        .query_opt(
            "SELECT member_key FROM members WHERE member_id = $1 FOR UPDATE",
            &[&member_id.as_str()],
        )
        .await?
        .ok_or_else(|| Error::NotFound(format!("member {member_id}")))?
        .get(0);
    let activity = tx
        .query_opt(
            "SELECT activity_key, community, starts_at FROM activities WHERE activity_id = $1",
            &[&activity_id.as_str()],
        )
        .await?
        .ok_or_else(|| Error::NotFound(format!("activity {activity_id}")))?;
    let (activity_key, community, starts_at): (i64, String, i64) =
        (activity.get(0), activity.get(1), activity.get(2));
    let already = tx
        .query_opt(
            concat!(
                "SELECT 1 FROM attendance WHERE member_key = $1 AND activity_key = $2 AND status IN ",
                counting!()
            ),
            &[&member, &activity_key],
        )
        .await?
        .is_some();
    office::may_enter(user, &community, already)?;
    let record_id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO attendance (record_id, kiosk_id, batch_id, member_id, activity_id, member_key,
             activity_key, scanned_at, corrected_at, method, received_at, status, community)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 'office', $9, 'accepted', $10)",
        &[
            &record_id,
            &office::office_kiosk(user),
            &Uuid::nil(),
            &member_id.as_str(),
            &activity_id.as_str(),
            &member,
            &activity_key,
            &starts_at,
            &to_ms(now),
            &community,
        ],
    )
    .await?;
    audit(
        &tx,
        now,
        user,
        ("attendance.enter", &format!("record:{record_id}")),
        (
            None,
            Some(&format!("{member_id} at {activity_id}: accepted")),
        ),
        note,
    )
    .await?;
    let item = find(&tx, record_id, "")
        .await?
        .ok_or_else(|| Error::Internal("an entered record vanished".into()))?;
    tx.commit().await?;
    Ok(item)
}

pub(super) async fn office_void(
    client: &mut Object,
    record_id: Uuid,
    user: &OfficeUser,
    note: &str,
    now: DateTime<Utc>,
) -> Result<ReviewItem> {
    let tx = client.transaction().await?;
    let record = find(&tx, record_id, " FOR UPDATE OF a")
        .await?
        .ok_or_else(|| Error::NotFound(format!("record {record_id}")))?;
    let voided = tx
        .query_opt(
            "SELECT 1 FROM voids WHERE record_id = $1 AND community = $2",
            &[&record_id, &record.community],
        )
        .await?
        .is_some();
    office::may_void(user, &record.community, voided)?;
    tx.execute(
        "INSERT INTO voids (record_id, community, kiosk_id, batch_id, reason, voided_at, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        &[
            &record_id,
            &record.community,
            &office::office_kiosk(user),
            &Uuid::nil(),
            &office::void_reason(note),
            &to_ms(now),
        ],
    )
    .await?;
    audit(
        &tx,
        now,
        user,
        ("record.void", &format!("record:{record_id}")),
        (Some(record.status.code()), Some("voided")),
        note,
    )
    .await?;
    tx.commit().await?;
    Ok(record)
}

/// Writes an audit entry: (action, subject), (before, after), note.
async fn audit(
    tx: &impl GenericClient,
    at: DateTime<Utc>,
    user: &OfficeUser,
    (action, subject): (&str, &str),
    (before, after): (Option<&str>, Option<&str>),
    note: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit (at, actor, action, subject, before_value, after_value, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &to_ms(at),
            &user.username,
            &action,
            &subject,
            &before,
            &after,
            &note,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn audit_log(client: &Object, limit: u32) -> Result<Vec<AuditEntry>> {
    client
        .query(
            "SELECT at, actor, action, subject, before_value, after_value, note FROM audit
             ORDER BY audit_id DESC LIMIT $1",
            &[&i64::from(limit)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                at: from_ms(r.get(0))?,
                actor: r.get(1),
                action: r.get(2),
                subject: r.get(3),
                before: r.get(4),
                after: r.get(5),
                note: r.get(6),
            })
        })
        .collect()
}

async fn find(
    client: &impl GenericClient,
    record_id: Uuid,
    lock: &str,
) -> Result<Option<ReviewItem>> {
    client
        .query_opt(
            &format!(
                "SELECT {REVIEW_COLUMNS} FROM attendance a {WITH_ACTIVITY} WHERE a.record_id = $1{lock}"
            ),
            &[&record_id],
        )
        .await?
        .as_ref()
        .map(review_item)
        .transpose()
}

fn review_item(r: &Row) -> Result<ReviewItem> {
    Ok(ReviewItem {
        record_id: r.get(0),
        member_id: r.get(1),
        activity_id: r.get(2),
        community: r.get(3),
        kiosk_id: r.get(4),
        method: r.get(5),
        status: RecordStatus::from_code(r.get(6)),
        reason: r.get::<_, Option<&str>>(7).map(Reason::from_code),
        scanned_at: from_ms(r.get(8))?,
        corrected_at: from_ms(r.get(9))?,
        received_at: from_ms(r.get(10))?,
        activity_title: r.get(11),
        activity_starts_at: r.get::<_, Option<i64>>(12).map(from_ms).transpose()?,
        activity_ends_at: r.get::<_, Option<i64>>(13).map(from_ms).transpose()?,
    })
}

pub(super) async fn member_records(client: &Object, member_id: &str) -> Result<Vec<MemberRecord>> {
    client
        .query(
            "SELECT a.record_id, a.member_id, a.activity_id, a.community, a.kiosk_id, a.method,
                    a.status, a.reason, a.scanned_at, a.corrected_at, a.received_at,
                    act.title, act.starts_at, act.ends_at, v.record_id IS NOT NULL
             FROM attendance a
             LEFT JOIN voids v ON v.record_id = a.record_id AND v.community = a.community
             LEFT JOIN activities act ON act.activity_id = a.activity_id
             WHERE a.member_id = $1
             ORDER BY a.corrected_at, a.record_id",
            &[&member_id],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(MemberRecord {
                record: review_item(r)?,
                voided: r.get(14),
            })
        })
        .collect()
}

pub(super) async fn period_attendance(
    client: &Object,
    organization: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    scope: Option<&[Community]>,
) -> Result<Vec<PeriodAttendance>> {
    let scope = scope.map(communities_text);
    client
        .query(
            concat!(
                "SELECT DISTINCT m.member_id, act.activity_id, act.title, act.starts_at
                 FROM members m
                 JOIN attendance a ON a.member_key = m.member_key
                 JOIN activities act ON act.activity_key = a.activity_key
                 WHERE m.organization = $1 AND act.starts_at >= $2 AND act.starts_at < $3
                   AND ($4::text IS NULL OR m.community = ANY(string_to_array($4, ',')))
                   AND a.status IN ",
                counting!(),
                " AND NOT EXISTS (SELECT 1 FROM voids v
                                  WHERE v.record_id = a.record_id AND v.community = a.community)
                 ORDER BY m.member_id, act.starts_at, act.activity_id"
            ),
            &[&organization, &to_ms(from), &to_ms(to), &scope],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(PeriodAttendance {
                member_id: r.get(0),
                activity_id: r.get(1),
                activity_title: r.get(2),
                starts_at: from_ms(r.get(3))?,
            })
        })
        .collect()
}

pub(super) async fn office_users(client: &Object) -> Result<Vec<OfficeUser>> {
    Ok(client
        .query(
            "SELECT username, role, communities FROM office_users ORDER BY username",
            &[],
        )
        .await?
        .iter()
        .filter_map(|r| {
            Some(OfficeUser {
                username: r.get(0),
                role: r.get::<_, &str>(1).parse::<Role>().ok()?,
                communities: parse_communities(r.get(2)),
            })
        })
        .collect())
}

//! What goes into the next upload.

use baodao_shared::protocol::BatchRequest;
use baodao_shared::{AttendanceRecord, Void};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Records per upload: big enough to drain weeks of check-ins in a few
/// minutes, small enough to stay far below the server's limits.
pub const BATCH_RECORDS: usize = 500;

/// The next batch: oldest records first, then voids to fill it. `None`
/// when there is nothing to send. Every attempt gets a new batch id; the
/// record ids make retries idempotent.
pub fn next_batch(
    records: &[AttendanceRecord],
    voids: &[Void],
    limit: usize,
    batch_id: Uuid,
    now: DateTime<Utc>,
) -> Option<BatchRequest> {
    if records.is_empty() && voids.is_empty() {
        return None;
    }
    let records: Vec<_> = records.iter().take(limit).cloned().collect();
    let room = limit.saturating_sub(records.len());
    let voids: Vec<_> = voids.iter().take(room).cloned().collect();
    Some(BatchRequest {
        batch_id,
        sent_at: now,
        records,
        voids,
    })
}

#[cfg(test)]
mod tests {
    use baodao_shared::Method;

    use super::*;

    fn record(n: u8) -> AttendanceRecord {
        AttendanceRecord {
            record_id: Uuid::from_bytes([n; 16]),
            member_id: "M1".parse().unwrap(),
            activity_id: "A1".parse().unwrap(),
            scanned_at: Utc::now(),
            method: Method::Manual,
            card: None,
            entered_by: None,
        }
    }

    fn void(n: u8) -> Void {
        Void {
            record_id: Uuid::from_bytes([n; 16]),
            reason: "wrong person".into(),
            voided_at: None,
            voided_by: None,
        }
    }

    #[test]
    fn oldest_first_voids_fill_the_rest() {
        let records: Vec<_> = (0..5).map(record).collect();
        let voids: Vec<_> = (10..13).map(void).collect();
        let batch = next_batch(&records, &voids, 6, Uuid::nil(), Utc::now()).unwrap();
        assert_eq!(batch.records.len(), 5);
        assert_eq!(batch.records[0].record_id, records[0].record_id);
        assert_eq!(batch.voids.len(), 1);
        let full = next_batch(&records, &voids, 3, Uuid::nil(), Utc::now()).unwrap();
        assert_eq!((full.records.len(), full.voids.len()), (3, 0));
        assert!(next_batch(&[], &[], 3, Uuid::nil(), Utc::now()).is_none());
        assert_eq!(
            next_batch(&[], &voids, 3, Uuid::nil(), Utc::now())
                .unwrap()
                .voids
                .len(),
            3
        );
    }
}

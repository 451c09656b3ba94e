//! An upload as it arrives: each record and void parsed on its own, so one
//! bad item is answered by itself and the rest of the batch goes through.

use baodao_shared::protocol::BatchRequest;
use baodao_shared::{AttendanceRecord, Void};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

/// One item of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<T> {
    Valid(T),
    /// Well-formed enough to name its record, but not valid.
    Malformed(Uuid),
}

impl<T> Item<T> {
    pub fn valid(&self) -> Option<&T> {
        match self {
            Self::Valid(item) => Some(item),
            Self::Malformed(_) => None,
        }
    }
}

/// A batch whose items are checked one by one.
#[derive(Debug, Clone)]
pub struct Upload {
    pub batch_id: Uuid,
    pub sent_at: DateTime<Utc>,
    pub records: Vec<Item<AttendanceRecord>>,
    pub voids: Vec<Item<Void>>,
}

impl From<BatchRequest> for Upload {
    fn from(batch: BatchRequest) -> Self {
        Self {
            batch_id: batch.batch_id,
            sent_at: batch.sent_at,
            records: batch.records.into_iter().map(Item::Valid).collect(),
            voids: batch.voids.into_iter().map(Item::Valid).collect(),
        }
    }
}

/// The batch's envelope; items stay unparsed until [`parse_items`].
#[derive(Debug, Deserialize)]
pub struct Envelope<'a> {
    pub batch_id: Uuid,
    pub sent_at: DateTime<Utc>,
    #[serde(borrow)]
    pub records: Vec<&'a RawValue>,
    #[serde(default, borrow)]
    pub voids: Vec<&'a RawValue>,
}

/// Why a body is not a batch at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not JSON.
    Syntax(String),
    /// JSON, but not a batch, or an item without a record id.
    Shape(String),
    /// More items than `limit`.
    TooMany { limit: usize },
}

/// A request body as an upload; each item parsed on its own.
pub fn parse(body: &[u8], limit: usize) -> Result<Upload, Refusal> {
    let envelope: Envelope<'_> = serde_json::from_slice(body).map_err(|e| {
        let message = format!("the batch is not valid: {e}");
        if e.is_syntax() || e.is_eof() {
            Refusal::Syntax(message)
        } else {
            Refusal::Shape(message)
        }
    })?;
    if envelope.records.len() + envelope.voids.len() > limit {
        return Err(Refusal::TooMany { limit });
    }
    Ok(Upload {
        batch_id: envelope.batch_id,
        sent_at: envelope.sent_at,
        records: parse_items("record", &envelope.records).map_err(Refusal::Shape)?,
        voids: parse_items("void", &envelope.voids).map_err(Refusal::Shape)?,
    })
}

#[derive(Deserialize)]
struct JustTheId {
    record_id: Uuid,
}

/// Parses each item; `Err` names the first item that does not even carry a
/// record id, as nothing could be answered for it.
pub fn parse_items<T: serde::de::DeserializeOwned>(
    kind: &str,
    raw: &[&RawValue],
) -> Result<Vec<Item<T>>, String> {
    raw.iter()
        .enumerate()
        .map(|(index, raw)| match serde_json::from_str::<T>(raw.get()) {
            Ok(item) => Ok(Item::Valid(item)),
            Err(error) => match serde_json::from_str::<JustTheId>(raw.get()) {
                Ok(id) => Ok(Item::Malformed(id.record_id)),
                Err(_) => Err(format!(
                    "{kind} {index} has no valid record_id, so it cannot be answered: {error}"
                )),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_item_is_answered_alone() {
        let json = r#"{"batch_id":"01890a5d-ac96-774b-bcce-b302099a8057","sent_at":"2026-11-30T10:00:00Z",
            "records":[
              {"record_id":"01890a5d-ac96-774b-bcce-b302099a8058","member_id":"M1","activity_id":"A1","scanned_at":"2026-11-30T09:59:00Z","method":"manual"},
              {"record_id":"01890a5d-ac96-774b-bcce-b302099a8059","member_id":"bad id!","activity_id":"A1","scanned_at":"2026-11-30T09:59:00Z","method":"manual"}
            ],
            "voids":[{"record_id":"01890a5d-ac96-774b-bcce-b302099a8060","reason":7}]}"#;
        let envelope: Envelope<'_> = serde_json::from_str(json).unwrap();
        let records: Vec<Item<AttendanceRecord>> =
            parse_items("record", &envelope.records).unwrap();
        assert!(matches!(records[0], Item::Valid(_)));
        assert!(matches!(records[1], Item::Malformed(_)));
        let voids: Vec<Item<Void>> = parse_items("void", &envelope.voids).unwrap();
        assert!(matches!(voids[0], Item::Malformed(_)));

        let nameless = r#"{"batch_id":"01890a5d-ac96-774b-bcce-b302099a8057","sent_at":"2026-11-30T10:00:00Z",
            "records":[{"member_id":"M1"}]}"#;
        let envelope: Envelope<'_> = serde_json::from_str(nameless).unwrap();
        let err = parse_items::<AttendanceRecord>("record", &envelope.records).unwrap_err();
        assert!(err.contains("record 0"), "{err}");
    }
}

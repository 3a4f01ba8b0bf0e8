//! The layout of the database file: three tables and how rows map to KV types.
//!
//! - `values`: key → mod revision (8 bytes, little endian) followed by the value bytes
//!   (one byte string rather than a redb tuple: reads are as fast as raw redb's).
//! - `meta`: `"state"` → (current revision, compacted revision, change-log length).
//! - `changes`: (revision, index within the revision) → (kind, key, value, previous value);
//!   the bounded change log that lets a watch replay history, also after a restart.

use bytes::Bytes;
use cninfra_kv::{ChangeKind, KeyChange};
use redb::{ReadableTable, StorageError, TableDefinition};

/// Key → mod revision (little endian) + value; see [`encode_value`].
pub(crate) const VALUES: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("values");
/// The single row [`META_KEY`] → [`Meta`] as a tuple.
pub(crate) const META: TableDefinition<'_, &str, (u64, u64, u64)> = TableDefinition::new("meta");
/// A change-log key: (revision, index within the revision).
pub(crate) type ChangeKey = (u64, u32);
/// A change-log row: (kind code, key, value, previous value).
pub(crate) type ChangeRow<'a> = (u8, &'a str, &'a [u8], Option<&'a [u8]>);
/// The change log.
pub(crate) const CHANGES: TableDefinition<'_, ChangeKey, ChangeRow<'_>> =
    TableDefinition::new("changes");

const META_KEY: &str = "state";
const KIND_PUT: u8 = 1;
const KIND_DELETE: u8 = 2;

/// The store-wide counters kept in the `meta` table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Meta {
    /// Revision of the latest change.
    pub(crate) revision: u64,
    /// History up to and including this revision is gone from the change log.
    pub(crate) compacted: u64,
    /// Rows in the change log.
    pub(crate) log_len: u64,
}

impl Meta {
    /// Reads the counters (all zero in a new file).
    pub(crate) fn read(
        table: &impl ReadableTable<&'static str, (u64, u64, u64)>,
    ) -> Result<Self, StorageError> {
        Ok(table
            .get(META_KEY)?
            .map(|guard| {
                let (revision, compacted, log_len) = guard.value();
                Self {
                    revision,
                    compacted,
                    log_len,
                }
            })
            .unwrap_or_default())
    }

    /// Writes the counters.
    pub(crate) fn write(
        self,
        table: &mut redb::Table<'_, &'static str, (u64, u64, u64)>,
    ) -> Result<(), StorageError> {
        table.insert(META_KEY, (self.revision, self.compacted, self.log_len))?;
        Ok(())
    }
}

/// Bytes of the revision in front of a stored value.
const REVISION_BYTES: usize = 8;

/// The `values` row of a value written at `revision`.
pub(crate) fn encode_value(revision: u64, value: &[u8]) -> Vec<u8> {
    let mut row = Vec::with_capacity(REVISION_BYTES + value.len());
    row.extend_from_slice(&revision.to_le_bytes());
    row.extend_from_slice(value);
    row
}

/// The revision and value of a `values` row of `key`.
pub(crate) fn decode_value<'a>(key: &str, row: &'a [u8]) -> Result<(u64, &'a [u8]), StorageError> {
    match row.split_first_chunk::<REVISION_BYTES>() {
        Some((revision, value)) => Ok((u64::from_le_bytes(*revision), value)),
        None => Err(StorageError::Corrupted(format!(
            "the stored value of `{key}` has {} bytes, fewer than its revision needs",
            row.len()
        ))),
    }
}

/// The change-log code of a change kind.
pub(crate) fn kind_code(kind: ChangeKind) -> u8 {
    match kind {
        ChangeKind::Put => KIND_PUT,
        ChangeKind::Delete => KIND_DELETE,
    }
}

/// The change of a change-log row; `None` for a kind code this version does not know.
pub(crate) fn change_of(
    revision: u64,
    (kind, key, value, prev): ChangeRow<'_>,
) -> Option<KeyChange> {
    let kind = match kind {
        KIND_PUT => ChangeKind::Put,
        KIND_DELETE => ChangeKind::Delete,
        _ => return None,
    };
    Some(KeyChange {
        key: key.to_owned(),
        kind,
        value: Bytes::copy_from_slice(value),
        prev_value: prev.map(Bytes::copy_from_slice),
        revision,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rows_round_trip_and_short_rows_are_corruption() {
        let row = encode_value(42, b"hello");
        assert_eq!(decode_value("k", &row).unwrap(), (42, &b"hello"[..]));
        assert_eq!(
            decode_value("k", &encode_value(1, b"")).unwrap(),
            (1, &b""[..])
        );
        let err = decode_value("cfg/a", &row[..5]).unwrap_err().to_string();
        assert!(err.contains("cfg/a") && err.contains("5 bytes"), "{err}");
    }

    #[test]
    fn change_rows_round_trip_and_unknown_kinds_are_skipped() {
        let change = KeyChange {
            key: "a".into(),
            kind: ChangeKind::Delete,
            value: Bytes::new(),
            prev_value: Some(Bytes::from_static(b"old")),
            revision: 7,
        };
        let row = (
            kind_code(change.kind),
            change.key.as_str(),
            &change.value[..],
            change.prev_value.as_deref(),
        );
        assert_eq!(change_of(7, row), Some(change));
        assert_eq!(change_of(7, (9, "a", b"", None)), None);
    }
}

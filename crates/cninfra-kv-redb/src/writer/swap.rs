//! Conditional writes inside the writer's transaction: the single writer thread reads the
//! current value and writes in the same redb transaction, so nothing comes in between.

use redb::{ReadableTable, StorageError};

use super::Batch;
use crate::schema::decode_value;

impl Batch<'_> {
    /// Whether the current value of `key` is `expected` (`None`: the key is absent).
    pub(super) fn holds(&self, key: &str, expected: Option<&[u8]>) -> Result<bool, StorageError> {
        let current = self.values.get(key)?;
        Ok(match (current, expected) {
            (None, None) => true,
            (Some(row), Some(expected)) => decode_value(key, row.value())?.1 == expected,
            _ => false,
        })
    }
}

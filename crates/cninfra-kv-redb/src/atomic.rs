//! `put_if_absent`, `compare_and_swap` and `compare_and_delete` of [`RedbStore`]: one
//! conditional write each, checked and applied by the writer thread in its transaction.

use bytes::Bytes;
use cninfra_kv::{KvError, PutOptions, validate_key};

use crate::store::RedbStore;
use crate::writer::Write;

impl RedbStore {
    /// Writes `new` (deletes when `None`) if the value of `key` is `expected` (absent when
    /// `None`); the revision of the write, or `None` when the condition did not hold.
    pub(crate) async fn swap(
        &self,
        op: &'static str,
        key: &str,
        expected: Option<Bytes>,
        new: Option<Bytes>,
        options: &PutOptions,
    ) -> Result<Option<u64>, KvError> {
        validate_key(key)?;
        self.refuse_ttl(options, "put with ttl")?;
        let write = Write::Swap {
            key: key.to_owned(),
            expected,
            new,
        };
        let done = self.submit(op, write).await?;
        Ok(done.applied.then_some(done.revision))
    }
}

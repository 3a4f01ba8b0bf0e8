//! `put_if_absent`, `compare_and_swap` and `compare_and_delete` of [`ConsulStore`] on
//! Consul's check-and-set: a transaction whose first operation checks the key's
//! `ModifyIndex` (or that it is absent). Consul compares indexes, not values, so a swap
//! reads the key, compares the value here, and writes only if the index it read is still
//! current; when another writer came in between it reads again.

use bytes::Bytes;
use cninfra_kv::{KvError, KvStore, PutOptions, TxnOp, validate_key};

use crate::store::{CAPABILITIES, Check, ConsulStore};

impl ConsulStore {
    pub(crate) async fn put_if_absent_cas(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        validate_key(key)?;
        options.check(self.name(), CAPABILITIES)?;
        let check = Check::Absent {
            key: key.to_owned(),
        };
        let put = TxnOp::Put {
            key: key.to_owned(),
            value,
            options,
        };
        self.txn_if(&[check], vec![put]).await
    }

    /// Applies `op` if the key's value is `old`, re-reading while other writers move its
    /// index but leave the value equal to `old`.
    pub(crate) async fn if_value(
        &self,
        key: &str,
        old: &Bytes,
        op: impl Fn() -> TxnOp,
    ) -> Result<Option<u64>, KvError> {
        validate_key(key)?;
        loop {
            let Some(current) = self.get(key).await? else {
                return Ok(None);
            };
            if current.value != *old {
                return Ok(None);
            }
            let check = Check::Revision {
                key: key.to_owned(),
                revision: current.revision,
            };
            if let Some(revision) = self.txn_if(&[check], vec![op()]).await? {
                return Ok(Some(revision));
            }
        }
    }

    pub(crate) async fn compare_and_swap_cas(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        options.check(self.name(), CAPABILITIES)?;
        let put = || TxnOp::Put {
            key: key.to_owned(),
            value: new.clone(),
            options: options.clone(),
        };
        self.if_value(key, &old, put).await
    }

    pub(crate) async fn compare_and_delete_cas(
        &self,
        key: &str,
        old: Bytes,
    ) -> Result<Option<u64>, KvError> {
        let delete = || TxnOp::Delete {
            key: key.to_owned(),
            options: Default::default(),
        };
        self.if_value(key, &old, delete).await
    }
}

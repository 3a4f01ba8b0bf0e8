//! Conditional writes (one etcd transaction each: a comparison, then the write) and leases,
//! as upstream's `PutIfNotExists`, `CompareAndSwap`, `CompareAndDelete` and lease options.

use std::time::Duration;

use bytes::Bytes;
use cninfra_kv::{KvError, KvStore, LeaseId, PutOptions, validate_key};
use etcd_client::{Compare, CompareOp, LeaseClient, Txn, TxnOp};

use super::{EtcdStore, revision_of};
use crate::error::kv_error;

/// etcd's answer to a request naming a lease it does not have.
const LEASE_NOT_FOUND: &str = "requested lease not found";

impl EtcdStore {
    /// The lease a put binds its key to: the given lease, or a new one of the put's TTL.
    pub(super) async fn lease_of(
        &self,
        lease: &mut LeaseClient,
        options: &PutOptions,
    ) -> Result<Option<i64>, KvError> {
        options.check(self.name(), self.capabilities())?;
        match (options.lease, options.ttl) {
            (Some(id), _) => Ok(Some(self.lease_arg(id)?)),
            (None, Some(ttl)) => Ok(Some(self.lease_for(lease, ttl).await?)),
            (None, None) => Ok(None),
        }
    }

    /// Runs `then` if `compare` holds; the revision when it ran.
    async fn conditional(
        &self,
        op: &'static str,
        lease: Option<LeaseId>,
        compare: Compare,
        then: TxnOp,
    ) -> Result<Option<u64>, KvError> {
        let mut kv = self.kv_client()?;
        let txn = Txn::new().when([compare]).and_then([then]);
        let response = match self.timed(op, kv.txn(txn)).await? {
            Ok(response) => response,
            Err(err) => return Err(self.lease_error(op, lease, err)),
        };
        Ok(response.succeeded().then(|| revision_of(response.header())))
    }

    /// A put of `value` under `key` as a transaction operation, with its lease.
    async fn put_op(
        &self,
        key: &str,
        value: Bytes,
        options: &PutOptions,
    ) -> Result<TxnOp, KvError> {
        validate_key(key)?;
        let mut lease = self.clients()?.lease.clone();
        let lease_id = self.lease_of(&mut lease, options).await?;
        Ok(TxnOp::put(
            key,
            Vec::from(value),
            Self::put_options(lease_id),
        ))
    }

    pub(super) async fn put_if_absent_txn(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        let put = self.put_op(key, value, &options).await?;
        let absent = Compare::create_revision(key, CompareOp::Equal, 0);
        self.conditional("put_if_absent", options.lease, absent, put)
            .await
    }

    pub(super) async fn compare_and_swap_txn(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        let put = self.put_op(key, new, &options).await?;
        let holds = Compare::value(key, CompareOp::Equal, Vec::from(old));
        self.conditional("compare_and_swap", options.lease, holds, put)
            .await
    }

    pub(super) async fn compare_and_delete_txn(
        &self,
        key: &str,
        old: Bytes,
    ) -> Result<Option<u64>, KvError> {
        validate_key(key)?;
        let holds = Compare::value(key, CompareOp::Equal, Vec::from(old));
        let delete = TxnOp::delete(key, None);
        self.conditional("compare_and_delete", None, holds, delete)
            .await
    }

    pub(super) async fn grant(&self, ttl: Duration) -> Result<LeaseId, KvError> {
        let mut lease = self.clients()?.lease.clone();
        let id = self.lease_for(&mut lease, ttl).await?;
        Ok(LeaseId(u64::try_from(id).unwrap_or_default()))
    }

    pub(super) async fn refresh(&self, id: LeaseId) -> Result<bool, KvError> {
        let arg = self.lease_arg(id)?;
        let mut lease = self.clients()?.lease.clone();
        let refresh = async move {
            let (mut keeper, mut responses) = lease.keep_alive(arg).await?;
            // The request sent when the stream opens is answered only once another
            // follows (etcd-client 0.21), so send one more and take the first answer.
            keeper.keep_alive().await?;
            responses.message().await
        };
        // etcd answers a lease it does not have with an error, a TTL of 0 or the end.
        match self.timed("keep_lease_alive", refresh).await? {
            Ok(response) => Ok(response.is_some_and(|r| r.ttl() > 0)),
            Err(err) if is_lease_not_found(&err) => Ok(false),
            Err(err) => Err(kv_error(self.name(), "keep_lease_alive", err)),
        }
    }

    pub(super) async fn revoke(&self, id: LeaseId) -> Result<bool, KvError> {
        let arg = self.lease_arg(id)?;
        let mut lease = self.clients()?.lease.clone();
        match self.timed("revoke_lease", lease.revoke(arg)).await? {
            Ok(_) => Ok(true),
            Err(err) if is_lease_not_found(&err) => Ok(false),
            Err(err) => Err(kv_error(self.name(), "revoke_lease", err)),
        }
    }

    /// The error of a request that named `lease`: [`KvError::LeaseNotFound`] when etcd
    /// does not have it.
    pub(super) fn lease_error(
        &self,
        op: &'static str,
        lease: Option<LeaseId>,
        err: etcd_client::Error,
    ) -> KvError {
        match lease {
            Some(lease) if is_lease_not_found(&err) => KvError::LeaseNotFound {
                store: self.name().to_owned(),
                lease,
            },
            _ => kv_error(self.name(), op, err),
        }
    }

    fn lease_arg(&self, id: LeaseId) -> Result<i64, KvError> {
        i64::try_from(id.0).map_err(|_| KvError::LeaseNotFound {
            store: self.name().to_owned(),
            lease: id,
        })
    }
}

/// Whether etcd (a request's status) or the client (a keep-alive answered with TTL 0)
/// said that the lease does not exist.
fn is_lease_not_found(err: &etcd_client::Error) -> bool {
    match err {
        etcd_client::Error::GRpcStatus(status) => status.message().contains(LEASE_NOT_FOUND),
        etcd_client::Error::LeaseKeepAliveError(message) => message.contains("lease not found"),
        _ => false,
    }
}

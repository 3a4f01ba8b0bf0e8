//! [`KvPublisher`]: writes values under the agent prefix (upstream's `KeyProtoValWriter`).

use std::any::type_name;
use std::sync::Arc;

use bytes::Bytes;
use cninfra_kv::{
    Codec, DeleteOptions, EncodeError, KvError, ProtoBinaryCodec, ProtoJsonCodec, PutOptions,
};
use serde::Serialize;

use crate::error::DatasyncError;
use crate::kvdbsync::SyncCore;

/// Writes values to the data sync plugin's store, keys relative to the agent prefix
/// `/vnf-agent/<label>/`. Cheap to clone; usable from a plugin's `init` on (the store is
/// known once the data sync plugin ran `init`). Each call has the store time limit
/// (`store-timeout`, 30 s).
///
/// # Examples
/// ```
/// # async fn demo(sync: &cninfra_datasync::KvdbSyncPlugin) -> Result<(), cninfra_datasync::DatasyncError> {
/// let publisher = sync.publisher();
/// publisher.put("config/example/v1/a", Some("{\"port\":80}".into())).await?;
/// publisher.put("config/example/v1/a", None).await?;    // deletes, as upstream
/// publisher.put_json("config/example/v1/b", &serde_json::json!({"port": 81})).await?;
/// assert!(publisher.delete("config/example/v1/b").await?);
///
/// // A prost message goes as proto3 JSON: {"bridgeDomain":"bd1","action":"DROP"}.
/// use cninfra_ligato::vpp::l2::{FibEntry, fib_entry::Action};
/// let entry = FibEntry { bridge_domain: "bd1".into(), action: Action::Drop.into(), ..Default::default() };
/// publisher.put_proto("config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a", &entry).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct KvPublisher {
    core: Arc<SyncCore>,
}

impl KvPublisher {
    pub(crate) fn new(core: Arc<SyncCore>) -> Self {
        Self { core }
    }

    /// Stores `value` under `key`; `None` deletes the key (upstream's put of a nil value).
    ///
    /// # Errors
    /// [`DatasyncError::NotReady`] before the data sync plugin's `init`,
    /// [`DatasyncError::NoStore`] without a store, [`DatasyncError::Kv`] when the store
    /// fails or does not answer in time.
    pub async fn put(&self, key: &str, value: Option<Bytes>) -> Result<(), DatasyncError> {
        match value {
            Some(value) => {
                let store = self.core.store()?;
                let put = store.put(key, value, PutOptions::default());
                self.timed(store.name(), "put", put).await?;
                Ok(())
            }
            None => self.delete(key).await.map(|_| ()),
        }
    }

    /// Deletes `key`; true when it existed.
    ///
    /// # Errors
    /// As [`put`](Self::put).
    pub async fn delete(&self, key: &str) -> Result<bool, DatasyncError> {
        let store = self.core.store()?;
        let delete = store.delete(key, DeleteOptions::default());
        self.timed(store.name(), "delete", delete).await
    }

    /// Stores `value` as JSON (serde).
    ///
    /// # Errors
    /// [`DatasyncError::Kv`] with [`KvError::Encode`] naming the key when `value` does not
    /// serialize; else as [`put`](Self::put).
    pub async fn put_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), DatasyncError> {
        let bytes = serde_json::to_vec(value).map_err(|err| KvError::Encode {
            key: key.to_owned(),
            source: EncodeError {
                type_name: type_name::<T>(),
                reason: err.to_string(),
            },
        })?;
        self.put(key, Some(bytes.into())).await
    }

    /// Stores a prost message (with a descriptor) as proto3 JSON, as upstream's agents
    /// store values, so they read it.
    ///
    /// # Errors
    /// As [`put`](Self::put).
    pub async fn put_proto<M>(&self, key: &str, value: &M) -> Result<(), DatasyncError>
    where
        M: cninfra_models::ProtoMessage,
    {
        self.put_coded(key, value, &ProtoJsonCodec).await
    }

    /// Stores a prost message in binary encoding, chosen explicitly (a Go agent reads it
    /// only when configured for binary too).
    ///
    /// # Errors
    /// As [`put`](Self::put).
    pub async fn put_proto_binary<M: prost::Message + Default>(
        &self,
        key: &str,
        value: &M,
    ) -> Result<(), DatasyncError> {
        self.put_coded(key, value, &ProtoBinaryCodec).await
    }

    async fn put_coded<T, C: Codec<T>>(
        &self,
        key: &str,
        value: &T,
        codec: &C,
    ) -> Result<(), DatasyncError> {
        let bytes = codec.encode(value).map_err(|source| KvError::Encode {
            key: key.to_owned(),
            source,
        })?;
        self.put(key, Some(bytes.into())).await
    }

    async fn timed<T>(
        &self,
        store: &str,
        op: &'static str,
        call: impl Future<Output = Result<T, KvError>>,
    ) -> Result<T, DatasyncError> {
        let after = self.core.config().store_timeout;
        match tokio::time::timeout(after, call).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(KvError::Timeout {
                store: store.to_owned(),
                op,
                after,
            }
            .into()),
        }
    }
}

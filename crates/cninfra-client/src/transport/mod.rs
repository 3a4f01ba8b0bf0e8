//! The transports behind [`Client`](crate::Client): [`local`] (the orchestrator, in
//! process), [`kv`] (the keys the agent watches in its KV store) and [`grpc`] (the
//! generic API).

pub(crate) mod grpc;
pub(crate) mod kv;
pub(crate) mod local;

use std::fmt;

use async_trait::async_trait;

use crate::error::ClientError;
use crate::filter::Filter;
use crate::item::{ConfigItem, Reply, StateItem};
use crate::request::SetConfig;
use crate::subscription::Subscription;

/// One way to reach an agent. Every call is bounded by the client's time limit.
#[async_trait]
pub(crate) trait Transport: Send + Sync + fmt::Debug {
    /// Short name for errors (`local`, `KV store`, `gRPC`).
    fn name(&self) -> &'static str;

    /// Applies a change or a resync.
    async fn set_config(&self, request: SetConfig) -> Result<Reply, ClientError>;

    /// The configuration the agent holds from its sources, with statuses where known.
    async fn get_config(&self, filter: &Filter) -> Result<Vec<ConfigItem>, ClientError>;

    /// The values found in the southbound.
    async fn dump_state(&self) -> Result<Vec<StateItem>, ClientError>;

    /// A stream of status changes of `keys` (all values when empty).
    async fn subscribe(&self, keys: &[String]) -> Result<Subscription, ClientError>;
}

//! Client v2 of cninfra: one API to configure an agent and read what it did, over three
//! transports.
//!
//! | transport | constructor | reaches the agent | replies carry |
//! |---|---|---|---|
//! | local | [`Client::local`] | in process, through the orchestrator as the source `localclient` | sequence number, each value's status |
//! | gRPC | [`Client::grpc`] | vpp-agent's generic API (`ligato.generic.ManagerService`), models learned from `MetaService` | sequence number, each value's status |
//! | KV store | [`Client::kv`] | writes the keys the agent watches (`/vnf-agent/<label>/...`), values proto3 JSON | the keys written (the agent applies them after the store took them) |
//!
//! Values are models' protobuf messages (typed prost messages with descriptors, or
//! `prost_reflect::DynamicMessage`s when the client lacks the Rust type) or the JSON of
//! serde models; keys come from the models' name templates ([`cninfra_models`]).
//!
//! # Quick start
//! ```
//! use cninfra_client::Client;
//! use cninfra_kvscheduler::orchestrator::Orchestrator;
//! use cninfra_kvscheduler::{Scheduler, SchedulerConfig, ValueState};
//! use cninfra_ligato::vpp::interfaces::{Interface, interface::Type};
//! use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry, bridge_domain::Interface as Member};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scheduler = Scheduler::new(SchedulerConfig::default())?;
//! cninfra_kvscheduler_example::register_all(&scheduler, &Default::default())?;
//! let client = Client::local(&Orchestrator::new(scheduler), cninfra_kvscheduler_example::models());
//!
//! // A FIB entry before its bridge domain and interface: it waits for them.
//! let fib = FibEntry {
//!     phys_address: "62:89:c6:a3:7e:3a".into(),
//!     bridge_domain: "bd1".into(),
//!     outgoing_interface: "tap1".into(),
//!     ..Default::default()
//! };
//! let reply = client.change().put(&fib).send().await?;
//! assert!(reply.results[0].is_pending());
//!
//! let tap = Interface { name: "tap1".into(), r#type: Type::Tap as i32, enabled: true, ..Default::default() };
//! let bd = BridgeDomain {
//!     name: "bd1".into(),
//!     interfaces: vec![Member { name: "tap1".into(), ..Default::default() }],
//!     ..Default::default()
//! };
//! client.change().put(&tap).put(&bd).send().await?;
//! let config = client.get_config(&Default::default()).await?;
//! assert!(config.iter().all(|c| c.status.as_ref().unwrap().state == ValueState::Configured));
//!
//! // The whole configuration: the FIB entry is left out, so it goes.
//! client.resync([(&tap).into(), (&bd).into()]).send().await?;
//! assert_eq!(client.get_config(&Default::default()).await?.len(), 2);
//! # Ok(()) }
//! ```
//!
//! # Time limits
//! Every call is bounded by the client's time limit ([`DEFAULT_TIMEOUT`],
//! [`Client::with_timeout`]); a local transaction that runs out of time still completes
//! in the agent.

mod error;
mod filter;
mod item;
mod request;
mod subscription;
mod transport;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cninfra_kv::KvStore;
use cninfra_kvscheduler::orchestrator::Orchestrator;
use cninfra_models::{ModelInfo, ModelRegistry};

pub use cninfra_kvscheduler::{TxnOperation, ValueState, ValueStatus};
pub use error::ClientError;
pub use filter::Filter;
pub use item::{ConfigItem, Item, ItemResult, Notification, Reply, StateItem, Value};
pub use request::{ChangeRequest, ResyncRequest};
pub use subscription::Subscription;
pub use transport::grpc::{GrpcOptions, SEQ_NUM_HEADER, WAIT_HEADER};

use request::SetConfig;
use transport::Transport;

/// The time limit of a call unless [`Client::with_timeout`] sets another (agentctl's
/// default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// A client of one agent. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    transport: Arc<dyn Transport>,
    models: Arc<ModelRegistry>,
    infos: Arc<[ModelInfo]>,
    timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("transport", &self.transport)
            .field("models", &self.models.models().len())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Client {
    /// A client in the agent's process: its values go through `orchestrator` as the
    /// source `localclient` (which wins over gRPC and the KV store); `models` are the
    /// agent's.
    pub fn local(orchestrator: &Orchestrator, models: impl Into<Arc<ModelRegistry>>) -> Self {
        let models = models.into();
        let transport = transport::local::LocalTransport::new(orchestrator, Arc::clone(&models));
        Self::with_transport(Arc::new(transport), models)
    }

    /// A client writing the keys the agent labelled `label` watches in `store`
    /// (`/vnf-agent/<label>/...`), values as proto3 JSON. A resync lists the keys of
    /// `models` of class `config` and deletes those it does not give. Writes go in store
    /// transactions of 128 operations (etcd's default limit), so a large request is not
    /// applied all at once.
    pub fn kv(store: Arc<dyn KvStore>, label: &str, models: impl Into<Arc<ModelRegistry>>) -> Self {
        let models = models.into();
        let transport = transport::kv::KvTransport::new(store, label, Arc::clone(&models));
        Self::with_transport(Arc::new(transport), models)
    }

    /// A client of the agent's generic gRPC API at `endpoint` (`host:port`, or an
    /// `http://` / `https://` URL): connects, then learns the agent's models
    /// (`MetaService.KnownModels` and `ProtoFileDescriptor`), so values of messages the
    /// client has no Rust type for are dynamic messages.
    ///
    /// # Errors
    /// [`ClientError::Connect`], [`ClientError::GrpcConfig`], or the failure of the
    /// model calls ([`ClientError::Grpc`], [`ClientError::RemoteModel`]);
    /// [`ClientError::Timeout`] after [`DEFAULT_TIMEOUT`].
    pub async fn grpc(endpoint: &str, options: GrpcOptions) -> Result<Self, ClientError> {
        Self::grpc_within(endpoint, options, DEFAULT_TIMEOUT).await
    }

    /// [`Client::grpc`] with the time limit of connecting and learning the models, kept
    /// as the client's time limit per call.
    ///
    /// # Errors
    /// As [`Client::grpc`].
    pub async fn grpc_within(
        endpoint: &str,
        options: GrpcOptions,
        limit: Duration,
    ) -> Result<Self, ClientError> {
        let connected = tokio::time::timeout(limit, transport::grpc::connect(endpoint, options))
            .await
            .map_err(|_| ClientError::Timeout {
                transport: "gRPC",
                operation: "connect and learn the models",
                limit,
            })??;
        Ok(Self {
            transport: Arc::new(connected.transport),
            models: connected.models,
            infos: connected.infos.into(),
            timeout: limit,
        })
    }

    fn with_transport(transport: Arc<dyn Transport>, models: Arc<ModelRegistry>) -> Self {
        Self {
            transport,
            infos: models.infos(None).into(),
            models,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same client with another time limit per call.
    #[must_use]
    pub fn with_timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// The models the client knows: keys are made and values read with them. Over gRPC
    /// they carry the secret fields the agent marked (KnownModels' option
    /// [`cninfra_generic::SECRET_FIELDS_OPTION`]): [`Model::redact`](cninfra_models::Model::redact)
    /// hides them in what a tool prints; the values the client reads are not redacted.
    pub fn models(&self) -> &ModelRegistry {
        &self.models
    }

    /// Every model the agent reported (gRPC; for the other transports the client's
    /// models): over gRPC, models whose message the agent did not describe (serde
    /// models) are listed here but are not in [`models`](Self::models).
    pub fn model_infos(&self) -> &[ModelInfo] {
        &self.infos
    }

    /// A change: puts and deletes of single keys.
    pub fn change(&self) -> ChangeRequest {
        ChangeRequest::new(self.clone())
    }

    /// A resync: `values` (more with [`ResyncRequest::put`]) are this client's whole
    /// configuration.
    pub fn resync(&self, values: impl IntoIterator<Item = Value>) -> ResyncRequest {
        ResyncRequest::new(self.clone(), values)
    }

    /// The configuration the agent holds, with each value's status where the transport
    /// tells, sorted by key.
    ///
    /// # Errors
    /// The transport's; [`ClientError::Unsupported`] for label filters where the
    /// transport has no labels.
    pub async fn get_config(&self, filter: &Filter) -> Result<Vec<ConfigItem>, ClientError> {
        self.bounded("get config", self.transport.get_config(filter))
            .await
    }

    /// The values in the southbound (the agent's view of it), sorted by key.
    ///
    /// # Errors
    /// The transport's; [`ClientError::Unsupported`] through a KV store.
    pub async fn dump_state(&self) -> Result<Vec<StateItem>, ClientError> {
        self.bounded("dump state", self.transport.dump_state())
            .await
    }

    /// Status changes of the values of `keys` (relative to the agent prefix; all
    /// values when empty), e.g. PENDING then CONFIGURED.
    ///
    /// # Errors
    /// The transport's; [`ClientError::Unsupported`] through a KV store.
    pub async fn subscribe<S: AsRef<str>>(
        &self,
        keys: impl IntoIterator<Item = S>,
    ) -> Result<Subscription, ClientError> {
        let keys: Vec<String> = keys.into_iter().map(|k| k.as_ref().to_owned()).collect();
        self.bounded("subscribe", self.transport.subscribe(&keys))
            .await
    }

    async fn set_config(&self, request: SetConfig) -> Result<Reply, ClientError> {
        let operation = if request.resync { "resync" } else { "change" };
        // Waiting is part of the call: the limit covers it too.
        self.bounded(operation, self.transport.set_config(request))
            .await
    }

    async fn bounded<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| ClientError::Timeout {
                transport: self.transport.name(),
                operation,
                limit: self.timeout,
            })?
    }
}

//! The gRPC transport: vpp-agent's generic API (`ligato.generic.ManagerService` and
//! `MetaService`), served by the agent when gRPC is on. Models are learned at connect
//! time ([`models`]); values travel as `Any` with `models.ligato.io/` type URLs.

mod convert;
mod models;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cninfra_core::tls::ClientTls;
use cninfra_generic::pb;
use cninfra_generic::pb::manager_service_client::ManagerServiceClient;
use cninfra_generic::pb::meta_service_client::MetaServiceClient;
use cninfra_models::{ModelInfo, ModelRegistry};
use futures::StreamExt;
use prost_reflect::DescriptorPool;
use tonic::metadata::{AsciiMetadataValue, MetadataMap};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use super::Transport;
use crate::error::ClientError;
use crate::filter::Filter;
use crate::item::{ConfigItem, ItemResult, Notification, Reply, StateItem};
use crate::request::SetConfig;
use crate::subscription::Subscription;

const NAME: &str = "gRPC";

/// Response metadata of `SetConfig` with the transaction's sequence number (upstream's
/// `seqnum`; the same number comes as an extra result keyed `seqnum`, which the client
/// takes out of the results).
pub const SEQ_NUM_HEADER: &str = "seqnum";
/// Request metadata (`true`) asking `SetConfig` to wait until no value of the request
/// is PENDING or RETRYING, until the call's deadline.
pub const WAIT_HEADER: &str = "wait-done";

/// How to reach the agent's gRPC server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GrpcOptions {
    /// TLS (`None`: plain text). Upstream's "skip verify" is not available (tonic has
    /// no such switch): give the CA instead.
    pub tls: Option<ClientTls>,
    /// The `authorization` header of every call (`Basic <base64>` or `Bearer <token>`).
    pub authorization: Option<String>,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// Largest message accepted (a `GetConfig` of 100 000 values is ~10 MiB).
    pub max_message_size: usize,
}

impl Default for GrpcOptions {
    fn default() -> Self {
        Self {
            tls: None,
            authorization: None,
            connect_timeout: Duration::from_secs(5),
            max_message_size: 512 * 1024 * 1024,
        }
    }
}

impl GrpcOptions {
    /// Sets [`tls`](Self::tls).
    #[must_use]
    pub fn with_tls(mut self, tls: ClientTls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Sets [`authorization`](Self::authorization).
    #[must_use]
    pub fn with_authorization(mut self, value: impl Into<String>) -> Self {
        self.authorization = Some(value.into());
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    #[must_use]
    pub fn with_connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }
}

/// What every call carries: the endpoint for errors, the credentials.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    endpoint: String,
    authorization: Option<AsciiMetadataValue>,
}

impl Call {
    /// A request of `call` with the credentials.
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        if let Some(value) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        request
    }

    /// The error of a failed `call`.
    fn failed(&self, call: &'static str, status: tonic::Status) -> ClientError {
        ClientError::Grpc {
            call,
            endpoint: self.endpoint.clone(),
            source: Box::new(status),
        }
    }
}

/// The generic API's clients on one channel, and the models learned from it.
#[derive(Debug)]
pub(crate) struct GrpcTransport {
    call: Call,
    manager: ManagerServiceClient<Channel>,
    models: Arc<ModelRegistry>,
    pool: DescriptorPool,
}

/// What [`connect`] gives the client.
#[derive(Debug)]
pub(crate) struct Connected {
    pub(crate) transport: GrpcTransport,
    pub(crate) models: Arc<ModelRegistry>,
    pub(crate) infos: Vec<ModelInfo>,
}

/// Connects to `endpoint` (`host:port`, or a `http://` / `https://` URL) and learns the
/// agent's models.
pub(crate) async fn connect(
    endpoint: &str,
    options: GrpcOptions,
) -> Result<Connected, ClientError> {
    let config_error = |reason: String| ClientError::GrpcConfig {
        endpoint: endpoint.to_owned(),
        reason,
    };
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let uri = if endpoint.contains("://") {
        endpoint.to_owned()
    } else {
        format!("{scheme}://{endpoint}")
    };
    let mut channel = Endpoint::from_shared(uri)
        .map_err(|err| config_error(format!("not an address: {err}")))?
        .connect_timeout(options.connect_timeout);
    if let Some(tls) = options.tls {
        channel = channel
            .tls_config(tls_config(tls).map_err(config_error)?)
            .map_err(|err| config_error(err.to_string()))?;
    }
    let channel = channel
        .connect()
        .await
        .map_err(|source| ClientError::Connect {
            endpoint: endpoint.to_owned(),
            source,
        })?;
    let authorization = options
        .authorization
        .map(|value| {
            value
                .parse::<AsciiMetadataValue>()
                .map_err(|_| config_error("the authorization is not plain ASCII".into()))
        })
        .transpose()?;
    let call = Call {
        endpoint: endpoint.to_owned(),
        authorization,
    };
    let size = options.max_message_size;
    let mut meta = MetaServiceClient::new(channel.clone())
        .max_decoding_message_size(size)
        .max_encoding_message_size(size);
    let learned = models::learn(&mut meta, &call).await?;
    let models = Arc::new(learned.registry);
    let manager = ManagerServiceClient::new(channel)
        .max_decoding_message_size(size)
        .max_encoding_message_size(size);
    Ok(Connected {
        transport: GrpcTransport {
            call,
            manager,
            models: Arc::clone(&models),
            pool: learned.pool,
        },
        models,
        infos: learned.infos,
    })
}

fn tls_config(tls: ClientTls) -> Result<ClientTlsConfig, String> {
    if tls.skip_verify {
        return Err("TLS without verifying the server is not supported: give its CA".into());
    }
    let mut config = ClientTlsConfig::new();
    config = match tls.ca_pem {
        Some(pem) => config.ca_certificate(Certificate::from_pem(pem)),
        None => config.with_native_roots(),
    };
    if let Some(identity) = tls.identity {
        config = config.identity(Identity::from_pem(identity.cert_pem, identity.key_pem));
    }
    Ok(config)
}

/// The sequence number in `SetConfig`'s response headers.
fn seq_num(headers: &MetadataMap) -> Option<u64> {
    headers.get(SEQ_NUM_HEADER)?.to_str().ok()?.parse().ok()
}

#[async_trait]
impl Transport for GrpcTransport {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn set_config(&self, request: SetConfig) -> Result<Reply, ClientError> {
        const CALL: &str = "ManagerService.SetConfig";
        let updates = request
            .ops
            .into_iter()
            .map(|op| convert::update_of(&self.models, op))
            .collect::<Result<Vec<_>, _>>()?;
        tracing::debug!(
            items = updates.len(),
            bytes = convert::size_of(&updates),
            "SetConfig"
        );
        let mut call = self.call.request(pb::SetConfigRequest {
            updates,
            overwrite_all: request.resync,
        });
        if let Some(limit) = request.wait {
            // The agent waits until the call's deadline (less a margin for its answer).
            call.metadata_mut()
                .insert(WAIT_HEADER, AsciiMetadataValue::from_static("true"));
            call.set_timeout(limit);
        }
        let response = self
            .manager
            .clone()
            .set_config(call)
            .await
            .map_err(|s| self.call.failed(CALL, s))?;
        let mut seq = seq_num(response.metadata());
        let results = response
            .into_inner()
            .results
            .into_iter()
            .filter(|result| {
                // Upstream's extra result carrying the sequence number.
                let extra = result.id.is_none() && result.key == SEQ_NUM_HEADER;
                if extra && seq.is_none() {
                    seq = result.status.as_ref().and_then(|s| s.message.parse().ok());
                }
                !extra
            })
            .map(|result| {
                let key = match (&result.id, result.key.is_empty()) {
                    (_, false) => result.key.clone(),
                    (Some(id), true) => convert::key_of(&self.models, id),
                    (None, true) => String::new(),
                };
                Ok(ItemResult {
                    status: convert::status_of(CALL, &key, result.status)?,
                    model: result.id.map(|id| id.model).filter(|m| !m.is_empty()),
                    key,
                })
            })
            .collect::<Result<_, ClientError>>()?;
        Ok(Reply { seq, results })
    }

    async fn get_config(&self, filter: &Filter) -> Result<Vec<ConfigItem>, ClientError> {
        const CALL: &str = "ManagerService.GetConfig";
        let ids = filter
            .keys
            .iter()
            .map(|key| convert::id_of(&self.models, key))
            .collect::<Result<_, _>>()?;
        let request = pb::GetConfigRequest {
            ids,
            labels: filter.labels.clone().into_iter().collect(),
        };
        let items = self
            .manager
            .clone()
            .get_config(self.call.request(request))
            .await
            .map_err(|s| self.call.failed(CALL, s))?
            .into_inner()
            .items;
        let mut out = items
            .into_iter()
            .map(|config| {
                let item =
                    convert::item_of(&self.models, &self.pool, config.item.unwrap_or_default())?;
                Ok(ConfigItem {
                    status: convert::status_of(CALL, &item.key, config.status)?,
                    labels: convert::labels(config.labels),
                    item,
                })
            })
            .collect::<Result<Vec<_>, ClientError>>()?;
        out.sort_by(|a, b| a.item.key.cmp(&b.item.key));
        Ok(out)
    }

    async fn dump_state(&self) -> Result<Vec<StateItem>, ClientError> {
        const CALL: &str = "ManagerService.DumpState";
        let items = self
            .manager
            .clone()
            .dump_state(self.call.request(pb::DumpStateRequest::default()))
            .await
            .map_err(|s| self.call.failed(CALL, s))?
            .into_inner()
            .items;
        let mut out = items
            .into_iter()
            .map(|state| {
                Ok(StateItem {
                    item: convert::item_of(
                        &self.models,
                        &self.pool,
                        state.item.unwrap_or_default(),
                    )?,
                    metadata: convert::labels(state.metadata),
                })
            })
            .collect::<Result<Vec<_>, ClientError>>()?;
        out.sort_by(|a, b| a.item.key.cmp(&b.item.key));
        Ok(out)
    }

    async fn subscribe(&self, keys: &[String]) -> Result<Subscription, ClientError> {
        const CALL: &str = "ManagerService.Subscribe";
        let subscriptions = keys
            .iter()
            .map(|key| {
                Ok(pb::Subscription {
                    id: Some(convert::id_of(&self.models, key)?),
                })
            })
            .collect::<Result<_, ClientError>>()?;
        let stream = self
            .manager
            .clone()
            .subscribe(self.call.request(pb::SubscribeRequest { subscriptions }))
            .await
            .map_err(|s| self.call.failed(CALL, s))?
            .into_inner();
        let call = self.call.clone();
        let models = Arc::clone(&self.models);
        let notifications = stream.flat_map(move |answer| {
            let batch: Vec<Result<Notification, ClientError>> = match answer {
                Ok(answer) => answer
                    .notifications
                    .into_iter()
                    .filter_map(|n| notification(&models, n).transpose())
                    .collect(),
                Err(status) => vec![Err(call.failed(CALL, status))],
            };
            futures::stream::iter(batch)
        });
        Ok(Subscription::new(notifications))
    }
}

/// A notification of the wire as the client's; `None` without a status.
fn notification(
    models: &ModelRegistry,
    notification: pb::Notification,
) -> Result<Option<Notification>, ClientError> {
    let id = notification
        .item
        .and_then(|item| item.id)
        .unwrap_or_default();
    let key = convert::key_of(models, &id);
    let status = convert::status_of("ManagerService.Subscribe", &key, notification.status)?;
    Ok(status.map(|status| Notification {
        model: Some(id.model).filter(|m| !m.is_empty()),
        status,
    }))
}

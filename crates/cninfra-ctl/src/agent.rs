//! The agent as the global flags describe it: its REST API, its gRPC generic API (with
//! the models it reports) and its keys in etcd.

use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use base64::Engine as _;
use cninfra_client::{Client, GrpcOptions};
use cninfra_core::tls::{ClientTlsConfig, TlsKeys};
use cninfra_kv::KvStore;
use cninfra_kv_etcd::{EtcdConfig, EtcdStore};
use cninfra_models::{ModelInfo, ModelRegistry};

use crate::cli::{Format, Global};
use crate::rest::Rest;

/// The TLS flags, as named in errors.
pub(crate) const TLS_FLAGS: TlsKeys = TlsKeys {
    ca_file: "--tls-ca",
    cert_file: "--tls-cert",
    key_file: "--tls-key",
};

/// The TLS files of the flags.
pub(crate) fn tls_files(global: &Global) -> ClientTlsConfig {
    ClientTlsConfig {
        enabled: true,
        skip_verify: global.insecure_tls,
        ca_file: global.tls_ca.clone(),
        cert_file: global.tls_cert.clone(),
        key_file: global.tls_key.clone(),
    }
}

/// One agent and the ways to reach it.
#[derive(Debug)]
pub(crate) struct Agent {
    global: Global,
    rest: Rest,
}

impl Agent {
    /// The agent of the global flags.
    pub(crate) fn new(global: Global) -> anyhow::Result<Self> {
        let rest = Rest::new(&global)?;
        Ok(Self { global, rest })
    }

    /// The global flags.
    pub(crate) fn global(&self) -> &Global {
        &self.global
    }

    /// The output format: the flag's, else `default`.
    pub(crate) fn format(&self, default: Format) -> Format {
        self.global.format.unwrap_or(default)
    }

    /// The REST API.
    pub(crate) fn rest(&self) -> &Rest {
        &self.rest
    }

    /// `host:port` of the gRPC server.
    pub(crate) fn grpc_endpoint(&self) -> String {
        format!("{}:{}", self.global.host, self.global.grpc_port)
    }

    /// A client of the generic gRPC API, with the agent's models learned.
    pub(crate) async fn grpc(&self) -> anyhow::Result<Client> {
        let global = &self.global;
        let mut options = GrpcOptions::default().with_connect_timeout(global.timeout);
        if global.tls {
            options = options.with_tls(tls_files(global).load(TLS_FLAGS).context("gRPC client")?);
        }
        if let Some(token) = &global.grpc_token {
            options = options.with_authorization(format!("Bearer {token}"));
        } else if let Some(pair) = &global.http_basic_auth {
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            options = options.with_authorization(format!("Basic {encoded}"));
        }
        Ok(Client::grpc_within(&self.grpc_endpoint(), options, global.timeout).await?)
    }

    /// The agent's models, as it reports them over gRPC, in a registry that finds the
    /// model of a key (serde models included).
    pub(crate) async fn models(&self) -> anyhow::Result<Models> {
        let client = self.grpc().await.context("the agent's models")?;
        Models::new(client.model_infos().to_vec())
    }

    /// The etcd the flags name.
    pub(crate) async fn etcd(&self) -> anyhow::Result<Arc<dyn KvStore>> {
        let global = &self.global;
        let mut config =
            EtcdConfig::with_endpoints(global.etcd_endpoints.iter().map(String::as_str));
        config.dial_timeout = global.timeout;
        config.operation_timeout = global.timeout;
        if global.etcd_tls {
            config.ca_file = global.tls_ca.clone();
            config.cert_file = global.tls_cert.clone();
            config.key_file = global.tls_key.clone();
            config.insecure_skip_tls_verify = global.insecure_tls;
        }
        // The connector's errors name the endpoints.
        Ok(Arc::new(EtcdStore::connect(&config).await?))
    }

    /// `key` completed as agentctl does: a key not starting with `/` is the agent's,
    /// `/vnf-agent/<label>/<key>`.
    pub(crate) fn full_key(&self, key: &str) -> String {
        if key.starts_with('/') {
            key.to_owned()
        } else {
            format!("{}{key}", self.agent_prefix())
        }
    }

    /// `/vnf-agent/<label>/`.
    pub(crate) fn agent_prefix(&self) -> String {
        format!("/vnf-agent/{}/", self.global.service_label)
    }
}

/// The agent's models: the list it reported and a registry to find a key's model.
#[derive(Debug)]
pub(crate) struct Models {
    /// As reported.
    pub(crate) infos: Vec<ModelInfo>,
    /// Keys to models.
    pub(crate) registry: ModelRegistry,
}

impl Models {
    /// The models of `infos`.
    pub(crate) fn new(infos: Vec<ModelInfo>) -> anyhow::Result<Self> {
        let registry = ModelRegistry::from_infos(infos.clone()).context("the agent's models")?;
        Ok(Self { infos, registry })
    }

    /// The key prefix `what` stands for: a model name or proto name, else `what` itself
    /// when it looks like a key prefix (has a `/`).
    pub(crate) fn prefix_of(&self, what: &str) -> anyhow::Result<String> {
        if let Some(info) = self
            .infos
            .iter()
            .find(|i| i.name == what || i.proto_name == what)
        {
            return Ok(info.key_prefix.clone());
        }
        if what.contains('/') {
            return Ok(what.to_owned());
        }
        let mut names: Vec<&str> = self.infos.iter().map(|i| i.name.as_str()).collect();
        names.sort_unstable();
        Err(anyhow!(
            "unknown model `{what}`; the agent's models: {}",
            names.join(", ")
        ))
    }

    /// The model name and instance name of a key; `None` for a key of no model.
    pub(crate) fn split<'k>(&self, key: &'k str) -> Option<(&str, &'k str)> {
        let model = self.registry.for_key(key)?;
        Some((
            model.name(),
            model.strip_key_prefix(key).unwrap_or_default(),
        ))
    }
}

//! The typed builders: [`ChangeRequest`] (puts and deletes) and [`ResyncRequest`] (the
//! whole configuration), and what they hand the transport ([`SetConfig`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cninfra_models::{Model, ModelRegistry};
use prost_reflect::ReflectMessage;

use crate::Client;
use crate::error::ClientError;
use crate::item::{Reply, Value};

/// One key of a request: its value, or `None` for a delete.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    /// The key, relative to the agent prefix.
    pub(crate) key: String,
    /// The model holding the key, if the client knows one.
    pub(crate) model: Option<Arc<Model>>,
    /// The value; `None` deletes.
    pub(crate) value: Option<Value>,
    /// The item's labels.
    pub(crate) labels: BTreeMap<String, String>,
}

/// What a transport applies: a change or a resync.
#[derive(Debug, Clone, Default)]
pub(crate) struct SetConfig {
    /// The keys, in request order (a key given twice: the last op wins).
    pub(crate) ops: Vec<Op>,
    /// The ops are the whole configuration of this client (upstream's `overwrite_all`).
    pub(crate) resync: bool,
    /// Wait until no value of the request is PENDING or RETRYING, at most this long.
    pub(crate) wait: Option<Duration>,
}

impl SetConfig {
    /// Whether any op carries labels.
    pub(crate) fn has_labels(&self) -> bool {
        self.ops.iter().any(|op| !op.labels.is_empty())
    }
}

/// The ops of a request being built, and the first error met (reported by `send`, as
/// reqwest's builders do).
#[derive(Debug)]
struct Ops {
    client: Client,
    set: SetConfig,
    error: Option<ClientError>,
}

impl Ops {
    fn new(client: Client, resync: bool) -> Self {
        Self {
            client,
            set: SetConfig {
                resync,
                ..SetConfig::default()
            },
            error: None,
        }
    }

    fn models(&self) -> &ModelRegistry {
        self.client.models()
    }

    fn push(&mut self, made: Result<Op, ClientError>) {
        match made {
            Ok(op) => self.set.ops.push(op),
            Err(err) => {
                self.error.get_or_insert(err);
            }
        }
    }

    /// The op putting `value`, keyed by its model.
    fn put_value(&self, value: Value) -> Result<Op, ClientError> {
        let Value::Message(msg) = &value else {
            return Err(ClientError::UnknownModel {
                what: "a JSON value without its model (give the model or the key)".into(),
            });
        };
        let proto_name = msg.descriptor().full_name().to_owned();
        let model =
            self.models()
                .for_proto_name(&proto_name)
                .ok_or_else(|| ClientError::UnknownModel {
                    what: format!("message `{proto_name}`"),
                })?;
        let key = model.key_of(msg)?;
        Ok(Op {
            key,
            model: Some(Arc::clone(model)),
            value: Some(value),
            labels: BTreeMap::new(),
        })
    }

    /// The op putting the JSON value of the model named `model`.
    fn put_json(&self, model: &str, json: serde_json::Value) -> Result<Op, ClientError> {
        let found = self
            .models()
            .get(model)
            .ok_or_else(|| ClientError::UnknownModel {
                what: format!("model name `{model}`"),
            })?;
        let key = found.key_of(&json)?;
        let value = Value::decode(Some(found), &key, json.to_string().as_bytes())?;
        Ok(Op {
            key,
            model: Some(Arc::clone(found)),
            value: Some(value),
            labels: BTreeMap::new(),
        })
    }

    /// The op setting `key` (the model found by key, if any).
    fn set_key(&self, key: String, value: Option<Value>) -> Op {
        Op {
            model: self.models().for_key(&key).cloned(),
            key,
            value,
            labels: BTreeMap::new(),
        }
    }

    /// Adds labels to the last op.
    fn label_last(&mut self, labels: BTreeMap<String, String>) {
        if let Some(op) = self.set.ops.last_mut() {
            op.labels.extend(labels);
        }
    }

    async fn send(self) -> Result<Reply, ClientError> {
        if let Some(err) = self.error {
            return Err(err);
        }
        self.client.set_config(self.set).await
    }
}

/// The operations both builders share, written once.
macro_rules! put_methods {
    () => {
        /// Puts a prost message (generated with a descriptor, as `cninfra-ligato`'s);
        /// its key comes from its model's name template.
        pub fn put<M: ReflectMessage>(self, msg: &M) -> Self {
            self.put_value(Value::from_message(msg))
        }

        /// Puts a value: a [`Value::Message`] is keyed by its model; a
        /// [`Value::Json`] needs [`put_json`](Self::put_json) or
        /// [`put_key`](Self::put_key).
        pub fn put_value(mut self, value: Value) -> Self {
            let op = self.ops.put_value(value);
            self.ops.push(op);
            self
        }

        /// Puts the JSON value (proto3 JSON for a protobuf model) of the model named
        /// `model` (`vpp.interfaces`); its key comes from the model's name template.
        pub fn put_json(mut self, model: &str, json: serde_json::Value) -> Self {
            let op = self.ops.put_json(model, json);
            self.ops.push(op);
            self
        }

        /// Puts `value` under `key` (relative to the agent prefix), as given.
        pub fn put_key(mut self, key: impl Into<String>, value: Value) -> Self {
            let op = self.ops.set_key(key.into(), Some(value));
            self.ops.push(Ok(op));
            self
        }

        /// Labels the value put last (upstream's per-item labels: reverse-DNS keys).
        pub fn labels<K: Into<String>, V: Into<String>>(
            mut self,
            labels: impl IntoIterator<Item = (K, V)>,
        ) -> Self {
            self.ops.label_last(
                labels
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            );
            self
        }

        /// Waits until no value of the request is PENDING or RETRYING, at most
        /// `limit`; the reply then carries each value's status at that point (still
        /// PENDING ones included). Without it the reply carries the statuses right after the
        /// agent's transaction.
        pub fn wait(mut self, limit: Duration) -> Self {
            self.ops.set.wait = Some(limit);
            self
        }

        /// Sends the request.
        ///
        /// # Errors
        /// The first error met while building (an unknown model, a value whose key
        /// cannot be made), or the transport's. Values that fail in the agent are not
        /// an error: see [`Reply::failures`].
        pub async fn send(self) -> Result<Reply, ClientError> {
            self.ops.send().await
        }
    };
}

/// A change: puts and deletes of single keys ([`Client::change`]).
///
/// # Examples
/// ```no_run
/// use cninfra_ligato::vpp::interfaces::{Interface, interface::Type};
/// use cninfra_ligato::vpp::l2::BridgeDomain;
/// # async fn demo(client: cninfra_client::Client) -> Result<(), cninfra_client::ClientError> {
/// let tap = Interface { name: "tap1".into(), r#type: Type::Tap as i32, enabled: true, ..Default::default() };
/// let reply = client.change().put(&tap).delete::<BridgeDomain>("bd1").send().await?;
/// assert!(reply.is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until sent"]
pub struct ChangeRequest {
    ops: Ops,
}

impl ChangeRequest {
    pub(crate) fn new(client: Client) -> Self {
        Self {
            ops: Ops::new(client, false),
        }
    }

    put_methods!();

    /// Deletes the value of model `M` named `name` (its instance name: `tap1`, or
    /// `bd1/mac/62:89:c6:a3:7e:3a` for a FIB entry; empty for a singleton).
    pub fn delete<M: ReflectMessage + Default>(mut self, name: &str) -> Self {
        let proto_name = M::default().descriptor().full_name().to_owned();
        let op = match self.ops.models().for_proto_name(&proto_name) {
            Some(model) => {
                let key = cninfra_models::key::join(model.key_prefix(), name);
                Ok(self.ops.set_key(key, None))
            }
            None => Err(ClientError::UnknownModel {
                what: format!("message `{proto_name}`"),
            }),
        };
        self.ops.push(op);
        self
    }

    /// Deletes `key` (relative to the agent prefix).
    pub fn delete_key(mut self, key: impl Into<String>) -> Self {
        let op = self.ops.set_key(key.into(), None);
        self.ops.push(Ok(op));
        self
    }
}

/// A resync: the values given are this client's whole configuration; the agent removes
/// what the client put before and left out now ([`Client::resync`]).
#[derive(Debug)]
#[must_use = "a request does nothing until sent"]
pub struct ResyncRequest {
    ops: Ops,
}

impl ResyncRequest {
    pub(crate) fn new(client: Client, values: impl IntoIterator<Item = Value>) -> Self {
        let mut request = Self {
            ops: Ops::new(client, true),
        };
        for value in values {
            request = request.put_value(value);
        }
        request
    }

    put_methods!();
}

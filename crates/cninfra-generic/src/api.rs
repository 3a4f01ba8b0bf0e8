//! [`GenericApi`]: the operations of the generic API over the orchestrator, shared by the
//! gRPC services and the REST handlers.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use cninfra_kvscheduler::models::ModelRegistry;
use cninfra_kvscheduler::orchestrator::{
    GRPC_SOURCE, ItemLabels, Orchestrator, OrchestratorError, OrchestratorPlugin,
};
use cninfra_kvscheduler::{DumpView, KvSchedulerError, Origin, StatusSelector, TxnError};
use futures::stream::BoxStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::LOG;
use crate::error::GenericError;
use crate::filter::{id_matches, labels_match};
use crate::item::{Change, ItemCodec};
use crate::pb::{
    self, ConfigItem, DumpStateRequest, DumpStateResponse, GetConfigRequest, GetConfigResponse,
    KnownModelsRequest, KnownModelsResponse, ModelDetail, ProtoFileDescriptorRequest,
    ProtoFileDescriptorResponse, SetConfigRequest, SetConfigResponse, StateItem, SubscribeRequest,
    SubscribeResponse, UpdateResult, model_detail, update_result,
};
use crate::status::{item_status, wait_settled};
use crate::subscribe::Subscription;

/// How long a call waits for the scheduler to run its transaction or dump.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// How long SetConfig waits for its values when asked to wait without a deadline.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// The key of upstream's extra SetConfig result carrying the transaction's sequence
/// number in its status message (also sent as the `seqnum` response metadata).
pub const SEQNUM_KEY: &str = "seqnum";

/// The KnownModels option (of a model's `ModelDetail`) listing the paths of its secret
/// fields ([`ModelRegistry::mark_secret`]), each as proto field names joined by dots
/// (`memif.secret`); present only for a model with secret fields. Clients show these
/// fields' values as [`REDACTED`](cninfra_models::secret::REDACTED) in their dumps.
pub const SECRET_FIELDS_OPTION: &str = "secretFields";

/// How a SetConfig call is applied, beyond its request.
#[derive(Debug, Clone)]
pub struct SetOptions {
    /// The orchestrator source the items belong to (upstream's `datasrc` metadata);
    /// [`GRPC_SOURCE`] by default.
    pub source: String,
    /// Wait until no item of the request is PENDING or RETRYING, at most until this
    /// instant; the results then carry the states reached. `None`: answer at once.
    pub wait_until: Option<Instant>,
}

impl Default for SetOptions {
    fn default() -> Self {
        Self {
            source: GRPC_SOURCE.to_owned(),
            wait_until: None,
        }
    }
}

/// What SetConfig answers.
#[derive(Debug, Clone, PartialEq)]
pub struct SetConfigOutcome {
    /// The results: upstream's `seqnum` result first (when a transaction ran), then one
    /// per update with its key, operation and state.
    pub response: SetConfigResponse,
    /// The scheduler transaction's sequence number; `None` when every key is held by a
    /// source of higher precedence (nothing reached the scheduler).
    pub seq: Option<u64>,
}

/// The generic API's operations over the orchestrator of an [`OrchestratorPlugin`]
/// (looked up at each call, so the API can be built before the orchestrator exists) and
/// the models of a [`ModelRegistry`] (those with a protobuf message are served). Cheap to
/// clone; the gRPC services and the REST handlers are thin layers over it.
#[derive(Debug, Clone)]
pub struct GenericApi {
    orchestrator: Arc<OrchestratorPlugin>,
    codec: ItemCodec,
    closed: CancellationToken,
}

impl GenericApi {
    /// The API over `orchestrator`, serving `models`.
    pub fn new(
        orchestrator: Arc<OrchestratorPlugin>,
        models: impl Into<Arc<ModelRegistry>>,
    ) -> Self {
        Self {
            orchestrator,
            codec: ItemCodec::new(models.into()),
            closed: CancellationToken::new(),
        }
    }

    /// The models served (those with a protobuf message).
    pub fn models(&self) -> &ModelRegistry {
        self.codec.models()
    }

    /// Ends every open subscription (the agent stops).
    pub fn close(&self) {
        self.closed.cancel();
    }

    fn orchestrator(&self) -> Result<Orchestrator, GenericError> {
        self.orchestrator
            .orchestrator()
            .map_err(|err| GenericError::Unavailable(err.to_string()))
    }

    /// Applies the updates as one transaction of the source `options.source`: items with
    /// data are set (their keys made from their values by the models' name templates),
    /// items without data deleted; with `overwrite_all` the updates replace the source's
    /// whole share (a full resync; updates without data are left out). Labels go with
    /// their items. Transient failures are retried (upstream's default).
    ///
    /// A value the scheduler rejects or fails to apply is reported in its result (state
    /// INVALID, FAILED or RETRYING with the error), as PENDING is; the other items stay
    /// applied.
    ///
    /// # Errors
    /// Request errors ([`GenericError::UnknownModel`], [`GenericError::WrongMessage`],
    /// [`GenericError::Undecodable`], [`GenericError::NameMismatch`],
    /// [`GenericError::DuplicateKey`], ...) before anything is applied;
    /// [`GenericError::Unavailable`] before the orchestrator exists or once the scheduler
    /// stopped; [`GenericError::Timeout`] when the scheduler did not answer within
    /// [`CALL_TIMEOUT`] (the transaction still completes).
    pub async fn set_config(
        &self,
        request: SetConfigRequest,
        options: SetOptions,
    ) -> Result<SetConfigOutcome, GenericError> {
        let orchestrator = self.orchestrator()?;
        let mut changes: Vec<(Change, ItemLabels)> = Vec::with_capacity(request.updates.len());
        let mut keys = HashSet::with_capacity(request.updates.len());
        for (index, update) in request.updates.into_iter().enumerate() {
            let item = update.item.ok_or(GenericError::NoItem { index })?;
            let change = self.codec.change(index, &item)?;
            if !keys.insert(change.key.clone()) {
                return Err(GenericError::DuplicateKey { key: change.key });
            }
            changes.push((change, update.labels.into_iter().collect()));
        }

        let scheduler = orchestrator.scheduler().clone();
        // Opened before the transaction, so no status change of its values is missed.
        let watch = options.wait_until.map(|_| {
            let prefixes: BTreeSet<&str> = changes
                .iter()
                .filter_map(|(change, _)| self.codec.models().for_key(&change.key))
                .map(|model| model.key_prefix())
                .collect();
            let prefixes: Vec<&str> = prefixes.into_iter().collect();
            scheduler.watch_status_with_capacity(&prefixes, changes.len().max(1000))
        });

        let source = orchestrator.source(options.source.as_str());
        let mut txn = if request.overwrite_all {
            source.resync()
        } else {
            source.txn()
        };
        let mut ops = Vec::with_capacity(changes.len());
        let mut ids = Vec::with_capacity(changes.len());
        for (change, labels) in changes {
            let op = match &change.value {
                None => update_result::Operation::Delete,
                Some(_) if orchestrator.provider(&change.key).is_some() => {
                    update_result::Operation::Update
                }
                Some(_) => update_result::Operation::Create,
            };
            ops.push(op);
            ids.push((change.id, change.key.clone()));
            txn.set_labeled(change.key, change.value, labels);
        }
        let what = if request.overwrite_all {
            "resync"
        } else {
            "change"
        };
        let txn = txn
            .with_retry_default()
            .with_description(format!("generic API {what} ({} items)", ids.len()));
        let seq = commit(txn).await?;

        if let (Some(watch), Some(deadline)) = (watch, options.wait_until) {
            let waited = ids
                .iter()
                .zip(&ops)
                .filter(|(_, op)| **op != update_result::Operation::Delete)
                .map(|((_, key), _)| key.clone());
            wait_settled(&scheduler, watch, waited, deadline).await;
        }

        let mut results = Vec::with_capacity(ids.len() + 1);
        if let Some(seq) = seq {
            results.push(UpdateResult {
                id: None,
                key: SEQNUM_KEY.to_owned(),
                op: update_result::Operation::Unspecified.into(),
                status: Some(pb::ItemStatus {
                    status: cninfra_kvscheduler::ValueState::Nonexistent
                        .as_str()
                        .to_owned(),
                    message: seq.to_string(),
                }),
            });
        }
        for ((id, key), op) in ids.into_iter().zip(ops) {
            let status = item_status(&scheduler.status(&key).value);
            results.push(UpdateResult {
                id: Some(id),
                key,
                op: op.into(),
                status: Some(status),
            });
        }
        Ok(SetConfigOutcome {
            response: SetConfigResponse { results },
            seq,
        })
    }

    /// The desired configuration (the merge of every source, as upstream), each item with
    /// its state and labels, sorted by key; filtered by ids or by labels (not both).
    /// Keys of models without a protobuf message are left out.
    ///
    /// # Errors
    /// [`GenericError::IdsAndLabels`], [`GenericError::Unavailable`].
    pub fn get_config(
        &self,
        request: &GetConfigRequest,
    ) -> Result<GetConfigResponse, GenericError> {
        if !request.ids.is_empty() && !request.labels.is_empty() {
            return Err(GenericError::IdsAndLabels);
        }
        let orchestrator = self.orchestrator()?;
        let scheduler = orchestrator.scheduler();
        let items = orchestrator
            .desired_items()
            .into_iter()
            .filter(|desired| labels_match(&request.labels, &desired.labels))
            .filter_map(|desired| {
                let (_, id) = self.codec.id_of_key(&desired.key)?;
                if !id_matches(&request.ids, &id) {
                    return None;
                }
                let item = self.codec.item(&desired.key, Some(&desired.value))?;
                Some(ConfigItem {
                    item: Some(item),
                    status: Some(item_status(&scheduler.status(&desired.key).value)),
                    labels: desired.labels.into_iter().collect(),
                })
            })
            .collect();
        Ok(GetConfigResponse { items })
    }

    /// The running state as the scheduler holds it (its cached view: configured, obtained
    /// and pending values of the served models), filtered by ids, sorted by key. Each
    /// item's metadata has its `origin` (`FromNB`, `FromSB`) and, when the descriptor keeps
    /// some, its `metadata`.
    ///
    /// # Errors
    /// [`GenericError::Unavailable`], [`GenericError::Timeout`].
    pub async fn dump_state(
        &self,
        request: &DumpStateRequest,
    ) -> Result<DumpStateResponse, GenericError> {
        let orchestrator = self.orchestrator()?;
        let scheduler = orchestrator.scheduler().clone();
        let dumped = tokio::time::timeout(
            CALL_TIMEOUT,
            scheduler.dump(&StatusSelector::All, DumpView::Cached),
        )
        .await
        .map_err(|_| {
            GenericError::Timeout(format!(
                "the scheduler did not dump its values within {CALL_TIMEOUT:?}"
            ))
        })?
        .map_err(|err| match err {
            KvSchedulerError::Stopped => GenericError::Unavailable(err.to_string()),
            other => GenericError::Failed(other.to_string()),
        })?;
        let items = dumped
            .into_iter()
            .filter_map(|kv| {
                let (_, id) = self.codec.id_of_key(&kv.key)?;
                if !id_matches(&request.ids, &id) {
                    return None;
                }
                let item = self.codec.item(&kv.key, Some(&kv.value))?;
                let origin = match kv.origin {
                    Origin::FromNb => "FromNB",
                    Origin::FromSb => "FromSB",
                    Origin::Unknown => "UnknownOrigin",
                };
                let mut metadata =
                    std::collections::HashMap::from([("origin".to_owned(), origin.to_owned())]);
                if let Some(debug) = kv.metadata {
                    metadata.insert("metadata".to_owned(), debug);
                }
                Some(StateItem {
                    item: Some(item),
                    metadata,
                })
            })
            .collect();
        Ok(DumpStateResponse { items })
    }

    /// The status changes of the subscribed items as they happen, in batches: a
    /// subscription names a model and an item (an empty name: every item of the model);
    /// none: every item of the served models. Each notification carries the item (with
    /// its desired value, if any) and its new state. After a lag (the subscriber fell
    /// behind) every subscribed item's current state is sent. The stream ends when the
    /// scheduler stops or the API is closed.
    ///
    /// # Errors
    /// [`GenericError::UnknownModel`] / [`GenericError::NotProtobuf`] for a subscription
    /// to a model not served, [`GenericError::Unavailable`].
    pub fn subscribe(
        &self,
        request: &SubscribeRequest,
    ) -> Result<BoxStream<'static, SubscribeResponse>, GenericError> {
        let ids: Vec<pb::item::Id> = request
            .subscriptions
            .iter()
            .filter_map(|s| s.id.clone())
            .collect();
        Subscription::open(
            self.orchestrator()?,
            self.codec.clone(),
            ids,
            self.closed.clone(),
        )
    }

    /// The served models (those with a protobuf message), optionally of one class, with
    /// upstream's options `nameTemplate` and `protoFile`, and [`SECRET_FIELDS_OPTION`] for
    /// a model with secret fields; `active_modules` lists their modules.
    pub fn known_models(&self, request: &KnownModelsRequest) -> KnownModelsResponse {
        let class = (!request.class.is_empty()).then_some(request.class.as_str());
        let mut modules = BTreeSet::new();
        let known_models = self
            .models()
            .models()
            .iter()
            .filter(|model| class.is_none_or(|class| model.spec().class == class))
            .filter_map(|model| {
                let descriptor = model.descriptor()?;
                let spec = model.spec();
                modules.insert(spec.module.clone());
                let option = |key: &str, values: Vec<String>| model_detail::Option {
                    key: key.to_owned(),
                    values,
                };
                let mut options = vec![
                    option(
                        "nameTemplate",
                        vec![model.name_template().unwrap_or_default().to_owned()],
                    ),
                    option(
                        "protoFile",
                        vec![descriptor.parent_file().name().to_owned()],
                    ),
                ];
                if !model.secret_fields().is_empty() {
                    let paths = model.secret_fields().iter().map(ToString::to_string);
                    options.push(option(SECRET_FIELDS_OPTION, paths.collect()));
                }
                Some(ModelDetail {
                    spec: Some(pb::ModelSpec {
                        module: spec.module.clone(),
                        version: spec.version.clone(),
                        r#type: spec.type_.clone(),
                        class: spec.class.clone(),
                    }),
                    proto_name: model.proto_name().to_owned(),
                    options,
                })
            })
            .collect();
        KnownModelsResponse {
            known_models,
            active_modules: modules.into_iter().collect(),
        }
    }

    /// The descriptor of a file holding a served model's message, with every file it
    /// imports (directly or not; each once, imports before the files importing them).
    ///
    /// # Errors
    /// [`GenericError::UnknownFile`] naming the files that can be asked for.
    pub fn proto_file_descriptor(
        &self,
        request: &ProtoFileDescriptorRequest,
    ) -> Result<ProtoFileDescriptorResponse, GenericError> {
        let files: Vec<prost_reflect::FileDescriptor> = self
            .models()
            .models()
            .iter()
            .filter_map(|model| model.descriptor().map(|d| d.parent_file()))
            .collect();
        let Some(file) = files
            .iter()
            .find(|file| file.name() == request.full_proto_file_name)
        else {
            let known: BTreeSet<&str> = files.iter().map(|file| file.name()).collect();
            return Err(GenericError::UnknownFile {
                file: request.full_proto_file_name.clone(),
                known: known.into_iter().collect::<Vec<_>>().join(", "),
            });
        };
        let mut imports = Vec::new();
        let mut seen = HashSet::new();
        collect_imports(file, &mut seen, &mut imports);
        Ok(ProtoFileDescriptorResponse {
            file_descriptor: Some(file.file_descriptor_proto().clone()),
            file_import_descriptors: Some(prost_types::FileDescriptorSet { file: imports }),
        })
    }
}

/// The imports of `file`, depth first, each once, every file after its own imports.
fn collect_imports(
    file: &prost_reflect::FileDescriptor,
    seen: &mut HashSet<String>,
    out: &mut Vec<prost_types::FileDescriptorProto>,
) {
    for import in file.dependencies() {
        if seen.insert(import.name().to_owned()) {
            collect_imports(&import, seen, out);
            out.push(import.file_descriptor_proto().clone());
        }
    }
}

/// Commits in a task of its own (a dropped call never cuts a source transaction) and
/// waits for it at most [`CALL_TIMEOUT`]. Keys that failed are no error here: their
/// results say so.
async fn commit(
    txn: cninfra_kvscheduler::orchestrator::SourceTxn,
) -> Result<Option<u64>, GenericError> {
    let task = tokio::spawn(txn.commit());
    let outcome = match tokio::time::timeout(CALL_TIMEOUT, task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join)) => {
            tracing::error!(target: LOG, error = %join, "the commit task failed");
            return Err(GenericError::Failed(format!("the commit failed: {join}")));
        }
        Err(_) => {
            return Err(GenericError::Timeout(format!(
                "the scheduler did not answer within {CALL_TIMEOUT:?} (the change still applies)"
            )));
        }
    };
    match outcome {
        Ok(seq) => Ok(seq),
        Err(OrchestratorError::Keys { seq, errors, .. }) => {
            tracing::debug!(target: LOG, seq, failed = errors.len(), "values failed; reported in their results");
            Ok(Some(seq))
        }
        Err(OrchestratorError::Txn {
            cause: TxnError::Closed,
            ..
        }) => Err(GenericError::Unavailable(
            "the scheduler is stopped".to_owned(),
        )),
        Err(other) => Err(GenericError::Failed(other.to_string())),
    }
}

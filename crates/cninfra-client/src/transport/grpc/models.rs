//! Learning the agent's models at run time, as upstream's remote client does:
//! `MetaService.KnownModels`, then `ProtoFileDescriptor` for each model's proto file
//! (with its imports), into one `DescriptorPool`, and a [`ModelRegistry`] of the models
//! whose message is in it, with the secret fields the agent marked
//! ([`SECRET_FIELDS_OPTION`]).

use std::collections::{BTreeMap, BTreeSet};

use cninfra_generic::pb::meta_service_client::MetaServiceClient;
use cninfra_generic::{SECRET_FIELDS_OPTION, pb};
use cninfra_models::{ModelInfo, ModelRegistry, ModelSpec};
use prost_reflect::DescriptorPool;
use prost_types::FileDescriptorProto;
use tonic::transport::Channel;

use super::Call;
use crate::error::ClientError;

/// Upstream's `ModelDetail` option holding the name template.
pub(crate) const NAME_TEMPLATE_OPTION: &str = "nameTemplate";
/// Upstream's `ModelDetail` option holding the `.proto` file of the message.
pub(crate) const PROTO_FILE_OPTION: &str = "protoFile";

/// What the agent told about its models.
#[derive(Debug)]
pub(crate) struct RemoteModels {
    /// The models whose message the client could describe.
    pub(crate) registry: ModelRegistry,
    /// Every model the agent reported, as an exportable list (serde models and models
    /// without a proto file included).
    pub(crate) infos: Vec<ModelInfo>,
    /// The messages of the agent's proto files: values arrive as `Any`s of them.
    pub(crate) pool: DescriptorPool,
}

/// The first value of option `key`.
fn option<'d>(detail: &'d pb::ModelDetail, key: &str) -> Option<&'d str> {
    detail
        .options
        .iter()
        .find(|o| o.key == key)
        .and_then(|o| o.values.first())
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// Every value of the option listing the model's secret fields
/// ([`SECRET_FIELDS_OPTION`]); none from an agent that does not send it (upstream's).
fn secret_fields(detail: &pb::ModelDetail) -> impl Iterator<Item = &str> {
    detail
        .options
        .iter()
        .filter(|o| o.key == SECRET_FIELDS_OPTION)
        .flat_map(|o| o.values.iter())
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn spec_of(detail: &pb::ModelDetail) -> Result<ModelSpec, ClientError> {
    let bad = |reason: String| ClientError::RemoteModel {
        model: detail.proto_name.clone(),
        reason,
    };
    let spec = detail.spec.as_ref().ok_or_else(|| bad("no spec".into()))?;
    let class = if spec.class.is_empty() {
        "config"
    } else {
        &spec.class
    };
    ModelSpec::new(&spec.module, &spec.version, &spec.r#type)
        .and_then(|s| s.with_class(class))
        .map_err(|err| bad(err.to_string()))
}

/// Asks the agent for its models and their descriptors.
pub(crate) async fn learn(
    meta: &mut MetaServiceClient<Channel>,
    call: &Call,
) -> Result<RemoteModels, ClientError> {
    let known = meta
        .known_models(call.request(pb::KnownModelsRequest::default()))
        .await
        .map_err(|s| call.failed("MetaService.KnownModels", s))?
        .into_inner()
        .known_models;

    let files: BTreeSet<&str> = known
        .iter()
        .filter_map(|d| option(d, PROTO_FILE_OPTION))
        .collect();
    let mut protos: BTreeMap<String, FileDescriptorProto> = BTreeMap::new();
    for file in files {
        let request = pb::ProtoFileDescriptorRequest {
            full_proto_file_name: file.to_owned(),
        };
        let answer = meta
            .proto_file_descriptor(call.request(request))
            .await
            .map_err(|s| call.failed("MetaService.ProtoFileDescriptor", s))?
            .into_inner();
        let imports = answer.file_import_descriptors.map(|set| set.file);
        for proto in answer
            .file_descriptor
            .into_iter()
            .chain(imports.into_iter().flatten())
        {
            protos.entry(proto.name().to_owned()).or_insert(proto);
        }
    }
    let mut pool = DescriptorPool::new();
    pool.add_file_descriptor_protos(protos.into_values())
        .map_err(|err| ClientError::RemoteModel {
            model: "proto files".into(),
            reason: err.to_string(),
        })?;

    let mut registry = ModelRegistry::new();
    let mut infos = Vec::with_capacity(known.len());
    for detail in &known {
        let spec = spec_of(detail)?;
        let template = option(detail, NAME_TEMPLATE_OPTION);
        match pool.get_message_by_name(&detail.proto_name) {
            Some(descriptor) => {
                let index = registry.register_dynamic(spec, descriptor, template)?;
                let name = registry.models()[index].name().to_owned();
                for path in secret_fields(detail) {
                    let steps: Vec<&str> = path.split('.').collect();
                    registry.mark_secret(&name, &steps).map_err(|err| {
                        ClientError::RemoteModel {
                            model: detail.proto_name.clone(),
                            reason: format!("secret field `{path}`: {err}"),
                        }
                    })?;
                }
                infos.push(registry.models()[index].info());
            }
            None => {
                // A serde model, or a message without its file: listed, not usable for
                // values over gRPC.
                tracing::debug!(model = %detail.proto_name, "no descriptor for a remote model");
                infos.push(ModelInfo {
                    name: spec.name(),
                    key_prefix: spec.key_prefix(),
                    spec,
                    proto_name: detail.proto_name.clone(),
                    name_template: template.map(str::to_owned),
                });
            }
        }
    }
    Ok(RemoteModels {
        registry,
        infos,
        pool,
    })
}

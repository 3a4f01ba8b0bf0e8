//! The model registry: models by name, by proto name, by Rust type and by key.

use std::any::TypeId;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, ReflectMessage};
use serde::{Deserialize, Serialize};

use crate::template::{Fields, NameTemplate};
use crate::{ModelError, ModelSpec};

/// Upstream's name template of messages named by their `name` field.
pub const NAME_FIELD_TEMPLATE: &str = "{{.Name}}";

/// How instance names are made.
#[derive(Debug, Clone)]
enum Naming {
    /// By a name template (the `{{.Name}}` default included).
    Template(NameTemplate),
    /// A global singleton: no name, the key is the prefix without its trailing slash.
    Singleton,
}

/// A registered model: spec, message and naming, with its name and key prefix computed
/// once.
#[derive(Debug, Clone)]
pub struct Model {
    spec: ModelSpec,
    proto_name: String,
    descriptor: Option<MessageDescriptor>,
    naming: Naming,
    name: String,
    key_prefix: String,
}

impl Model {
    /// The spec.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// `<module>.<type>` (`vpp.l2.fib`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full proto name of the message (`ligato.vpp.l2.FIBEntry`); for a serde model, its
    /// Rust type name.
    pub fn proto_name(&self) -> &str {
        &self.proto_name
    }

    /// The message descriptor (`None` for serde models and for models known only from an
    /// exported list).
    pub fn descriptor(&self) -> Option<&MessageDescriptor> {
        self.descriptor.as_ref()
    }

    /// The name template; `None` for a singleton.
    pub fn name_template(&self) -> Option<&str> {
        match &self.naming {
            Naming::Template(template) => Some(template.as_str()),
            Naming::Singleton => None,
        }
    }

    /// The key prefix (`config/vpp/l2/v2/fib/`); for a singleton, its whole key.
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// Whether `key` belongs to the model.
    pub fn is_key_valid(&self, key: &str) -> bool {
        match self.naming {
            Naming::Singleton => key == self.key_prefix,
            Naming::Template(_) => {
                key.len() > self.key_prefix.len() && key.starts_with(&self.key_prefix)
            }
        }
    }

    /// The instance name of `key` (`None` if the key is not the model's).
    pub fn strip_key_prefix<'k>(&self, key: &'k str) -> Option<&'k str> {
        self.is_key_valid(key)
            .then(|| &key[self.key_prefix.len()..])
    }

    /// The instance name of a value, read through [`Fields`].
    ///
    /// # Errors
    /// [`ModelError::Name`] when the template cannot be rendered (a missing field).
    pub fn instance_name(&self, value: &dyn Fields) -> Result<String, ModelError> {
        match &self.naming {
            Naming::Singleton => Ok(String::new()),
            Naming::Template(template) => {
                template.render(value).map_err(|source| ModelError::Name {
                    model: self.name.clone(),
                    source,
                })
            }
        }
    }

    /// The key of a value read through [`Fields`] (a `DynamicMessage`, a JSON object).
    ///
    /// # Errors
    /// As [`instance_name`](Self::instance_name).
    pub fn key_of(&self, value: &dyn Fields) -> Result<String, ModelError> {
        let name = self.instance_name(value)?;
        Ok(format!("{}{name}", self.key_prefix))
    }

    /// The key of a prost message of this model.
    ///
    /// # Errors
    /// [`ModelError::WrongMessage`] for a message of another model, or a naming error.
    pub fn key_of_message<M: ReflectMessage>(&self, msg: &M) -> Result<String, ModelError> {
        let desc = msg.descriptor();
        if desc.full_name() != self.proto_name {
            return Err(ModelError::WrongMessage {
                model: self.name.clone(),
                expected: self.proto_name.clone(),
                found: desc.full_name().to_owned(),
            });
        }
        self.key_of(&msg.transcode_to_dynamic())
    }

    /// The exportable description.
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            spec: self.spec.clone(),
            proto_name: self.proto_name.clone(),
            name_template: self.name_template().map(str::to_owned),
            name: self.name.clone(),
            key_prefix: self.key_prefix.clone(),
        }
    }
}

/// A model as exported (REST, gRPC `ListModels`): enough for a remote client to build keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// The spec.
    pub spec: ModelSpec,
    /// Full proto name (or Rust type name of a serde model).
    pub proto_name: String,
    /// The name template; absent for a singleton.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_template: Option<String>,
    /// `<module>.<type>`.
    pub name: String,
    /// Key prefix.
    pub key_prefix: String,
}

/// Models by name, proto name, Rust type and key prefix. Every lookup is one hash lookup,
/// by key one per distinct prefix length (upstream scans every model).
///
/// # Examples
/// ```
/// use cninfra_models::{ModelRegistry, ModelSpec};
///
/// #[derive(serde::Serialize)]
/// struct Item { name: String, kind: String }
///
/// let mut registry = ModelRegistry::new();
/// registry.register_serde::<Item>(ModelSpec::new("example", "v1", "items")?, None)?;
/// let key = registry.key_of_serde(&Item { name: "web".into(), kind: "server".into() })?;
/// assert_eq!(key, "config/example/v1/items/web");
/// assert_eq!(registry.for_key(&key).map(|m| m.name()), Some("example.items"));
/// # Ok::<(), cninfra_models::ModelError>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct ModelRegistry {
    models: Vec<Arc<Model>>,
    by_name: HashMap<String, usize>,
    by_proto_name: HashMap<String, usize>,
    by_type: HashMap<TypeId, usize>,
    by_prefix: HashMap<String, usize>,
    prefix_lens: BTreeSet<usize>,
}

impl ModelRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the prost message `M` as a model. Without a template, a message with a
    /// string `name` field is named by it (`{{.Name}}`), any other is a singleton.
    ///
    /// # Errors
    /// [`ModelError::Duplicate`] when the message, name or key prefix is taken (naming
    /// both models), [`ModelError::Template`] for a template that does not parse.
    pub fn register<M: ReflectMessage + Default + 'static>(
        &mut self,
        spec: ModelSpec,
        name_template: Option<&str>,
    ) -> Result<&Arc<Model>, ModelError> {
        let index = self.register_dynamic(spec, M::default().descriptor(), name_template)?;
        self.by_type.insert(TypeId::of::<M>(), index);
        Ok(&self.models[index])
    }

    /// Registers a message known only by its descriptor (a remote or dynamic model).
    ///
    /// # Errors
    /// As [`register`](Self::register).
    pub fn register_dynamic(
        &mut self,
        spec: ModelSpec,
        descriptor: MessageDescriptor,
        name_template: Option<&str>,
    ) -> Result<usize, ModelError> {
        let has_name = descriptor
            .get_field_by_name("name")
            .is_some_and(|field| field.kind() == Kind::String && !field.is_list());
        let template = match name_template {
            Some(template) => Some(template),
            None => has_name.then_some(NAME_FIELD_TEMPLATE),
        };
        self.insert(
            spec,
            descriptor.full_name().to_owned(),
            Some(descriptor),
            template,
        )
    }

    /// Registers the serde type `T` as a model, named by `name_template` (default
    /// `{{.Name}}`: its `name` field).
    ///
    /// # Errors
    /// As [`register`](Self::register).
    pub fn register_serde<T: Serialize + 'static>(
        &mut self,
        spec: ModelSpec,
        name_template: Option<&str>,
    ) -> Result<&Arc<Model>, ModelError> {
        let template = name_template.unwrap_or(NAME_FIELD_TEMPLATE);
        let index = self.insert(
            spec,
            std::any::type_name::<T>().to_owned(),
            None,
            Some(template),
        )?;
        self.by_type.insert(TypeId::of::<T>(), index);
        Ok(&self.models[index])
    }

    /// A registry rebuilt from an exported model list (models without descriptors: their
    /// keys are made from JSON values).
    ///
    /// # Errors
    /// An invalid spec or template, or a duplicate.
    pub fn from_infos(infos: impl IntoIterator<Item = ModelInfo>) -> Result<Self, ModelError> {
        let mut registry = Self::new();
        for info in infos {
            registry.insert(
                info.spec.normalized()?,
                info.proto_name,
                None,
                info.name_template.as_deref(),
            )?;
        }
        Ok(registry)
    }

    fn insert(
        &mut self,
        spec: ModelSpec,
        proto_name: String,
        descriptor: Option<MessageDescriptor>,
        name_template: Option<&str>,
    ) -> Result<usize, ModelError> {
        let spec = spec.normalized()?;
        let name = spec.name();
        let naming = match name_template {
            Some(text) => Naming::Template(NameTemplate::parse(text).map_err(|source| {
                ModelError::Template {
                    model: name.clone(),
                    source,
                }
            })?),
            None => Naming::Singleton,
        };
        let mut key_prefix = spec.key_prefix();
        if matches!(naming, Naming::Singleton) {
            key_prefix.pop();
        }
        let taken = |what: &'static str, value: &str, index: usize| ModelError::Duplicate {
            what,
            value: value.to_owned(),
            existing: self.models[index].name.clone(),
            new: name.clone(),
        };
        if let Some(&index) = self.by_proto_name.get(&proto_name) {
            return Err(taken("message", &proto_name, index));
        }
        if let Some(&index) = self.by_name.get(&name) {
            return Err(taken("name", &name, index));
        }
        if let Some(&index) = self.by_prefix.get(&key_prefix) {
            return Err(taken("key prefix", &key_prefix, index));
        }
        let index = self.models.len();
        self.by_name.insert(name.clone(), index);
        self.by_proto_name.insert(proto_name.clone(), index);
        self.by_prefix.insert(key_prefix.clone(), index);
        self.prefix_lens.insert(key_prefix.len());
        self.models.push(Arc::new(Model {
            spec,
            proto_name,
            descriptor,
            naming,
            name,
            key_prefix,
        }));
        Ok(index)
    }

    /// Every model, in registration order.
    pub fn models(&self) -> &[Arc<Model>] {
        &self.models
    }

    /// The model named `<module>.<type>`.
    pub fn get(&self, name: &str) -> Option<&Arc<Model>> {
        self.by_name.get(name).map(|&i| &self.models[i])
    }

    /// The model of a full proto name (or a serde model's Rust type name).
    pub fn for_proto_name(&self, proto_name: &str) -> Option<&Arc<Model>> {
        self.by_proto_name.get(proto_name).map(|&i| &self.models[i])
    }

    /// The model of the Rust type `T`.
    pub fn for_type<T: 'static>(&self) -> Option<&Arc<Model>> {
        self.by_type
            .get(&TypeId::of::<T>())
            .map(|&i| &self.models[i])
    }

    /// The model a key belongs to: one hash lookup per distinct prefix length, longest
    /// first.
    pub fn for_key(&self, key: &str) -> Option<&Arc<Model>> {
        self.prefix_lens.iter().rev().find_map(|&len| {
            let model = &self.models[*self.by_prefix.get(key.get(..len)?)?];
            model.is_key_valid(key).then_some(model)
        })
    }

    /// The key of a prost message of a registered model.
    ///
    /// # Errors
    /// [`ModelError::Unknown`] for a message no model has, or a naming error.
    pub fn key_of_message<M: ReflectMessage>(&self, msg: &M) -> Result<String, ModelError> {
        let desc = msg.descriptor();
        let model = self
            .for_proto_name(desc.full_name())
            .ok_or_else(|| ModelError::Unknown {
                what: desc.full_name().to_owned(),
            })?;
        model.key_of(&msg.transcode_to_dynamic())
    }

    /// The key of a dynamic message of a registered model.
    ///
    /// # Errors
    /// As [`key_of_message`](Self::key_of_message).
    pub fn key_of_dynamic(&self, msg: &DynamicMessage) -> Result<String, ModelError> {
        let name = msg.descriptor().full_name().to_owned();
        self.for_proto_name(&name)
            .ok_or(ModelError::Unknown { what: name })?
            .key_of(msg)
    }

    /// The key of a value of a registered serde model.
    ///
    /// # Errors
    /// [`ModelError::Unknown`] for an unregistered type, [`ModelError::NotSerialisable`],
    /// or a naming error.
    pub fn key_of_serde<T: Serialize + 'static>(&self, value: &T) -> Result<String, ModelError> {
        let model = self.for_type::<T>().ok_or_else(|| ModelError::Unknown {
            what: std::any::type_name::<T>().to_owned(),
        })?;
        let json = serde_json::to_value(value).map_err(|err| ModelError::NotSerialisable {
            model: model.name.clone(),
            reason: err.to_string(),
        })?;
        model.key_of(&json)
    }

    /// The model list for export, optionally of one class.
    pub fn infos(&self, class: Option<&str>) -> Vec<ModelInfo> {
        self.models
            .iter()
            .filter(|m| class.is_none_or(|c| m.spec.class == c))
            .map(|m| m.info())
            .collect()
    }
}

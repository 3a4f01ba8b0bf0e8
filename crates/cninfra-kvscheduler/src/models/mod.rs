//! Models: what kinds of values exist, their key prefixes and how instances are named,
//! with a registry that finds the model of a key by prefix.
//!
//! A model is a [`ModelSpec`] (module, version, type, class) plus a [`NameSource`]; its key
//! prefix is `config/<module>/<version>/<type>/` and an instance key is the prefix plus
//! the instance name. The [`ModelRegistry`] looks models up by name, by Rust type, by type
//! name (a proto or serde type name) and by key, each in a hash lookup or a few (one per
//! distinct prefix length), where upstream scans all models. The model list exports as
//! JSON ([`ModelInfo`]) so a remote client can rebuild the registry and build keys.
//!
//! # Examples
//! ```
//! use cninfra_kvscheduler::models::{ModelRegistry, ModelSpec, NameSource};
//!
//! #[derive(serde::Serialize)]
//! struct Fib { bridge_domain: String, phys_address: String }
//!
//! let mut registry = ModelRegistry::new();
//! registry.register::<Fib>(
//!     ModelSpec::new("example", "v1", "fib")?,
//!     NameSource::Template("{{.bridge_domain}}/mac/{{.phys_address}}".into()),
//! )?;
//! let fib = Fib { bridge_domain: "bd1".into(), phys_address: "aa:bb:cc:dd:ee:ff".into() };
//! let key = registry.key_of(&fib)?;
//! assert_eq!(key, "config/example/v1/fib/bd1/mac/aa:bb:cc:dd:ee:ff");
//! assert_eq!(registry.for_key(&key).map(|m| m.name()), Some("example.fib"));
//! # Ok::<(), cninfra_kvscheduler::models::ModelError>(())
//! ```

mod name;
mod registry;
mod spec;

pub use name::NameSource;
pub use registry::{Model, ModelInfo, ModelRegistry};
pub use spec::ModelSpec;

/// What can go wrong with models.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A spec field breaks its rule.
    #[error("invalid model {field} `{value}`: must be {rule}")]
    InvalidSpec {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
        /// The rule.
        rule: &'static str,
    },
    /// A model with this name, type or key prefix exists already.
    #[error("model {what} `{value}` is already registered")]
    Duplicate {
        /// `name`, `type` or `key prefix`.
        what: &'static str,
        /// The duplicate.
        value: String,
    },
    /// The value lacks a field the name needs.
    #[error("model `{model}`: value has no scalar field `{field}` for its name")]
    MissingField {
        /// The model.
        model: String,
        /// The field path.
        field: String,
    },
    /// A name template has an unclosed placeholder.
    #[error("model `{model}`: bad name template `{template}`")]
    BadTemplate {
        /// The model.
        model: String,
        /// The template.
        template: String,
    },
    /// No model for this Rust type or type name.
    #[error("no model registered for type `{type_name}`")]
    UnknownType {
        /// The type.
        type_name: String,
    },
    /// The value cannot be turned into JSON.
    #[error("model `{model}`: value is not serialisable: {reason}")]
    NotSerialisable {
        /// The model.
        model: String,
        /// Why.
        reason: String,
    },
}

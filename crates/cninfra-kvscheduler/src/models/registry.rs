//! The model registry.

use std::any::TypeId;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{ModelError, ModelSpec, NameSource};
use crate::hash::FastMap;

/// A registered model, with its name and key prefix computed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    spec: ModelSpec,
    type_name: String,
    name_source: NameSource,
    name: String,
    key_prefix: String,
}

impl Model {
    /// The spec.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// `<module>.<type>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type name given at registration (Rust or proto type name).
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// How instance names are made.
    pub fn name_source(&self) -> &NameSource {
        &self.name_source
    }

    /// Key prefix; for a singleton, its whole key.
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// The key of a value given as JSON.
    ///
    /// # Errors
    /// When the value lacks a field the name needs.
    pub fn key_for_json(&self, value: &serde_json::Value) -> Result<String, ModelError> {
        let name = self.name_source.instance_name(&self.name, value)?;
        Ok(format!("{}{name}", self.key_prefix))
    }

    /// Whether `key` belongs to the model.
    pub fn is_key_valid(&self, key: &str) -> bool {
        match self.name_source {
            NameSource::Singleton => key == self.key_prefix,
            _ => key.len() > self.key_prefix.len() && key.starts_with(&self.key_prefix),
        }
    }

    /// The instance name of `key` (`None` if the key is not the model's).
    pub fn strip_key_prefix<'k>(&self, key: &'k str) -> Option<&'k str> {
        self.is_key_valid(key)
            .then(|| &key[self.key_prefix.len()..])
    }

    /// The exportable description.
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            spec: self.spec.clone(),
            type_name: self.type_name.clone(),
            name_source: self.name_source.clone(),
            name: self.name.clone(),
            key_prefix: self.key_prefix.clone(),
        }
    }
}

/// A model as exported (JSON, and gRPC `ListModels` with the `grpc` feature), enough for a
/// remote client to build keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// The spec.
    pub spec: ModelSpec,
    /// Type name (Rust or proto).
    pub type_name: String,
    /// How instance names are made.
    pub name_source: NameSource,
    /// `<module>.<type>`.
    pub name: String,
    /// Key prefix.
    pub key_prefix: String,
}

/// Models by name, type and key prefix.
#[derive(Debug, Default, Clone)]
pub struct ModelRegistry {
    models: Vec<Model>,
    by_name: FastMap<String, usize>,
    by_type_name: FastMap<String, usize>,
    by_type_id: FastMap<TypeId, usize>,
    by_prefix: FastMap<String, usize>,
    prefix_lens: BTreeSet<usize>,
}

impl ModelRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the model of Rust type `T`.
    ///
    /// # Errors
    /// [`ModelError::Duplicate`] when the name, type or key prefix is taken.
    pub fn register<T: 'static>(
        &mut self,
        spec: ModelSpec,
        name_source: NameSource,
    ) -> Result<&Model, ModelError> {
        if self.by_type_id.contains_key(&TypeId::of::<T>()) {
            return Err(ModelError::Duplicate {
                what: "type",
                value: std::any::type_name::<T>().to_owned(),
            });
        }
        let index = self.insert(spec, std::any::type_name::<T>().to_owned(), name_source)?;
        self.by_type_id.insert(TypeId::of::<T>(), index);
        Ok(&self.models[index])
    }

    /// Registers a model known only by its type name (a remote or dynamic model).
    ///
    /// # Errors
    /// [`ModelError::Duplicate`] when the name, type name or key prefix is taken.
    pub fn register_named(
        &mut self,
        spec: ModelSpec,
        type_name: &str,
        name_source: NameSource,
    ) -> Result<&Model, ModelError> {
        let index = self.insert(spec, type_name.to_owned(), name_source)?;
        Ok(&self.models[index])
    }

    /// A registry rebuilt from an exported model list.
    ///
    /// # Errors
    /// As [`register_named`](Self::register_named), or an invalid spec.
    pub fn from_infos(infos: Vec<ModelInfo>) -> Result<Self, ModelError> {
        let mut registry = Self::new();
        for info in infos {
            registry.register_named(info.spec.normalized()?, &info.type_name, info.name_source)?;
        }
        Ok(registry)
    }

    fn insert(
        &mut self,
        spec: ModelSpec,
        type_name: String,
        name_source: NameSource,
    ) -> Result<usize, ModelError> {
        let spec = spec.normalized()?;
        let name = spec.name();
        let mut key_prefix = spec.key_prefix();
        if name_source == NameSource::Singleton {
            key_prefix.pop();
        }
        let duplicate = |what, value: &str| ModelError::Duplicate {
            what,
            value: value.to_owned(),
        };
        if self.by_name.contains_key(&name) {
            return Err(duplicate("name", &name));
        }
        if self.by_type_name.contains_key(&type_name) {
            return Err(duplicate("type", &type_name));
        }
        if self.by_prefix.contains_key(&key_prefix) {
            return Err(duplicate("key prefix", &key_prefix));
        }
        let index = self.models.len();
        self.by_name.insert(name.clone(), index);
        self.by_type_name.insert(type_name.clone(), index);
        self.by_prefix.insert(key_prefix.clone(), index);
        self.prefix_lens.insert(key_prefix.len());
        self.models.push(Model {
            spec,
            type_name,
            name_source,
            name,
            key_prefix,
        });
        Ok(index)
    }

    /// Every model, in registration order.
    pub fn models(&self) -> &[Model] {
        &self.models
    }

    /// The model named `<module>.<type>`.
    pub fn get(&self, name: &str) -> Option<&Model> {
        self.by_name.get(name).map(|&i| &self.models[i])
    }

    /// The model of Rust type `T`.
    pub fn for_type<T: 'static>(&self) -> Option<&Model> {
        self.by_type_id
            .get(&TypeId::of::<T>())
            .map(|&i| &self.models[i])
    }

    /// The model registered with this type name (Rust or proto full name).
    pub fn for_type_name(&self, type_name: &str) -> Option<&Model> {
        self.by_type_name.get(type_name).map(|&i| &self.models[i])
    }

    /// The model a key belongs to: one hash lookup per distinct prefix length, longest
    /// first.
    pub fn for_key(&self, key: &str) -> Option<&Model> {
        self.prefix_lens.iter().rev().find_map(|&len| {
            let model = &self.models[*self.by_prefix.get(key.get(..len)?)?];
            model.is_key_valid(key).then_some(model)
        })
    }

    /// The key of a typed value.
    ///
    /// # Errors
    /// [`ModelError::UnknownType`] for an unregistered type, or a naming error.
    pub fn key_of<T: Serialize + 'static>(&self, value: &T) -> Result<String, ModelError> {
        let model = self
            .for_type::<T>()
            .ok_or_else(|| ModelError::UnknownType {
                type_name: std::any::type_name::<T>().to_owned(),
            })?;
        let json = serde_json::to_value(value).map_err(|err| ModelError::NotSerialisable {
            model: model.name.clone(),
            reason: err.to_string(),
        })?;
        model.key_for_json(&json)
    }

    /// The model list for export, optionally of one class.
    pub fn infos(&self, class: Option<&str>) -> Vec<ModelInfo> {
        self.models
            .iter()
            .filter(|m| class.is_none_or(|c| m.spec.class == c))
            .map(Model::info)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_validated_and_normalised() {
        let spec = ModelSpec::new("vpp", "", "interfaces").unwrap();
        assert_eq!(
            (spec.class.as_str(), spec.version.as_str()),
            ("config", "v0")
        );
        for (module, version, type_) in [
            ("Vpp", "v1", "x"),
            ("a.b.c", "v1", "x"),
            ("vpp", "2", "x"),
            ("vpp", "v1", ""),
        ] {
            assert!(
                ModelSpec::new(module, version, type_).is_err(),
                "{module} {version} {type_}"
            );
        }
        let err = ModelSpec::new("vpp", "version2", "x").unwrap_err();
        assert!(err.to_string().contains("version `version2`"), "{err}");
    }

    #[test]
    fn lookups_by_name_type_and_key() {
        struct Iface;
        struct Global;
        let mut r = ModelRegistry::new();
        r.register::<Iface>(
            ModelSpec::new("vpp", "v2", "interfaces").unwrap(),
            NameSource::default(),
        )
        .unwrap();
        r.register::<Global>(
            ModelSpec::new("vpp.l3", "v2", "proxyarp-global").unwrap(),
            NameSource::Singleton,
        )
        .unwrap();
        r.register_named(
            ModelSpec::new("vpp.l3", "v2", "route").unwrap(),
            "ligato.vpp.l3.Route",
            NameSource::Template("{{.vrf}}/{{.dst}}".into()),
        )
        .unwrap();
        assert_eq!(
            r.for_key("config/vpp/v2/interfaces/loop0").map(Model::name),
            Some("vpp.interfaces")
        );
        assert_eq!(
            r.for_key("config/vpp/l3/v2/proxyarp-global")
                .map(Model::name),
            Some("vpp.l3.proxyarp-global")
        );
        assert_eq!(r.for_key("config/vpp/l3/v2/proxyarp-global/x"), None);
        assert_eq!(r.for_key("config/vpp/v2/interfaces/"), None);
        assert_eq!(
            r.for_type::<Global>().map(Model::key_prefix),
            Some("config/vpp/l3/v2/proxyarp-global")
        );
        let route = r.for_type_name("ligato.vpp.l3.Route").unwrap();
        let key = route
            .key_for_json(&serde_json::json!({"vrf": 0, "dst": "10.0.0.0/24"}))
            .unwrap();
        assert_eq!(key, "config/vpp/l3/v2/route/0/10.0.0.0/24");
        assert_eq!(route.strip_key_prefix(&key), Some("0/10.0.0.0/24"));
        let err = route
            .key_for_json(&serde_json::json!({"vrf": 0}))
            .unwrap_err();
        assert!(err.to_string().contains("`dst`"), "{err}");
        assert!(matches!(
            r.register::<Iface>(
                ModelSpec::new("other", "v1", "x").unwrap(),
                NameSource::default()
            ),
            Err(ModelError::Duplicate { what: "type", .. })
        ));
    }

    #[test]
    fn the_exported_list_rebuilds_the_registry() {
        let mut r = ModelRegistry::new();
        r.register_named(
            ModelSpec::new("example", "v1", "fib").unwrap(),
            "Fib",
            NameSource::Template("{{.bd}}/mac/{{.mac}}".into()),
        )
        .unwrap();
        let json = serde_json::to_string(&r.infos(Some("config"))).unwrap();
        let back = ModelRegistry::from_infos(serde_json::from_str(&json).unwrap()).unwrap();
        assert_eq!(back.infos(None), r.infos(None));
        assert!(r.infos(Some("status")).is_empty());
    }

    #[test]
    fn key_lookup_does_not_scan_models() {
        // 10 000 models with prefixes of one length: one hash lookup finds each.
        let mut r = ModelRegistry::new();
        for i in 0..10_000 {
            r.register_named(
                ModelSpec::new("m", "v1", &format!("t{i:05}")).unwrap(),
                &format!("T{i}"),
                NameSource::default(),
            )
            .unwrap();
        }
        assert_eq!(r.prefix_lens.len(), 1);
        assert_eq!(
            r.for_key("config/m/v1/t04242/x").map(Model::name),
            Some("m.t04242")
        );
    }
}

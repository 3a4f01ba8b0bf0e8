//! Model specs: module, version, type, class.

use serde::{Deserialize, Serialize};

use crate::ModelError;

/// What a model is: `module`, `version`, `type` and `class` (upstream's `Spec`).
///
/// Module and type are lower-case words with at most one dot (`vpp`, `vpp.l3`,
/// `bridge-domains`); the version is `v<digits>[suffix]`; the class a lower-case word.
/// Empty class means `config`, empty version `v0`.
///
/// # Examples
/// ```
/// use cninfra_models::ModelSpec;
///
/// let spec = ModelSpec::new("vpp.l3", "v2", "route")?;
/// assert_eq!(spec.name(), "vpp.l3.route");
/// assert_eq!(spec.key_prefix(), "config/vpp/l3/v2/route/");
/// assert!(ModelSpec::new("VPP", "v2", "route").is_err());
/// # Ok::<(), cninfra_models::ModelError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ModelSpec {
    /// Module (`vpp`, `vpp.l3`).
    pub module: String,
    /// Version (`v2`).
    pub version: String,
    /// Type (`interfaces`, `route`).
    #[serde(rename = "type")]
    pub type_: String,
    /// Class (`config` by default).
    pub class: String,
}

fn is_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn is_dotted(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 2 && parts.iter().all(|p| is_word(p))
}

fn is_version(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    digits > 0
        && rest[digits..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

impl ModelSpec {
    /// A `config` model; validated and normalised.
    ///
    /// # Errors
    /// [`ModelError::InvalidSpec`] naming the field and value.
    pub fn new(module: &str, version: &str, type_: &str) -> Result<Self, ModelError> {
        Self {
            module: module.to_owned(),
            version: version.to_owned(),
            type_: type_.to_owned(),
            class: String::new(),
        }
        .normalized()
    }

    /// The same spec in another class.
    ///
    /// # Errors
    /// [`ModelError::InvalidSpec`] for an invalid class.
    pub fn with_class(mut self, class: &str) -> Result<Self, ModelError> {
        self.class = class.to_owned();
        self.normalized()
    }

    /// Fills defaults (`config`, `v0`) and checks every field.
    ///
    /// # Errors
    /// [`ModelError::InvalidSpec`] naming the field and value.
    pub fn normalized(mut self) -> Result<Self, ModelError> {
        if self.class.is_empty() {
            self.class = "config".to_owned();
        }
        if self.version.is_empty() {
            self.version = "v0".to_owned();
        }
        let invalid =
            |field: &'static str, value: &str, rule: &'static str| ModelError::InvalidSpec {
                field,
                value: value.to_owned(),
                rule,
            };
        if !is_dotted(&self.module) {
            return Err(invalid(
                "module",
                &self.module,
                "lower-case words, at most one dot",
            ));
        }
        if !is_dotted(&self.type_) {
            return Err(invalid(
                "type",
                &self.type_,
                "lower-case words, at most one dot",
            ));
        }
        if !is_version(&self.version) {
            return Err(invalid("version", &self.version, "v<digits>[suffix]"));
        }
        if !is_word(&self.class) {
            return Err(invalid("class", &self.class, "a lower-case word"));
        }
        Ok(self)
    }

    /// `<module>.<type>`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.module, self.type_)
    }

    /// `<class>/<module>/<version>/<type>/` with dots as slashes.
    pub fn key_prefix(&self) -> String {
        format!(
            "{}/{}/{}/{}/",
            self.class,
            self.module.replace('.', "/"),
            self.version,
            self.type_.replace('.', "/")
        )
    }
}

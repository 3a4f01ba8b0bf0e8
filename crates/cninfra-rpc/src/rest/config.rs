use serde::{Deserialize, Serialize};

/// Settings of the REST server, read from `http.conf` (`--http-config` / `HTTP_CONFIG`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpConfig {
    /// Turns the server off; routes added by plugins are then ignored.
    pub disabled: bool,
    /// Address to listen on, `host:port`. `--http-port` sets `0.0.0.0:<port>`; a port given
    /// explicitly by flag or `HTTP_PORT` wins over this field.
    pub endpoint: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            disabled: false,
            endpoint: "0.0.0.0:9191".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&HttpConfig::default()).expect("to yaml");
        let back: HttpConfig =
            cninfra_core::config::parse_str(&text, "http.conf".as_ref()).expect("parse back");
        assert_eq!(back, HttpConfig::default());
    }
}

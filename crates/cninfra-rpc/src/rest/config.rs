use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings of the REST server, read from `http.conf` (`--http-config` / `HTTP_CONFIG`).
///
/// Every time limit takes text such as `"30s"` or `"500ms"` (or a number of nanoseconds);
/// `0s` turns that limit off. Upstream spelled the five limits without dashes
/// (`readtimeout`, `readheadertimeout`, `writetimeout`, `idletimeout`, `maxheaderbytes`);
/// those spellings are accepted too.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_rpc::rest::HttpConfig;
///
/// let text = "
/// endpoint: 127.0.0.1:8080
/// write-timeout: 5s
/// server-cert-file: /etc/agent/tls.crt
/// server-key-file: /etc/agent/tls.key
/// client-basic-auth: [admin:secret]
/// ";
/// let config: HttpConfig = cninfra_core::config::parse_str(text, "http.conf".as_ref())?;
/// assert_eq!(config.write_timeout, Duration::from_secs(5));
/// assert_eq!(config.read_header_timeout, HttpConfig::default().read_header_timeout);
/// # Ok::<(), cninfra_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpConfig {
    /// Turns the server off; routes added by plugins are then ignored. Default `false`.
    pub disabled: bool,
    /// Address to listen on, `host:port`. Default `0.0.0.0:9191`. A port given explicitly by
    /// `--http-port` or `HTTP_PORT` wins over this field and listens on `0.0.0.0:<port>`.
    pub endpoint: String,
    /// Time limit for reading a request body; a slower client gets an error response.
    /// Default 60 s.
    #[serde(alias = "readtimeout", with = "cninfra_core::config::duration")]
    pub read_timeout: Duration,
    /// Time limit for reading the request line and headers (HTTP/1); a connection that is
    /// slower is closed. Default 10 s.
    #[serde(alias = "readheadertimeout", with = "cninfra_core::config::duration")]
    pub read_header_timeout: Duration,
    /// Time limit for a handler to produce its response; when it runs out the client gets
    /// `503 Service Unavailable`. Default 60 s.
    #[serde(alias = "writetimeout", with = "cninfra_core::config::duration")]
    pub write_timeout: Duration,
    /// How long a keep-alive connection may go without any traffic before it is closed (a
    /// request in progress still completes). Default 120 s.
    #[serde(alias = "idletimeout", with = "cninfra_core::config::duration")]
    pub idle_timeout: Duration,
    /// Largest request head (request line and headers) accepted, in bytes; at least 8192
    /// is used. Default 1 MiB.
    #[serde(alias = "maxheaderbytes")]
    pub max_header_bytes: usize,
    /// PEM file with the server's certificate chain. With `server-key-file` it turns on
    /// HTTPS. Default empty (plain HTTP).
    pub server_cert_file: PathBuf,
    /// PEM file with the server's private key (PKCS#8, PKCS#1 or SEC1). Default empty.
    pub server_key_file: PathBuf,
    /// PEM files of the certificate authorities that sign client certificates. When set,
    /// every client must present a certificate signed by one of them (needs HTTPS).
    /// Default empty.
    pub client_cert_files: Vec<PathBuf>,
    /// `user:password` pairs; when set, every request needs HTTP basic authentication with
    /// one of them, else it gets `401 Unauthorized`. Default empty.
    pub client_basic_auth: Vec<String>,
}

impl HttpConfig {
    /// Whether `server-cert-file` and `server-key-file` are both set.
    pub fn is_tls(&self) -> bool {
        !self.server_cert_file.as_os_str().is_empty()
            && !self.server_key_file.as_os_str().is_empty()
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            disabled: false,
            endpoint: "0.0.0.0:9191".to_owned(),
            read_timeout: Duration::from_secs(60),
            read_header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(120),
            max_header_bytes: 1 << 20,
            server_cert_file: PathBuf::new(),
            server_key_file: PathBuf::new(),
            client_cert_files: Vec::new(),
            client_basic_auth: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cninfra_core::config::parse_str;

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&HttpConfig::default()).expect("to yaml");
        let back: HttpConfig = parse_str(&text, "http.conf".as_ref()).expect("parse back");
        assert_eq!(back, HttpConfig::default());
    }

    #[test]
    fn upstream_key_spellings_are_accepted() {
        let text = "readtimeout: 1s\nreadheadertimeout: 2s\nwritetimeout: 3s\n\
                    idletimeout: 4s\nmaxheaderbytes: 9000\n";
        let config: HttpConfig = parse_str(text, "http.conf".as_ref()).expect("parse");
        assert_eq!(config.read_timeout, Duration::from_secs(1));
        assert_eq!(config.read_header_timeout, Duration::from_secs(2));
        assert_eq!(config.write_timeout, Duration::from_secs(3));
        assert_eq!(config.idle_timeout, Duration::from_secs(4));
        assert_eq!(config.max_header_bytes, 9000);
    }

    #[test]
    fn a_misspelt_key_is_an_error_naming_it() {
        let err =
            parse_str::<HttpConfig>("endpoint: a:1\nwrite-timout: 1s\n", "http.conf".as_ref())
                .unwrap_err()
                .to_string();
        assert!(err.contains("http.conf:2"), "{err}");
        assert!(err.contains("write-timout"), "{err}");
    }

    #[test]
    fn tls_needs_both_files() {
        let mut config = HttpConfig {
            server_cert_file: "c.pem".into(),
            ..HttpConfig::default()
        };
        assert!(!config.is_tls());
        config.server_key_file = "k.pem".into();
        assert!(config.is_tls());
    }
}

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings of the REST server, read from `http.conf` (`--http-config` / `HTTP_CONFIG`).
///
/// Every time limit takes text such as `"30s"` or `"500ms"` (or a number of nanoseconds);
/// `0s` turns that limit off. Upstream spelled the five limits without dashes
/// (`readtimeout`, `readheadertimeout`, `writetimeout`, `idletimeout`, `maxheaderbytes`);
/// those spellings are accepted too, as are the spellings of upstream's sample `http.conf`
/// (`disable`, `token-signature`, `password_hash`).
///
/// Security, as upstream's REST plugin: HTTPS with mandatory client certificates
/// (`client-cert-files`), static basic authentication (`client-basic-auth`), or token
/// authorization (`enable-token-auth`, `users`, `token-expiration`, `sign-key`) with
/// permission groups; and a per-client rate limiter (`rate-limiter`). The probes
/// (`/liveness`, `/readiness`) need no credentials and are not rate limited.
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpConfig {
    /// Turns the server off; routes added by plugins are then ignored. Default `false`.
    #[serde(alias = "disable")]
    pub disabled: bool,
    /// Address to listen on, `host:port`. Default `0.0.0.0:9191`. A port given explicitly by
    /// `--http-port` or `HTTP_PORT` wins over this field and listens on `0.0.0.0:<port>`.
    pub endpoint: String,
    /// Time limit for reading a request body; a slower client gets an error response.
    /// Default 60 s.
    #[serde(alias = "readtimeout", with = "cninfra_core::config::duration")]
    pub read_timeout: Duration,
    /// Time limit for reading the request line and headers (HTTP/1); a connection that is
    /// slower is closed. It counts from the connection's start for its first request and
    /// from the first byte of each later one (as Go's `ReadHeaderTimeout`): a keep-alive
    /// connection waiting for its next request is under `idle-timeout`. Default 10 s.
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
    /// one of them, else it gets `401 Unauthorized`. Default empty. Token authorization,
    /// when enabled, takes its place (as upstream).
    pub client_basic_auth: Vec<Secret>,
    /// Token authorization: every request needs a token from `POST /auth/login`, sent as
    /// `Authorization: Bearer <token>` or in the cookie `ligato-rest-auth`, and the user
    /// must be in a permission group that allows the path and method. Default `false`.
    pub enable_token_auth: bool,
    /// How long a token is valid. Default (and `0s`) one hour, as upstream's code.
    #[serde(with = "cninfra_core::config::duration")]
    pub token_expiration: Duration,
    /// Users besides `admin` (who has every permission): name, bcrypt hash of the password
    /// (`cninfra-agent hash-password`) and permission groups. A user named `admin` sets the
    /// admin's password. Default none.
    pub users: Vec<UserConfig>,
    /// bcrypt cost for passwords given in clear text (4 to 31). Default 10.
    pub password_hash_cost: u32,
    /// Key that signs the tokens (HMAC-SHA256); upstream's sample calls it
    /// `token-signature`. Default: a random key made at start (tokens end with the process).
    #[serde(alias = "token-signature")]
    pub sign_key: Secret,
    /// Requests per client (the user when authenticated, else the address) beyond this rate
    /// are answered `429 Too Many Requests`. Default none.
    pub rate_limiter: Option<RateLimiterConfig>,
}

/// A user of token authorization in [`HttpConfig::users`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct UserConfig {
    /// The user name.
    pub name: String,
    /// The bcrypt hash of the user's password (`$2b$...`); upstream's sample spells it
    /// `password_hash`. Upstream read clear text here and hashed it: a value that is not a
    /// bcrypt hash is taken as clear text and hashed with `password-hash-cost` (and a
    /// warning says so).
    #[serde(alias = "password_hash", alias = "password-hash")]
    pub password: Secret,
    /// The permission groups the user is in.
    pub permissions: Vec<String>,
}

impl std::fmt::Debug for UserConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserConfig")
            .field("name", &self.name)
            .field("password", &self.password)
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// A token bucket per client in [`HttpConfig::rate_limiter`]: `burst` requests at once,
/// refilled at `limit` per second. A request beyond it is answered at once with `429` and
/// upstream's headers `X-Ligato-RateLimiter-Limit`, `-MaxBurst` and `-WaitDelay`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RateLimiterConfig {
    /// Requests per second (more than 0; fractions allowed).
    pub limit: f64,
    /// Requests at once; `0` refuses every request, as upstream.
    pub burst: u32,
}

/// Text that is never shown (passwords, keys): the platform's one secret type, re-exported
/// here where the REST config has always named it.
pub use cninfra_core::Secret;

/// The bcrypt cost used when none is configured (Go's `bcrypt.DefaultCost`).
pub const DEFAULT_COST: u32 = 10;

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
            enable_token_auth: false,
            token_expiration: Duration::ZERO,
            users: Vec::new(),
            password_hash_cost: DEFAULT_COST,
            sign_key: Secret::default(),
            rate_limiter: None,
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
    fn upstream_sample_spellings_bind_and_secrets_do_not_show() {
        let text = "disable: true\nenable-token-auth: true\ntoken-signature: s3cr3t\n\
                    users:\n  - name: op\n    password_hash: $2b$07$abc\n    permissions: [a]\n\
                    rate-limiter:\n  limit: 0.5\n  burst: 3\n";
        let config: HttpConfig = parse_str(text, "http.conf".as_ref()).expect("parse");
        assert!(config.disabled && config.enable_token_auth);
        assert_eq!(config.sign_key.expose(), "s3cr3t");
        assert_eq!(config.users[0].password.expose(), "$2b$07$abc");
        assert_eq!(
            config.rate_limiter,
            Some(RateLimiterConfig {
                limit: 0.5,
                burst: 3
            })
        );
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("$2b$"),
            "{shown}"
        );
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

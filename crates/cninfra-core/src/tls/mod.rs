//! TLS settings of a client, one shape for every connector: [`ClientTlsConfig`] (plain
//! config data), its loader [`ClientTlsConfig::load`] that reads and checks the PEM files
//! into [`ClientTls`], and [`TlsConfigError`], whose messages name the config key and the
//! file. The PEM readers [`read_certs`] and [`read_key`] serve servers too.
//!
//! Each connector turns [`ClientTls`] into what its TLS stack takes (tonic, redis,
//! reqwest all take PEM text); a connector whose library reads the files itself (Kafka's
//! librdkafka) passes the paths of the [`ClientTlsConfig`].
//!
//! # Examples
//! ```
//! use cninfra_core::tls::{ClientTlsConfig, TlsConfigError, TlsKeys};
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "kebab-case")]
//! struct MyConfig { tls: ClientTlsConfig }
//!
//! let yaml = "tls:\n  enabled: true\n  skip-verify: false\n  ca-file: /nonexistent/ca.pem\n";
//! let config: MyConfig = serde_yaml_ng::from_str(yaml)?;
//! assert!(config.tls.enabled);
//! let err = config.tls.load(TlsKeys::NESTED).unwrap_err();
//! assert!(matches!(err, TlsConfigError::Read { field: "tls.ca-file", .. }));
//! assert_eq!(err.to_string(), "cannot read `tls.ca-file` file `/nonexistent/ca.pem`");
//! # Ok::<(), serde_yaml_ng::Error>(())
//! ```

pub mod server;

use std::fmt;
use std::path::{Path, PathBuf};

use rustls_pki_types::pem::{self, PemObject as _};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Deserializer, Serialize};

/// A client's TLS settings, the `tls:` block of a connector's config file (an etcd-style
/// file with flat keys maps its keys into one):
///
/// ```yaml
/// tls:
///   enabled: true
///   skip-verify: false               # or `insecure-skip-verify`
///   ca-file: /etc/ssl/ca.pem         # absent or empty: the system's roots
///   cert-file: /etc/ssl/client.pem   # with key-file: mutual TLS
///   key-file: /etc/ssl/client.key
/// ```
///
/// An empty string stands for an unset file, as in upstream's files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientTlsConfig {
    /// Connect with TLS. A connector may turn TLS on by other means too (an `https://`
    /// address, an etcd TLS file).
    pub enabled: bool,
    /// Do not verify the server's certificate (testing only). The key is upstream's
    /// `skip-verify`; `insecure-skip-verify` is accepted too.
    #[serde(alias = "insecure-skip-verify")]
    pub skip_verify: bool,
    /// CA certificates (PEM) that sign the server's certificate; the system's roots when
    /// unset.
    #[serde(deserialize_with = "empty_is_none")]
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS; needs `key-file`.
    #[serde(deserialize_with = "empty_is_none")]
    pub cert_file: Option<PathBuf>,
    /// Private key (PEM) of `cert-file`; needs `cert-file`.
    #[serde(deserialize_with = "empty_is_none")]
    pub key_file: Option<PathBuf>,
}

/// The names of the TLS keys in a config file, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsKeys {
    /// The key of [`ClientTlsConfig::ca_file`].
    pub ca_file: &'static str,
    /// The key of [`ClientTlsConfig::cert_file`].
    pub cert_file: &'static str,
    /// The key of [`ClientTlsConfig::key_file`].
    pub key_file: &'static str,
}

impl TlsKeys {
    /// Keys inside a `tls:` block: `tls.ca-file`, `tls.cert-file`, `tls.key-file`.
    pub const NESTED: Self = Self {
        ca_file: "tls.ca-file",
        cert_file: "tls.cert-file",
        key_file: "tls.key-file",
    };
    /// Keys at the top of the file (etcd): `ca-file`, `cert-file`, `key-file`.
    pub const FLAT: Self = Self {
        ca_file: "ca-file",
        cert_file: "cert-file",
        key_file: "key-file",
    };
}

/// What [`ClientTlsConfig::load`] read: PEM text, checked to hold what each key needs.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientTls {
    /// CA certificates (PEM, at least one); `None` for the system's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// The client certificate and key for mutual TLS.
    pub identity: Option<ClientIdentity>,
    /// Whether the server's certificate goes unverified.
    pub skip_verify: bool,
}

/// A client certificate (chain) and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The certificate chain (PEM, at least one certificate).
    pub cert_pem: Vec<u8>,
    /// The private key (PEM).
    pub key_pem: Vec<u8>,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("ca_pem", &self.ca_pem.as_ref().map(|pem| pem.len()))
            .field("identity", &self.identity)
            .field("skip_verify", &self.skip_verify)
            .finish()
    }
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("cert_pem", &self.cert_pem.len())
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// TLS settings that cannot be used: a file that cannot be read or does not hold what its
/// key needs, or half of the client certificate and key pair.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A file cannot be read.
    #[error("cannot read `{field}` file `{}`", path.display())]
    Read {
        /// The config key that names the file, e.g. `tls.ca-file`.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What the file system reported.
        #[source]
        source: std::io::Error,
    },
    /// A file is not well-formed PEM.
    #[error("`{field}` file `{}` is not valid PEM", path.display())]
    Pem {
        /// The config key that names the file.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What the PEM reader found.
        #[source]
        source: pem::Error,
    },
    /// A file holds no PEM item of the kind its key needs.
    #[error("`{field}` file `{}` holds no PEM {expected}", path.display())]
    Empty {
        /// The config key that names the file.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// `certificate` or `private key`.
        expected: &'static str,
    },
    /// The TLS library refused what a file holds (a key type it does not support, say).
    #[error("the TLS library refused `{field}` file `{}`", path.display())]
    Refused {
        /// The config key that names the file.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What the library reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A client certificate without its key, or a key without its certificate.
    #[error("`{field}` is needed with `{with}`")]
    Unpaired {
        /// The key that is missing.
        field: &'static str,
        /// The key that is set.
        with: &'static str,
    },
}

impl TlsConfigError {
    /// The config key at fault.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Read { field, .. }
            | Self::Pem { field, .. }
            | Self::Empty { field, .. }
            | Self::Refused { field, .. }
            | Self::Unpaired { field, .. } => field,
        }
    }

    /// The file at fault, if the error is about a file.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Read { path, .. }
            | Self::Pem { path, .. }
            | Self::Empty { path, .. }
            | Self::Refused { path, .. } => Some(path),
            Self::Unpaired { .. } => None,
        }
    }

    /// A [`TlsConfigError::Refused`]: the TLS library refused the contents of `path`, named
    /// by `field`.
    pub fn refused(
        field: &'static str,
        path: &Path,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Refused {
            field,
            path: path.to_owned(),
            source: source.into(),
        }
    }
}

impl ClientTlsConfig {
    /// Reads the files and checks that the CA file and the certificate file hold
    /// certificates and the key file a private key; `keys` names the keys in messages.
    /// Every file is read before any is checked. `enabled` is not looked at: the connector
    /// decides whether it uses TLS.
    ///
    /// # Errors
    /// [`TlsConfigError::Unpaired`] for half of the client pair, then
    /// [`TlsConfigError::Read`], [`TlsConfigError::Pem`] or [`TlsConfigError::Empty`] naming
    /// the key and the file.
    pub fn load(&self, keys: TlsKeys) -> Result<ClientTls, TlsConfigError> {
        let pair = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => return Err(unpaired(keys.key_file, keys.cert_file)),
            (None, Some(_)) => return Err(unpaired(keys.cert_file, keys.key_file)),
        };
        let ca_pem = match &self.ca_file {
            Some(path) => Some(read(path, keys.ca_file)?),
            None => None,
        };
        let identity = match pair {
            Some((cert, key)) => Some(ClientIdentity {
                cert_pem: read(cert, keys.cert_file)?,
                key_pem: read(key, keys.key_file)?,
            }),
            None => None,
        };
        if let (Some(pem), Some(path)) = (&ca_pem, &self.ca_file) {
            certs_in(pem, path, keys.ca_file)?;
        }
        if let (Some(identity), Some((cert, key))) = (&identity, pair) {
            certs_in(&identity.cert_pem, cert, keys.cert_file)?;
            key_in(&identity.key_pem, key, keys.key_file)?;
        }
        Ok(ClientTls {
            ca_pem,
            identity,
            skip_verify: self.skip_verify,
        })
    }
}

/// Reads a PEM file that must hold at least one certificate; returns its text and the
/// certificates.
///
/// # Errors
/// [`TlsConfigError`] naming `field` and the file when it cannot be read, is not PEM or
/// holds no certificate.
pub fn read_certs(
    path: &Path,
    field: &'static str,
) -> Result<(Vec<u8>, Vec<CertificateDer<'static>>), TlsConfigError> {
    let pem = read(path, field)?;
    let certs = certs_in(&pem, path, field)?;
    Ok((pem, certs))
}

/// Reads a PEM file holding a private key; returns its text and the key.
///
/// # Errors
/// [`TlsConfigError`] naming `field` and the file when it cannot be read, is not PEM or
/// holds no private key.
pub fn read_key(
    path: &Path,
    field: &'static str,
) -> Result<(Vec<u8>, PrivateKeyDer<'static>), TlsConfigError> {
    let pem = read(path, field)?;
    let key = key_in(&pem, path, field)?;
    Ok((pem, key))
}

fn read(path: &Path, field: &'static str) -> Result<Vec<u8>, TlsConfigError> {
    std::fs::read(path).map_err(|source| TlsConfigError::Read {
        field,
        path: path.to_owned(),
        source,
    })
}

fn certs_in(
    pem: &[u8],
    path: &Path,
    field: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| pem_error(source, path, field, "certificate"))?;
    if certs.is_empty() {
        return Err(empty(path, field, "certificate"));
    }
    Ok(certs)
}

fn key_in(
    pem: &[u8],
    path: &Path,
    field: &'static str,
) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|source| pem_error(source, path, field, "private key"))
}

fn pem_error(
    source: pem::Error,
    path: &Path,
    field: &'static str,
    expected: &'static str,
) -> TlsConfigError {
    match source {
        pem::Error::NoItemsFound => empty(path, field, expected),
        source => TlsConfigError::Pem {
            field,
            path: path.to_owned(),
            source,
        },
    }
}

fn empty(path: &Path, field: &'static str, expected: &'static str) -> TlsConfigError {
    TlsConfigError::Empty {
        field,
        path: path.to_owned(),
        expected,
    }
}

fn unpaired(field: &'static str, with: &'static str) -> TlsConfigError {
    TlsConfigError::Unpaired { field, with }
}

/// An optional path where an empty string means unset.
fn empty_is_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    let path = Option::<PathBuf>::deserialize(deserializer)?;
    Ok(path.filter(|path| !path.as_os_str().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n";

    struct Files(tempfile::TempDir);

    impl Files {
        fn new() -> Self {
            Self(tempfile::tempdir().unwrap())
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        }

        fn missing(&self, name: &str) -> PathBuf {
            self.0.path().join(name)
        }
    }

    fn config(ca: Option<PathBuf>, cert: Option<PathBuf>, key: Option<PathBuf>) -> ClientTlsConfig {
        ClientTlsConfig {
            enabled: true,
            skip_verify: false,
            ca_file: ca,
            cert_file: cert,
            key_file: key,
        }
    }

    #[test]
    fn loads_ca_and_client_pair_as_pem_text() {
        let files = Files::new();
        let ca = files.write("ca.pem", CERT);
        let cert = files.write("client.pem", &format!("{CERT}{CERT}"));
        let key = files.write("client.key", KEY);
        let tls = config(Some(ca), Some(cert), Some(key))
            .load(TlsKeys::NESTED)
            .unwrap();
        assert_eq!(tls.ca_pem.as_deref(), Some(CERT.as_bytes()));
        let identity = tls.identity.clone().unwrap();
        assert_eq!(identity.key_pem, KEY.as_bytes());
        assert!(!tls.skip_verify);
        let debug = format!("{tls:?}");
        assert!(
            debug.contains("redacted") && !debug.contains("PRIVATE"),
            "{debug}"
        );

        let nothing = ClientTlsConfig::default().load(TlsKeys::FLAT).unwrap();
        assert_eq!((nothing.ca_pem, nothing.identity), (None, None));
    }

    #[test]
    fn a_missing_file_names_key_and_path_but_not_the_io_error() {
        let files = Files::new();
        let missing = files.missing("ca.pem");
        let err = config(Some(missing.clone()), None, None)
            .load(TlsKeys::NESTED)
            .unwrap_err();
        assert!(
            matches!(
                err,
                TlsConfigError::Read {
                    field: "tls.ca-file",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            (err.field(), err.path()),
            ("tls.ca-file", Some(missing.as_path()))
        );
        let text = err.to_string();
        assert!(text.contains(&missing.display().to_string()), "{text}");
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert!(
            !text.contains(&source),
            "the source's text is repeated: {text}"
        );
    }

    #[test]
    fn every_file_is_read_before_any_is_checked() {
        let files = Files::new();
        let ca = files.write("ca.pem", "not a certificate");
        let cert = files.missing("client.pem");
        let key = files.missing("client.key");
        let err = config(Some(ca), Some(cert), Some(key))
            .load(TlsKeys::FLAT)
            .unwrap_err();
        assert!(
            matches!(
                err,
                TlsConfigError::Read {
                    field: "cert-file",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn files_without_what_their_key_needs_are_named() {
        let files = Files::new();
        let garbage = files.write("garbage.pem", "not PEM at all");
        let cert = files.write("cert.pem", CERT);
        let key = files.write("key.pem", KEY);
        let cases = [
            (
                config(Some(garbage.clone()), None, None),
                "tls.ca-file",
                "certificate",
            ),
            (
                config(None, Some(key.clone()), Some(key.clone())),
                "tls.cert-file",
                "certificate",
            ),
            (
                config(None, Some(cert.clone()), Some(cert.clone())),
                "tls.key-file",
                "private key",
            ),
        ];
        for (config, key, kind) in cases {
            let err = config.load(TlsKeys::NESTED).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, TlsConfigError::Empty { .. }), "{err:?}");
            assert!(text.contains(key) && text.contains(kind), "{text}");
        }
    }

    #[test]
    fn a_broken_pem_section_is_named() {
        let files = Files::new();
        let broken = files.write("ca.pem", "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n");
        let err = read_certs(&broken, "ca-files").unwrap_err();
        assert!(
            matches!(
                err,
                TlsConfigError::Pem {
                    field: "ca-files",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }

    #[test]
    fn half_a_client_pair_names_the_missing_key() {
        let cert_only = config(None, Some("c.pem".into()), None);
        let err = cert_only.load(TlsKeys::NESTED).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`tls.key-file` is needed with `tls.cert-file`"
        );
        let key_only = config(None, None, Some("k.pem".into()));
        let err = key_only.load(TlsKeys::FLAT).unwrap_err();
        assert_eq!(err.to_string(), "`cert-file` is needed with `key-file`");
    }

    #[test]
    fn both_upstream_spellings_and_empty_paths_parse() {
        let redis: ClientTlsConfig =
            serde_yaml_ng::from_str("enabled: true\nskip-verify: true\nca-file: /ca.pem\n")
                .unwrap();
        assert!(redis.enabled && redis.skip_verify);
        assert_eq!(redis.ca_file, Some(PathBuf::from("/ca.pem")));
        let consul: ClientTlsConfig =
            serde_yaml_ng::from_str("insecure-skip-verify: true\ncert-file: ''\n").unwrap();
        assert!(consul.skip_verify);
        assert_eq!(consul.cert_file, None);
        let unknown = serde_yaml_ng::from_str::<ClientTlsConfig>("ca_file: /x\n").unwrap_err();
        assert!(unknown.to_string().contains("ca_file"), "{unknown}");
        let text = serde_yaml_ng::to_string(&redis).unwrap();
        assert_eq!(
            serde_yaml_ng::from_str::<ClientTlsConfig>(&text).unwrap(),
            redis
        );
    }
}

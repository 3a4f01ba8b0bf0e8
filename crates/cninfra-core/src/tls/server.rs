//! The PEM files of a server's TLS settings, shared by the REST and the gRPC server: which
//! settings turn TLS on, and reading certificates and keys (with the PEM readers of
//! [`tls`](super), which clients use too) with errors that name the config field and the
//! file.

use std::path::{Path, PathBuf};

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{self as core_tls, TlsConfigError};

/// A certificate or key file that could not be used.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot use `{field}` file {path:?}: {reason}")]
pub struct TlsFileError {
    /// The config field that named the file.
    pub field: &'static str,
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

impl TlsFileError {
    fn new(field: &'static str, path: &Path, reason: impl ToString) -> Self {
        Self {
            field,
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// A TLS setting given without the one it needs (a certificate without its key).
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{field}`: {reason}")]
pub struct TlsPairError {
    /// The config field at fault.
    pub field: &'static str,
    /// What is missing.
    pub reason: String,
}

/// The names of a server's TLS fields in its config file, for decisions and errors.
///
/// # Examples
/// ```
/// use std::path::Path;
/// use cninfra_core::tls::server::TlsFields;
///
/// let fields = TlsFields { cert: "cert-file", key: "key-file", client_ca: "ca-files", protocol: "TLS" };
/// assert!(!fields.requested(Path::new(""), Path::new(""), 0)?);
/// assert!(fields.requested(Path::new("s.pem"), Path::new("s.key"), 0)?);
/// let err = fields.requested(Path::new("s.pem"), Path::new(""), 0).unwrap_err();
/// assert_eq!(err.field, "key-file");
/// # Ok::<(), cninfra_core::tls::server::TlsPairError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TlsFields {
    /// The server certificate's field.
    pub cert: &'static str,
    /// The server key's field.
    pub key: &'static str,
    /// The client CA files' field (mutual TLS).
    pub client_ca: &'static str,
    /// What the server speaks with TLS on, for messages (`HTTPS`, `TLS`).
    pub protocol: &'static str,
}

impl TlsFields {
    /// Whether the settings turn TLS on: a certificate and its key do (`true`), none of the
    /// three settings means plain text (`false`); a certificate without key (or the other
    /// way round), or client CAs without both, is an error naming the field at fault.
    ///
    /// # Errors
    /// [`TlsPairError`] as above.
    pub fn requested(
        &self,
        cert: &Path,
        key: &Path,
        client_cas: usize,
    ) -> Result<bool, TlsPairError> {
        let missing = |field: &'static str, other: &str| TlsPairError {
            field,
            reason: format!(
                "{other} is set, so {field} must be set too (both turn on {})",
                self.protocol
            ),
        };
        match (!cert.as_os_str().is_empty(), !key.as_os_str().is_empty()) {
            (true, true) => Ok(true),
            (true, false) => Err(missing(self.key, self.cert)),
            (false, true) => Err(missing(self.cert, self.key)),
            (false, false) if client_cas == 0 => Ok(false),
            (false, false) => Err(TlsPairError {
                field: self.client_ca,
                reason: format!(
                    "client certificates need {}: set {} and {}",
                    self.protocol, self.cert, self.key
                ),
            }),
        }
    }
}

/// Reads a PEM file that must hold at least one certificate; returns its text and the
/// certificates.
///
/// # Errors
/// [`TlsFileError`] naming `field` and the file when it cannot be read, is not PEM or
/// holds no certificate.
pub fn read_certs(
    path: &Path,
    field: &'static str,
) -> Result<(Vec<u8>, Vec<CertificateDer<'static>>), TlsFileError> {
    core_tls::read_certs(path, field).map_err(|err| file_error(&err, path))
}

/// Reads a PEM file holding a private key; returns its text and the key.
///
/// # Errors
/// [`TlsFileError`] naming `field` and the file when it cannot be read or holds no key.
pub fn read_key(
    path: &Path,
    field: &'static str,
) -> Result<(Vec<u8>, PrivateKeyDer<'static>), TlsFileError> {
    core_tls::read_key(path, field).map_err(|err| file_error(&err, path))
}

/// A reader's error as a [`TlsFileError`], its reason what went wrong with the file.
fn file_error(err: &TlsConfigError, path: &Path) -> TlsFileError {
    let reason = match err {
        TlsConfigError::Empty { expected, .. } => format!("no PEM {expected} in the file"),
        other => {
            std::error::Error::source(other).map_or_else(|| other.to_string(), ToString::to_string)
        }
    };
    TlsFileError::new(err.field(), path, reason)
}

/// A [`TlsFileError`] for a file whose contents the TLS library refused.
pub fn refused(field: &'static str, path: &Path, reason: impl ToString) -> TlsFileError {
    TlsFileError::new(field, path, reason)
}

//! [`TlsFiles`]: a test PKI made with rcgen: a CA, a server and a client certificate, and a
//! second CA that trusts nothing of it (for "wrong CA" tests).

use std::fmt;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};

/// A CA, a server certificate for `localhost` and `127.0.0.1`, a client certificate (common
/// name `client`) and an unrelated CA, as PEM files in a folder and as text.
pub struct TlsFiles {
    /// The CA certificate.
    pub ca: PathBuf,
    /// The CA certificate as PEM text.
    pub ca_pem: String,
    /// The server certificate (SANs `localhost`, `127.0.0.1`).
    pub server_cert: PathBuf,
    /// The server key.
    pub server_key: PathBuf,
    /// The client certificate.
    pub client_cert: PathBuf,
    /// The client key.
    pub client_key: PathBuf,
    /// The client certificate followed by its key, as PEM text (what HTTP clients take as
    /// an identity).
    pub client_pem: String,
    /// A CA that signed none of the above.
    pub other_ca: PathBuf,
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// The folder made by [`temp`](Self::temp), removed with this.
    _dir: Option<tempfile::TempDir>,
}

impl fmt::Debug for TlsFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsFiles")
            .field("ca", &self.ca)
            .field("server_cert", &self.server_cert)
            .field("client_cert", &self.client_cert)
            .finish_non_exhaustive()
    }
}

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key")).expect("CA")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a PEM file");
    path
}

impl TlsFiles {
    /// Makes the files in `dir`: `ca.pem`, `server.pem`, `server.key`, `client.pem`,
    /// `client.key`, `other-ca.pem`.
    ///
    /// # Panics
    /// When a certificate cannot be made or a file written.
    pub fn generate(dir: &Path) -> Self {
        let issuer = new_ca("cninfra test CA");
        let server_key = KeyPair::generate().expect("server key");
        let server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server params")
            .signed_by(&server_key, &issuer)
            .expect("server certificate");
        let mut files = Self {
            ca: write(dir, "ca.pem", &issuer.pem()),
            ca_pem: issuer.pem(),
            server_cert: write(dir, "server.pem", &server.pem()),
            server_key: write(dir, "server.key", &server_key.serialize_pem()),
            client_cert: PathBuf::new(),
            client_key: PathBuf::new(),
            client_pem: String::new(),
            other_ca: write(dir, "other-ca.pem", &new_ca("cninfra other CA").pem()),
            issuer,
            _dir: None,
        };
        let (cert, key) = files.client("client");
        files.client_cert = write(dir, "client.pem", &cert);
        files.client_key = write(dir, "client.key", &key);
        files.client_pem = format!("{cert}{key}");
        files
    }

    /// The files in a temporary folder of their own, removed when this is dropped.
    ///
    /// # Panics
    /// As [`generate`](Self::generate), or when no temp folder can be made.
    pub fn temp() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut files = Self::generate(dir.path());
        files._dir = Some(dir);
        files
    }

    /// A new client certificate and key (PEM text) with common name `name`, signed by the CA.
    ///
    /// # Panics
    /// When the certificate cannot be made.
    pub fn client(&self, name: &str) -> (String, String) {
        let key = KeyPair::generate().expect("client key");
        let mut params = CertificateParams::new(vec![name.to_owned()]).expect("client params");
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("client certificate");
        (cert.pem(), key.serialize_pem())
    }
}

//! [`TlsFiles`]: a CA with a server and a client certificate, made with `openssl`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA certificate.
    pub ca: PathBuf,
    /// The server certificate (SAN IP 127.0.0.1, server auth).
    pub server_cert: PathBuf,
    /// The server key.
    pub server_key: PathBuf,
    /// The client certificate (client auth).
    pub client_cert: PathBuf,
    /// The client key.
    pub client_key: PathBuf,
}

impl TlsFiles {
    /// Makes the files in `dir` with the `openssl` command (P-256 keys, valid two days).
    ///
    /// # Panics
    /// When `openssl` fails (Debian package openssl; scripts/test.sh installs it).
    pub fn generate(dir: &Path) -> Self {
        // Arguments are split on spaces: every name here is a plain relative file name.
        let openssl = |args: String| {
            let output = Command::new("openssl")
                .current_dir(dir)
                .args(args.split(' '))
                .output()
                .expect("run openssl");
            assert!(
                output.status.success(),
                "openssl {args}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        openssl(format!(
            "req -x509 {key} -keyout ca.key -out ca.pem -days 2 -subj /CN=cninfra-test-ca"
        ));
        for (name, extensions) in [
            (
                "server",
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth",
            ),
            ("client", "extendedKeyUsage=clientAuth"),
        ] {
            std::fs::write(dir.join(format!("{name}.ext")), extensions).expect("write ext file");
            openssl(format!(
                "req {key} -keyout {name}.key -out {name}.csr -subj /CN={name}"
            ));
            openssl(format!(
                "x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                 -out {name}.pem -days 2 -extfile {name}.ext"
            ));
        }
        Self {
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
        }
    }
}

//! RSA keys and RSA-OAEP-SHA-256 by an independent implementation: Python's
//! `cryptography` package (scripts/services.sh: `services_install_python_crypto`).

use std::path::Path;
use std::process::Command;

/// Python with the `cryptography` package (scripts/services.sh:
/// `services_install_python_crypto`), running `script` with `args`.
pub fn python(script: &str, args: &[&str]) -> String {
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "python failed (is the `cryptography` package installed? scripts/services.sh: \
         services_install_python_crypto): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

const PY_HEAD: &str = "
import base64, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
";

/// Makes `count` RSA keys in `dir`: `keyN.pem` (PKCS#1, upstream's form) and
/// `keyN.pub.pem` (SPKI).
pub fn make_keys(dir: &Path, count: usize) {
    let script = format!(
        "{PY_HEAD}
for i in range(int(sys.argv[2])):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    open(f'{{sys.argv[1]}}/key{{i}}.pem', 'wb').write(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    open(f'{{sys.argv[1]}}/key{{i}}.pub.pem', 'wb').write(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
"
    );
    python(&script, &[&dir.display().to_string(), &count.to_string()]);
}

/// base64url of RSA-OAEP-SHA-256 of `plaintext` for the public key in `public`, by Python.
pub fn py_encrypt(public: &Path, plaintext: &str) -> String {
    let script = format!(
        "{PY_HEAD}
key = serialization.load_pem_public_key(open(sys.argv[1], 'rb').read())
print(base64.urlsafe_b64encode(key.encrypt(sys.argv[2].encode(), OAEP)).decode())
"
    );
    python(&script, &[&public.display().to_string(), plaintext])
}

/// The plaintext of base64url `encoded` under the private key in `private`, by Python.
pub fn py_decrypt(private: &Path, encoded: &str) -> String {
    let script = format!(
        "{PY_HEAD}
key = serialization.load_pem_private_key(open(sys.argv[1], 'rb').read(), password=None)
print(key.decrypt(base64.urlsafe_b64decode(sys.argv[2]), OAEP).decode())
"
    );
    python(&script, &[&private.display().to_string(), encoded])
}

/// Standard base64 of `text` (an HTTP basic credential), by Python.
pub fn base64(text: &str) -> String {
    python(
        "import base64, sys; print(base64.b64encode(sys.argv[1].encode()).decode())",
        &[text],
    )
}

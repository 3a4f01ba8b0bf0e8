//! RSA keys from PEM files: the private keys values are decrypted with, the public key a
//! value is encrypted for.

use std::fmt;
use std::path::{Path, PathBuf};

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

/// Why a key file could not be used. The messages name the file and the block, never any
/// key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read the key file `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS reported.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no PEM block.
    #[error("the key file `{}` holds no PEM block", path.display())]
    NoPem {
        /// The file.
        path: PathBuf,
    },
    /// A block is not a key of the expected kind, or does not parse.
    #[error("PEM block {index} (`{label}`) of `{}` is not {expected}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The block's position in the file, from 1.
        index: usize,
        /// The block's label (`RSA PRIVATE KEY`).
        label: String,
        /// What was expected there.
        expected: &'static str,
    },
}

/// The private keys values are decrypted with, tried in turn (as upstream: the first that
/// decrypts a value wins). `Debug` shows how many there are, never the keys.
#[derive(Clone, Default)]
pub struct PrivateKeys {
    keys: Vec<RsaPrivateKey>,
}

impl fmt::Debug for PrivateKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKeys")
            .field("count", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl PrivateKeys {
    /// Reads every PEM file of `paths`; a file may hold several keys, each a PKCS#1
    /// `RSA PRIVATE KEY` block (what upstream reads) or a PKCS#8 `PRIVATE KEY` block.
    ///
    /// # Errors
    /// [`KeyError`] naming the file (and block) that cannot be read or parsed.
    pub fn from_pem_files<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        for path in paths {
            let path = path.as_ref();
            let text = read(path)?;
            for (index, block) in pem_blocks(path, &text)? {
                let parsed = match block.label {
                    "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(block.text).ok(),
                    "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_pem(block.text).ok(),
                    _ => None,
                };
                let key = parsed
                    .filter(|key| key.validate().is_ok())
                    .ok_or_else(|| block.error(path, index, "an RSA private key"))?;
                keys.push(key);
            }
        }
        Ok(Self { keys })
    }

    /// Keys given in code (tests, or keys that do not come from files).
    pub fn from_keys(keys: Vec<RsaPrivateKey>) -> Self {
        Self { keys }
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True without any key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The plaintext of `ciphertext` (RSA-OAEP with SHA-256) under the first key that
    /// decrypts it; `None` when none does.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Option<Vec<u8>> {
        self.keys
            .iter()
            .find_map(|key| key.decrypt(Oaep::new::<Sha256>(), ciphertext).ok())
    }
}

/// Reads the public key of a PEM file: an SPKI `PUBLIC KEY` block (what `openssl rsa
/// -pubout` writes and upstream's example reads) or a PKCS#1 `RSA PUBLIC KEY` block.
///
/// # Errors
/// [`KeyError`] naming the file that cannot be read or holds no RSA public key first.
pub fn read_public_key(path: impl AsRef<Path>) -> Result<RsaPublicKey, KeyError> {
    let path = path.as_ref();
    let text = read(path)?;
    let blocks = pem_blocks(path, &text)?;
    let (index, block) = &blocks[0];
    let parsed = match block.label {
        "PUBLIC KEY" => RsaPublicKey::from_public_key_pem(block.text).ok(),
        "RSA PUBLIC KEY" => RsaPublicKey::from_pkcs1_pem(block.text).ok(),
        _ => None,
    };
    parsed.ok_or_else(|| block.error(path, *index, "an RSA public key"))
}

fn read(path: &Path) -> Result<String, KeyError> {
    std::fs::read_to_string(path).map_err(|source| KeyError::Read {
        path: path.to_owned(),
        source,
    })
}

/// One `-----BEGIN X-----` … `-----END X-----` block of a PEM file.
struct Block<'a> {
    label: &'a str,
    /// The whole block, armour lines included.
    text: &'a str,
}

impl Block<'_> {
    fn error(&self, path: &Path, index: usize, expected: &'static str) -> KeyError {
        KeyError::Parse {
            path: path.to_owned(),
            index,
            label: self.label.to_owned(),
            expected,
        }
    }
}

/// The PEM blocks of `text`, numbered from 1; at least one.
fn pem_blocks<'a>(path: &Path, text: &'a str) -> Result<Vec<(usize, Block<'a>)>, KeyError> {
    const BEGIN: &str = "-----BEGIN ";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let from_begin = &rest[start..];
        let Some(label_end) = from_begin[BEGIN.len()..].find("-----") else {
            break;
        };
        let label = &from_begin[BEGIN.len()..BEGIN.len() + label_end];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = from_begin.find(&end_marker) else {
            break;
        };
        let len = end + end_marker.len();
        blocks.push((
            blocks.len() + 1,
            Block {
                label,
                text: &from_begin[..len],
            },
        ));
        rest = &from_begin[len..];
    }
    if blocks.is_empty() {
        return Err(KeyError::NoPem {
            path: path.to_owned(),
        });
    }
    Ok(blocks)
}

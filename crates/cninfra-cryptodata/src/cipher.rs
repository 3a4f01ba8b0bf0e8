//! Upstream's value format: `$crypto$` + base64url (padded) of RSA-OAEP with SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use rsa::{Oaep, RsaPublicKey};
use sha2::Sha256;

use crate::keys::PrivateKeys;

/// What marks an encrypted string in a JSON value.
pub const CRYPTO_PREFIX: &str = "$crypto$";

/// The field of a JSON object that marks it as holding encrypted strings.
pub const ENCRYPTED_MARKER: &str = "encrypted";

/// Why a value could not be encrypted.
#[derive(Debug, thiserror::Error)]
#[error("cannot encrypt the value for the public key")]
pub struct EncryptError {
    #[source]
    source: rsa::Error,
}

/// Encrypts `plaintext` for `public_key` with RSA-OAEP and SHA-256 (upstream's
/// `EncryptData`), random padding from the OS generator.
///
/// # Errors
/// [`EncryptError`] when the plaintext is too long for the key (at most the key size in
/// bytes less 66: 190 bytes for a 2048-bit key).
pub fn encrypt(plaintext: &[u8], public_key: &RsaPublicKey) -> Result<Vec<u8>, EncryptError> {
    public_key
        .encrypt(&mut rand::thread_rng(), Oaep::new::<Sha256>(), plaintext)
        .map_err(|source| EncryptError { source })
}

/// A string for a JSON value: `$crypto$` + base64url of [`encrypt`]. Put it in an object
/// with `"encrypted": true`.
///
/// # Errors
/// As [`encrypt`].
pub fn encrypt_json_string(
    plaintext: &[u8],
    public_key: &RsaPublicKey,
) -> Result<String, EncryptError> {
    Ok(format!(
        "{CRYPTO_PREFIX}{}",
        encrypt_field(plaintext, public_key)?
    ))
}

/// A string for a registered protobuf field: base64url of [`encrypt`], without prefix
/// (upstream's proto format).
///
/// # Errors
/// As [`encrypt`].
pub fn encrypt_field(plaintext: &[u8], public_key: &RsaPublicKey) -> Result<String, EncryptError> {
    Ok(URL_SAFE.encode(encrypt(plaintext, public_key)?))
}

/// Why one encrypted string could not be decrypted. The texts never hold the ciphertext or
/// any part of a plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// The text after the prefix is not base64url.
    #[error("not base64url")]
    NotBase64,
    /// None of the private keys decrypts it.
    #[error("none of the {keys} private keys decrypts it")]
    NoKey {
        /// How many keys were tried.
        keys: usize,
    },
    /// The plaintext is not UTF-8 (it goes back into a JSON string).
    #[error("the plaintext is not UTF-8")]
    NotUtf8,
}

/// Decrypts one string: base64url (padded, as upstream writes it; unpadded accepted), then
/// RSA-OAEP under the first key that fits.
pub(crate) fn decrypt_string(keys: &PrivateKeys, encoded: &str) -> Result<String, DecryptError> {
    let ciphertext = URL_SAFE
        .decode(encoded)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded))
        .map_err(|_| DecryptError::NotBase64)?;
    let plaintext = keys
        .decrypt(&ciphertext)
        .ok_or(DecryptError::NoKey { keys: keys.len() })?;
    String::from_utf8(plaintext).map_err(|_| DecryptError::NotUtf8)
}

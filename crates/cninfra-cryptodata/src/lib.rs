//! Encrypted values in the KV store, as upstream cn-infra's `cryptodata`: the
//! [`CryptoDataPlugin`] loads RSA private keys from PEM files (`private-key-files` in
//! `cryptodata.conf`), and a store wrapper ([`DecryptingStore`], or
//! [`DecryptingConnector`] around a connector plugin) decrypts every value on reading
//! and in every watch event, so that data sync watchers, typed brokers and the
//! KVScheduler see plaintext and the encrypted form never leaves the wrapper.
//!
//! # The format (upstream's)
//! - **JSON values**: an object with `"encrypted": true`, whose string values (at any
//!   depth, in objects and arrays) that start with `$crypto$` hold base64url (padded) of
//!   RSA-OAEP with SHA-256 (MGF1 SHA-256, no label) of the UTF-8 plaintext. Decrypting
//!   replaces each such string by its plaintext and removes the `encrypted` marker, so
//!   that a strict model (which has no such field) decodes the result:
//!   ```json
//!   {"encrypted": true, "name": "db", "password": "$crypto$Xq3…=="}
//!   ```
//! - **Protobuf values**: the fields registered for a model ([`ProtoFields`]) hold
//!   base64url without prefix; no marker is needed.
//!
//! Every private key is tried on every string; the first that decrypts it wins. A value
//! that cannot be decrypted is a [`KvError::Decode`](cninfra_kv::KvError::Decode) naming
//! the key, the field and the reason, never the ciphertext or a partial plaintext; in a
//! listing or watch it is one error item and the rest goes on (a resync applies every
//! other value).
//!
//! # Encrypting
//! [`encrypt_json_string`] (and the agent subcommand `encrypt --public-key key-pub.pem
//! VALUE`) writes the JSON form, [`encrypt_field`] (`encrypt --field`) the protobuf form.
//! Any RSA-OAEP-SHA-256 implementation interoperates, e.g. Python's `cryptography`:
//! ```python
//! key.encrypt(b"secret", padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
//!                                      algorithm=hashes.SHA256(), label=None))
//! ```
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use cninfra_cryptodata::{Decrypter, DecryptingStore, PrivateKeys, ProtoFields, encrypt_json_string};
//! use cninfra_kv::{KvStore, MemoryStore, PutOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 1024)?;
//! let secret = encrypt_json_string(b"s3cret", &private.to_public_key())?;
//! let raw = MemoryStore::new();
//! let value = format!(r#"{{"encrypted":true,"user":"admin","password":"{secret}"}}"#);
//! raw.put("cfg/db", value.into(), PutOptions::default()).await?;
//!
//! let keys = PrivateKeys::from_keys(vec![private]);
//! let store = DecryptingStore::new(raw, Arc::new(Decrypter::new(keys, ProtoFields::new())));
//! let got = store.get("cfg/db").await?.ok_or("missing")?;
//! assert_eq!(got.value.as_ref(), br#"{"password":"s3cret","user":"admin"}"#);
//! # Ok(()) }
//! ```

mod cipher;
mod command;
mod config;
mod connector;
mod decrypter;
mod json;
mod keys;
mod plugin;
mod proto;
mod store;

pub use cipher::{
    CRYPTO_PREFIX, DecryptError, ENCRYPTED_MARKER, EncryptError, encrypt, encrypt_field,
    encrypt_json_string,
};
pub use config::CryptoDataConfig;
pub use connector::DecryptingConnector;
pub use decrypter::{Decrypter, ENCRYPTED_JSON};
pub use keys::{KeyError, PrivateKeys, read_public_key};
pub use plugin::{CryptoDataPlugin, CryptoDataPluginBuilder};
pub use proto::{FieldPathError, ProtoFields};
pub use store::DecryptingStore;

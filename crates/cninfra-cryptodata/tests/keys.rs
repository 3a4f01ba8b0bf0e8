//! Key files: several PKCS#1 keys in one PEM file, every key tried; public keys in SPKI and
//! PKCS#1 form; errors name the file, never key material.

use cninfra_cryptodata::{PrivateKeys, encrypt, read_public_key};
use rsa::RsaPrivateKey;
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::{EncodePublicKey, LineEnding};

#[test]
fn a_pem_file_with_several_keys_loads_them_all_and_each_decrypts() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<RsaPrivateKey> = (0..3)
        .map(|_| RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap())
        .collect();
    let two = format!(
        "{}\n{}",
        *keys[0].to_pkcs1_pem(LineEnding::LF).unwrap(),
        *keys[1].to_pkcs1_pem(LineEnding::LF).unwrap()
    );
    std::fs::write(dir.path().join("two.pem"), two).unwrap();
    std::fs::write(
        dir.path().join("one.pem"),
        keys[2].to_pkcs1_pem(LineEnding::LF).unwrap().as_bytes(),
    )
    .unwrap();
    let loaded =
        PrivateKeys::from_pem_files([dir.path().join("two.pem"), dir.path().join("one.pem")])
            .unwrap();
    assert_eq!(loaded.len(), 3);
    assert_eq!(format!("{loaded:?}"), "PrivateKeys { count: 3, .. }");
    for key in &keys {
        let ciphertext = encrypt(b"hello", &key.to_public_key()).unwrap();
        assert_eq!(loaded.decrypt(&ciphertext).as_deref(), Some(&b"hello"[..]));
    }

    // Public keys in both PEM forms.
    let spki = keys[0]
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let pkcs1 = keys[0]
        .to_public_key()
        .to_pkcs1_pem(LineEnding::LF)
        .unwrap();
    for (name, text) in [("spki.pem", spki), ("pkcs1.pem", pkcs1)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        assert_eq!(read_public_key(&path).unwrap(), keys[0].to_public_key());
    }
}

#[test]
fn bad_files_are_errors_naming_the_file_and_block() {
    let dir = tempfile::tempdir().unwrap();
    let none = dir.path().join("none.pem");
    std::fs::write(&none, "no pem here").unwrap();
    let err = PrivateKeys::from_pem_files([&none]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("the key file `{}` holds no PEM block", none.display())
    );

    let broken = dir.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN RSA PRIVATE KEY-----\nTUlJQ1hBSUJBQUtCZ1FD\n-----END RSA PRIVATE KEY-----\n",
    )
    .unwrap();
    let err = PrivateKeys::from_pem_files([&broken]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "PEM block 1 (`RSA PRIVATE KEY`) of `{}` is not an RSA private key",
            broken.display()
        )
    );
    assert!(!err.to_string().contains("TUlJ"));

    let missing = dir.path().join("missing.pem");
    assert!(PrivateKeys::from_pem_files([&missing]).is_err());
}

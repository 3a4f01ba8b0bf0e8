//! The `encrypt` subcommand of the agent binary.

use std::io::Read;

use cninfra_core::{BoxError, Subcommand};

use crate::cipher::{encrypt_field, encrypt_json_string};
use crate::keys::read_public_key;

/// The subcommand's name.
pub(crate) const ENCRYPT: &str = "encrypt";

/// `encrypt --public-key FILE [--field] [VALUE]`: prints the value encrypted for the key
/// in upstream's format, `$crypto$` + base64url of RSA-OAEP-SHA-256 (`--field`: without
/// the prefix, for a registered protobuf field). Without VALUE it reads standard input
/// (one trailing newline dropped), so that the secret stays out of the shell history.
pub(crate) fn encrypt() -> Subcommand {
    let command = clap::Command::new(ENCRYPT)
        .about("Encrypts a value for a public key, for a `$crypto$` string of an `\"encrypted\": true` JSON value")
        .arg(
            clap::Arg::new("public-key")
                .long("public-key")
                .required(true)
                .value_name("FILE")
                .help("PEM file of the RSA public key (`PUBLIC KEY` or `RSA PUBLIC KEY`)"),
        )
        .arg(
            clap::Arg::new("field")
                .long("field")
                .action(clap::ArgAction::SetTrue)
                .help("Print base64url without the `$crypto$` prefix (a registered protobuf field)"),
        )
        .arg(clap::Arg::new("value").help(
            "The plaintext; read from standard input when absent (one trailing newline dropped)",
        ));
    Subcommand::new(command, |args| {
        let path = args
            .get_one::<String>("public-key")
            .ok_or("--public-key is required")?;
        let key = read_public_key(path)?;
        let value = match args.get_one::<String>("value") {
            Some(value) => value.clone(),
            None => read_stdin()?,
        };
        let encrypted = if args.get_flag("field") {
            encrypt_field(value.as_bytes(), &key)?
        } else {
            encrypt_json_string(value.as_bytes(), &key)?
        };
        Ok(encrypted)
    })
}

fn read_stdin() -> Result<String, BoxError> {
    let mut text = String::new();
    std::io::stdin().lock().read_to_string(&mut text)?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
}

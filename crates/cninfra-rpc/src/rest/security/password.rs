//! Password hashes (bcrypt, as upstream) and the `hash-password` subcommand that makes them
//! for `http.conf`.

use std::io::BufRead as _;

use cninfra_core::{BoxError, Subcommand};
use ring::rand::SecureRandom as _;

use crate::rest::config::DEFAULT_COST;
use crate::rest::error::RestError;

/// The name of the subcommand.
pub const HASH_PASSWORD: &str = "hash-password";

/// Whether `text` is a bcrypt hash (`$2b$<cost>$<salt and hash>`).
pub(crate) fn is_hash(text: &str) -> bool {
    text.parse::<bcrypt::HashParts>().is_ok()
}

/// The bcrypt hash of `password` with `cost` (slow by design).
pub(crate) fn hash(password: &str, cost: u32) -> Result<String, RestError> {
    bcrypt::hash(password, cost).map_err(|err| RestError::InvalidConfig {
        field: "password-hash-cost",
        reason: err.to_string(),
    })
}

/// Whether `password` matches `hash` (slow by design); a malformed hash matches nothing.
pub(crate) fn verify(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

/// A random key for signing tokens when none is configured.
pub(crate) fn random_key() -> Result<Vec<u8>, RestError> {
    let mut key = vec![0; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| RestError::InvalidConfig {
            field: "sign-key",
            reason: "no random key could be made; set one".to_owned(),
        })?;
    Ok(key)
}

/// `hash-password [PASSWORD] [COST]`: prints the bcrypt hash of the password (read from the
/// first line of standard input when not given, so that it stays out of the shell history)
/// for `users[].password` in `http.conf`. Upstream's `password-hasher <password> <cost>`.
pub(crate) fn subcommand() -> Subcommand {
    let command = clap::Command::new(HASH_PASSWORD)
        .about("Prints the bcrypt hash of a password, for `users` in http.conf")
        .arg(
            clap::Arg::new("password")
                .help("The password; read from the first line of standard input when absent"),
        )
        .arg(
            clap::Arg::new("cost")
                .help("bcrypt cost, 4 to 31 (`password-hash-cost`)")
                .default_value(DEFAULT_COST.to_string())
                .value_parser(clap::value_parser!(u32).range(4..=31)),
        );
    Subcommand::new(command, |args| {
        let cost = args.get_one::<u32>("cost").copied().unwrap_or(DEFAULT_COST);
        let password = match args.get_one::<String>("password") {
            Some(password) => password.clone(),
            None => read_line()?,
        };
        if password.is_empty() {
            return Err("the password is empty".into());
        }
        Ok(hash(&password, cost)?)
    })
}

fn read_line() -> Result<String, BoxError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_recognised() {
        let hashed = hash("pw", 4).unwrap();
        assert!(is_hash(&hashed) && !is_hash("pw"));
        assert!(verify("pw", &hashed) && !verify("pW", &hashed));
        assert!(!verify("pw", "not a hash"));
        // Go's x/crypto/bcrypt writes the `$2a$` variant.
        let go_style = hashed.replacen("$2b$", "$2a$", 1);
        assert!(is_hash(&go_style) && verify("pw", &go_style));
    }
}

//! Signed tokens: JSON Web Tokens with HMAC-SHA256 (`HS256`), as upstream's (audience = the
//! user, issuer `cn-infra.ligato.io`), plus the expiry upstream meant to set and a session
//! number that a logout invalidates.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde::{Deserialize, Serialize};

/// Issuer of every token, upstream's.
const ISSUER: &str = "cn-infra.ligato.io";
/// The token header: HS256, a JWT.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Why a token was refused; the text is what the client reads (upstream's where it had one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenError {
    /// Not three parts, not base64, not JSON, wrong algorithm or issuer.
    #[error("auth: invalid auth token")]
    Malformed,
    /// The signature does not match.
    #[error("auth: invalid auth token: signature is invalid")]
    Signature,
    /// Past its expiry.
    #[error("token is expired")]
    Expired,
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// The user (upstream's choice of field).
    pub(crate) aud: String,
    /// Expiry, seconds since the epoch.
    pub(crate) exp: u64,
    /// Issued at, seconds since the epoch.
    pub(crate) iat: u64,
    /// `cn-infra.ligato.io`.
    pub(crate) iss: String,
    /// The user's session when the token was issued; a logout starts a new one.
    pub(crate) sid: u64,
}

/// Signs and checks tokens with one key.
pub(crate) struct Signer {
    key: hmac::Key,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer")
    }
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

impl Signer {
    /// A signer with this key.
    pub(crate) fn new(key: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    /// A token for `user` in session `sid`, valid for `lifetime` from `now`.
    pub(crate) fn issue(
        &self,
        user: &str,
        sid: u64,
        lifetime: Duration,
        now: SystemTime,
    ) -> String {
        let claims = Claims {
            aud: user.to_owned(),
            exp: unix_seconds(now + lifetime),
            iat: unix_seconds(now),
            iss: ISSUER.to_owned(),
            sid,
        };
        // Serialising a struct of strings and numbers cannot fail.
        let payload = serde_json::to_vec(&claims).unwrap_or_default();
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let tag = hmac::sign(&self.key, signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    /// The claims of a token this signer issued and that has not expired at `now`.
    pub(crate) fn verify(&self, token: &str, now: SystemTime) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: serde_json::Value = URL_SAFE_NO_PAD
            .decode(header)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenError::Malformed)?;
        if header["alg"] != "HS256" {
            return Err(TokenError::Malformed);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let signed_len = token.len() - token.rsplit('.').next().map_or(0, str::len) - 1;
        hmac::verify(&self.key, &token.as_bytes()[..signed_len], &signature)
            .map_err(|_| TokenError::Signature)?;
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(TokenError::Malformed)?;
        if claims.iss != ISSUER {
            return Err(TokenError::Malformed);
        }
        if unix_seconds(now) >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_until_they_expire_and_only_with_their_key() {
        let signer = Signer::new(b"key");
        let now = SystemTime::now();
        let token = signer.issue("op", 3, Duration::from_secs(60), now);
        let claims = signer.verify(&token, now).unwrap();
        assert_eq!((claims.aud.as_str(), claims.sid), ("op", 3));
        assert_eq!(
            signer.verify(&token, now + Duration::from_secs(61)),
            Err(TokenError::Expired)
        );
        assert_eq!(
            Signer::new(b"other").verify(&token, now),
            Err(TokenError::Signature)
        );
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(
            br#"{"aud":"admin","exp":99999999999,"iat":0,"iss":"cn-infra.ligato.io","sid":0}"#,
        );
        parts[1] = &forged;
        assert_eq!(
            signer.verify(&parts.join("."), now),
            Err(TokenError::Signature)
        );
        assert_eq!(signer.verify("a.b", now), Err(TokenError::Malformed));
    }
}

//! Access tokens (short-lived HS256 JWTs), opaque refresh and device tokens (stored hashed), and
//! HMAC-signed blob URLs.

use crate::error::ApiError;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sightline_core::UserId;

pub const DEVICE_PREFIX: &str = "sld_";
pub const REFRESH_PREFIX: &str = "slr_";

/// `prefix` followed by 256 random bits in hex.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// Tokens are stored as SHA-256: a leaked database does not leak usable tokens.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    sub: String,
    exp: u64,
    iat: u64,
    typ: String,
}

pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    url_key: Vec<u8>,
    pub access_ttl_secs: u64,
}

impl Keys {
    pub fn new(secret: &[u8], access_ttl_secs: u64) -> Self {
        // Separate keys per purpose, derived from the one secret.
        let derive = |label: &[u8]| {
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("hmac takes any key length");
            mac.update(label);
            mac.finalize().into_bytes().to_vec()
        };
        let jwt_key = derive(b"sightline jwt v1");
        Self {
            encoding: EncodingKey::from_secret(&jwt_key),
            decoding: DecodingKey::from_secret(&jwt_key),
            url_key: derive(b"sightline signed url v1"),
            access_ttl_secs,
        }
    }

    pub fn issue_access(&self, user: UserId, now: u64) -> Result<String, ApiError> {
        let claims = AccessClaims {
            sub: user.to_string(),
            iat: now,
            exp: now + self.access_ttl_secs,
            typ: "access".into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    pub fn verify_access(&self, token: &str) -> Result<UserId, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map_err(|e| {
                ApiError::Unauthorized(match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                        "access token expired".into()
                    }
                    _ => "invalid access token".into(),
                })
            })?;
        if data.claims.typ != "access" {
            return Err(ApiError::Unauthorized("not an access token".into()));
        }
        UserId::parse(&data.claims.sub)
            .map_err(|_| ApiError::Unauthorized("invalid access token".into()))
    }

    fn url_mac(&self, key: &str, expires: u64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.url_key)
            .expect("hmac takes any key length");
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// Query string `exp=…&sig=…` authorising a GET of `key` until `expires` (Unix seconds).
    pub fn sign_blob(&self, key: &str, expires: u64) -> String {
        let sig = hex::encode(self.url_mac(key, expires).finalize().into_bytes());
        format!("exp={expires}&sig={sig}")
    }

    pub fn verify_blob(
        &self,
        key: &str,
        expires: u64,
        sig: &str,
        now: u64,
    ) -> Result<(), ApiError> {
        let sig = hex::decode(sig).map_err(|_| ApiError::Forbidden("invalid signature".into()))?;
        self.url_mac(key, expires)
            .verify_slice(&sig)
            .map_err(|_| ApiError::Forbidden("invalid signature".into()))?;
        if now > expires {
            return Err(ApiError::Forbidden("link expired".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_round_trip_and_expire() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef", 60);
        let user = UserId::new_random();
        let now = chrono::Utc::now().timestamp() as u64;
        let token = keys.issue_access(user, now).unwrap();
        assert_eq!(keys.verify_access(&token).unwrap(), user);
        let old = keys.issue_access(user, now - 3600).unwrap();
        assert!(
            keys.verify_access(&old)
                .unwrap_err()
                .to_string()
                .contains("expired")
        );
        let other = Keys::new(b"another secret another secret 00", 60);
        assert!(other.verify_access(&token).is_err());
    }

    #[test]
    fn signed_urls_reject_tampering_and_expiry() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef", 60);
        let query = keys.sign_blob("raw/u/a.jpg", 1000);
        let sig = query.split("sig=").nth(1).unwrap();
        assert!(keys.verify_blob("raw/u/a.jpg", 1000, sig, 999).is_ok());
        assert!(keys.verify_blob("raw/u/b.jpg", 1000, sig, 999).is_err());
        assert!(keys.verify_blob("raw/u/a.jpg", 2000, sig, 999).is_err());
        assert!(
            keys.verify_blob("raw/u/a.jpg", 1000, sig, 1001)
                .unwrap_err()
                .to_string()
                .contains("expired")
        );
    }
}

//! Web Push to whatever push service the browser subscribed with: the message is encrypted for
//! the browser (RFC 8291, `aes128gcm` of RFC 8188) and the request carries a VAPID token
//! (RFC 8292) signed with the server's key, POSTed to the endpoint (RFC 8030).

use aes_gcm::Aes128Gcm;
use aes_gcm::aead::{Aead, KeyInit};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use sha2::Sha256;
use sightline_store::notifications::PushSubscription;

pub const MAX_ENDPOINT_CHARS: usize = 2048;
/// The record size written in the header; the whole message is one record.
const RECORD_SIZE: u32 = 4096;
/// salt (16) + record size (4) + key id length (1) + key id (65).
const HEADER_LEN: usize = 86;
/// The most plaintext one 4096-byte record holds: the header, the tag and the delimiter go.
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - HEADER_LEN - 16 - 1;
/// A doorbell alert an hour late is no alert: push services may drop it after this.
const TTL_SECS: u32 = 3600;
/// How long a VAPID token is good for (RFC 8292 allows at most 24 hours).
const TOKEN_SECS: i64 = 12 * 3600;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Browsers hand keys out as unpadded base64url; some libraries pad them.
fn unb64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    URL_SAFE_NO_PAD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSubscription {
    #[error(
        "endpoint must be an https:// URL of at most {MAX_ENDPOINT_CHARS} characters (http:// only on loopback)"
    )]
    Endpoint,
    #[error(
        "keys.p256dh must be the browser's P-256 public key: 65 bytes, uncompressed, base64url"
    )]
    P256dh,
    #[error("keys.auth must be the browser's 16-byte auth secret, base64url")]
    Auth,
}

/// An https endpoint; plain http only to this machine (a local push service in tests).
pub fn check_endpoint(text: &str) -> Result<reqwest::Url, InvalidSubscription> {
    if text.chars().count() > MAX_ENDPOINT_CHARS {
        return Err(InvalidSubscription::Endpoint);
    }
    let url = reqwest::Url::parse(text.trim()).map_err(|_| InvalidSubscription::Endpoint)?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or(InvalidSubscription::Endpoint)?;
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let secure = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !secure || !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidSubscription::Endpoint);
    }
    Ok(url)
}

struct Keys {
    browser: PublicKey,
    browser_raw: Vec<u8>,
    auth: [u8; 16],
}

fn browser_keys(p256dh: &str, auth: &str) -> Result<Keys, InvalidSubscription> {
    let raw = unb64(p256dh).ok_or(InvalidSubscription::P256dh)?;
    // The key info hashes the uncompressed form: nothing else is allowed.
    if raw.len() != 65 || raw[0] != 4 {
        return Err(InvalidSubscription::P256dh);
    }
    let browser = PublicKey::from_sec1_bytes(&raw).map_err(|_| InvalidSubscription::P256dh)?;
    let auth: [u8; 16] = unb64(auth)
        .and_then(|a| a.try_into().ok())
        .ok_or(InvalidSubscription::Auth)?;
    Ok(Keys {
        browser,
        browser_raw: raw,
        auth,
    })
}

pub fn check_keys(p256dh: &str, auth: &str) -> Result<(), InvalidSubscription> {
    browser_keys(p256dh, auth).map(|_| ())
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8], out: &mut [u8]) {
    // Outputs here are at most 32 bytes, far below HKDF-SHA256's limit.
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .unwrap_or_else(|_| unreachable!("short HKDF output"));
}

/// RFC 8291 §3-4: `plaintext` as one `aes128gcm` record for the browser with `p256dh` and
/// `auth`, from the sender key `ephemeral` and `salt` (both fresh per message outside tests).
fn encrypt_with(
    plaintext: &[u8],
    keys: &Keys,
    ephemeral: &SecretKey,
    salt: &[u8; 16],
) -> Result<Vec<u8>, String> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(format!(
            "push payload of {} bytes is over {MAX_PLAINTEXT}",
            plaintext.len()
        ));
    }
    let sender_raw = ephemeral.public_key().to_encoded_point(false);
    let sender_raw = sender_raw.as_bytes();
    let shared =
        p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), keys.browser.as_affine());
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(&keys.browser_raw);
    key_info.extend_from_slice(sender_raw);
    let mut ikm = [0u8; 32];
    hkdf(&keys.auth, shared.raw_secret_bytes(), &key_info, &mut ikm);
    let mut cek = [0u8; 16];
    hkdf(salt, &ikm, b"Content-Encoding: aes128gcm\0", &mut cek);
    let mut nonce = [0u8; 12];
    hkdf(salt, &ikm, b"Content-Encoding: nonce\0", &mut nonce);

    let mut record = plaintext.to_vec();
    record.push(2); // the last (and only) record's delimiter, no padding
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|e| e.to_string())?;
    let sealed = cipher
        .encrypt(&nonce.into(), record.as_slice())
        .map_err(|_| "push payload encryption failed".to_string())?;
    let mut body = Vec::with_capacity(HEADER_LEN + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(sender_raw.len() as u8);
    body.extend_from_slice(sender_raw);
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// Encrypts `plaintext` for the subscription with a fresh sender key and salt.
pub fn encrypt(plaintext: &[u8], sub: &PushSubscription) -> Result<Vec<u8>, String> {
    let keys = browser_keys(&sub.p256dh, &sub.auth).map_err(|e| e.to_string())?;
    let ephemeral = SecretKey::random(&mut rand::rngs::OsRng);
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    encrypt_with(plaintext, &keys, &ephemeral, &salt)
}

/// The server's VAPID key pair. No `Debug`: it holds a private key.
pub struct Vapid {
    key: SecretKey,
    public: String,
}

impl Vapid {
    /// Derived from the server's secret, so it needs no storage of its own; rotating the secret
    /// rotates it, and browsers then subscribe again.
    pub fn derive(secret: &[u8]) -> anyhow::Result<Self> {
        for counter in 0u8..=255 {
            let mut scalar = [0u8; 32];
            hkdf(
                b"sightline vapid",
                secret,
                &[b"p256 key ".as_slice(), &[counter]].concat(),
                &mut scalar,
            );
            // Almost every 32-byte string is a valid scalar; try the next one otherwise.
            if let Ok(key) = SecretKey::from_slice(&scalar) {
                let public = b64(key.public_key().to_encoded_point(false).as_bytes());
                return Ok(Self { key, public });
            }
        }
        anyhow::bail!("could not derive a VAPID key from the server secret")
    }

    /// The `applicationServerKey` a browser subscribes with: the uncompressed point, base64url.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// The RFC 8292 `Authorization` header for `endpoint`, valid from `now` (Unix seconds).
    pub fn authorization(&self, endpoint: &reqwest::Url, subject: &str, now: i64) -> String {
        let header = b64(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": endpoint.origin().ascii_serialization(),
            "exp": now + TOKEN_SECS,
            "sub": subject,
        });
        let claims = b64(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{claims}");
        let signature: p256::ecdsa::Signature =
            p256::ecdsa::SigningKey::from(&self.key).sign(signing_input.as_bytes());
        format!(
            "vapid t={signing_input}.{}, k={}",
            b64(&signature.to_bytes()),
            self.public
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    Accepted,
    /// The browser unsubscribed (404 or 410): drop the subscription.
    Gone,
}

/// Sends one encrypted message. 404/410 mean the subscription is gone; any other non-2xx
/// answer is a failure worth retrying.
pub async fn send(
    http: &reqwest::Client,
    vapid: &Vapid,
    subject: &str,
    sub: &PushSubscription,
    plaintext: &[u8],
) -> Result<PushOutcome, String> {
    let endpoint = check_endpoint(&sub.endpoint).map_err(|e| e.to_string())?;
    let body = encrypt(plaintext, sub)?;
    let auth = vapid.authorization(&endpoint, subject, chrono::Utc::now().timestamp());
    let response = http
        .post(endpoint)
        .header(reqwest::header::AUTHORIZATION, auth)
        .header(reqwest::header::CONTENT_ENCODING, "aes128gcm")
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .header("TTL", TTL_SECS.to_string())
        .header("Urgency", "high")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("push {}: {}", sub.id, e.without_url()))?;
    match response.status().as_u16() {
        200..=299 => Ok(PushOutcome::Accepted),
        404 | 410 => Ok(PushOutcome::Gone),
        status => Err(format!("push {} answered {status}", sub.id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier;

    fn key(text: &str) -> SecretKey {
        SecretKey::from_slice(&unb64(text).expect("b64")).expect("key")
    }

    /// RFC 8291 Appendix A, byte for byte.
    #[test]
    fn the_rfc_8291_example_encrypts_to_the_published_message() {
        let keys = browser_keys(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            "BTBZMqHH6r4Tts7J_aSIgg",
        )
        .expect("keys");
        let sender = key("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw");
        let salt: [u8; 16] = unb64("DGv6ra1nlYgDCS1FRnbzlw")
            .expect("salt")
            .try_into()
            .expect("16");
        let body = encrypt_with(
            b"When I grow up, I want to be a watermelon",
            &keys,
            &sender,
            &salt,
        )
        .expect("encrypt");
        assert_eq!(
            b64(&body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
        let too_long = vec![b'x'; MAX_PLAINTEXT + 1];
        assert!(encrypt_with(&too_long, &keys, &sender, &salt).is_err());
    }

    #[test]
    fn the_vapid_key_is_stable_and_its_token_verifies() {
        let vapid = Vapid::derive(b"server secret").expect("vapid");
        assert_eq!(
            vapid.public_key(),
            Vapid::derive(b"server secret").expect("again").public_key()
        );
        assert_ne!(
            vapid.public_key(),
            Vapid::derive(b"another").expect("other").public_key()
        );
        let endpoint = reqwest::Url::parse("https://push.example.net:8443/wpush/v2/abc").unwrap();
        let header = vapid.authorization(&endpoint, "mailto:admin@example.com", 1_770_000_000);
        let (token, k) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .expect("t and k");
        assert_eq!(k, vapid.public_key());
        let (signed, signature) = token.rsplit_once('.').expect("three parts");
        let verifier =
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&unb64(k).unwrap()).expect("public key");
        let signature =
            p256::ecdsa::Signature::from_slice(&unb64(signature).unwrap()).expect("r||s");
        verifier
            .verify(signed.as_bytes(), &signature)
            .expect("signature verifies");
        let claims = signed.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(&unb64(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["exp"], 1_770_000_000 + TOKEN_SECS);
        assert_eq!(claims["sub"], "mailto:admin@example.com");
    }

    #[test]
    fn endpoints_and_keys_are_checked() {
        assert!(check_endpoint("https://fcm.googleapis.com/fcm/send/abc").is_ok());
        assert!(check_endpoint("http://127.0.0.1:9000/push/1").is_ok());
        assert!(check_endpoint("http://localhost:9000/push/1").is_ok());
        for bad in [
            "http://push.example.com/x",
            "ftp://127.0.0.1/x",
            "https://u:p@push.example.com/x",
            "not a url",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
        let p256dh = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
        assert!(check_keys(p256dh, "BTBZMqHH6r4Tts7J_aSIgg").is_ok());
        assert!(check_keys(p256dh, "BTBZMqHH6r4Tts7J_aSIgg==").is_ok());
        assert_eq!(
            check_keys(p256dh, "c2hvcnQ"),
            Err(InvalidSubscription::Auth)
        );
        // Not on the curve, compressed, garbage.
        let off_curve = format!("BA{}", &p256dh[2..]);
        for bad in [off_curve.as_str(), "AjAx", "!!!"] {
            assert_eq!(
                check_keys(bad, "BTBZMqHH6r4Tts7J_aSIgg"),
                Err(InvalidSubscription::P256dh),
                "{bad}"
            );
        }
    }
}

//! Webhooks: a checked URL, and a signed POST of the notification's JSON. The receiver checks
//! `X-Sightline-Signature: sha256=<hex HMAC-SHA256 of the body under the webhook's secret>` and
//! may drop repeats by `X-Sightline-Delivery` (delivery is at least once).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sightline_store::notifications::Webhook;

pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_SECRET_CHARS: usize = 256;
pub const SIGNATURE_HEADER: &str = "X-Sightline-Signature";
pub const EVENT_HEADER: &str = "X-Sightline-Event";
pub const DELIVERY_HEADER: &str = "X-Sightline-Delivery";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidWebhook {
    #[error(
        "url must be an absolute http:// or https:// URL of at most {MAX_URL_CHARS} characters"
    )]
    Url,
    #[error("url must not carry a user name or password: put a shared secret in `secret`")]
    Credentials,
    #[error("secret must be 16 to {MAX_SECRET_CHARS} printable ASCII characters")]
    Secret,
}

/// An http(s) URL with a host and no credentials. Hosts on the local network are allowed on
/// purpose: a self-hosted server often notifies a home automation box next to it.
pub fn check_url(text: &str) -> Result<reqwest::Url, InvalidWebhook> {
    if text.chars().count() > MAX_URL_CHARS || text.chars().any(char::is_control) {
        return Err(InvalidWebhook::Url);
    }
    let url = reqwest::Url::parse(text.trim()).map_err(|_| InvalidWebhook::Url)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(InvalidWebhook::Url);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidWebhook::Credentials);
    }
    Ok(url)
}

pub fn check_secret(secret: &str) -> Result<(), InvalidWebhook> {
    let printable = secret.bytes().all(|b| b.is_ascii_graphic());
    if !printable || !(16..=MAX_SECRET_CHARS).contains(&secret.len()) {
        return Err(InvalidWebhook::Secret);
    }
    Ok(())
}

/// A fresh secret for a webhook registered without one: 32 random bytes as hex.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The `X-Sightline-Signature` value of `body`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("hmac accepts any key length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs `body`; anything but a 2xx answer (redirects included) is a failure worth retrying.
pub async fn deliver(
    http: &reqwest::Client,
    hook: &Webhook,
    delivery: &str,
    body: bytes::Bytes,
) -> Result<(), String> {
    let signed = signature(&hook.secret, &body);
    let response = http
        .post(&hook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signed)
        .header(EVENT_HEADER, "doorbell.event")
        .header(DELIVERY_HEADER, delivery)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("webhook {}: {}", hook.id, without_url(e)))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("webhook {} answered {status}", hook.id))
    }
}

/// The error without its URL: a webhook URL may carry a token in its query.
fn without_url(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    format!("{kind}: {}", e.without_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_or_https_with_a_host_and_no_credentials() {
        assert!(check_url("https://hooks.example.com/x?token=1").is_ok());
        assert!(check_url("http://192.168.1.20:8123/api/webhook/door").is_ok());
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://",
            "/relative",
            "",
            "https://exa mple.com/\n",
        ] {
            assert_eq!(check_url(bad), Err(InvalidWebhook::Url), "{bad}");
        }
        assert_eq!(
            check_url("https://user:pw@example.com/"),
            Err(InvalidWebhook::Credentials)
        );
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert_eq!(check_url(&long), Err(InvalidWebhook::Url));
    }

    #[test]
    fn secrets_are_long_printable_ascii() {
        assert!(check_secret("0123456789abcdef").is_ok());
        assert!(check_secret("short").is_err());
        assert!(check_secret("with a space in it, long").is_err());
        assert!(check_secret(&"x".repeat(MAX_SECRET_CHARS + 1)).is_err());
        assert_eq!(new_secret().len(), 64);
        assert_ne!(new_secret(), new_secret());
    }

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

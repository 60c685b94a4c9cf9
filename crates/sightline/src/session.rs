//! Talking to a server as a user: register or log in, create a device.

use anyhow::{Context, bail};
use serde_json::{Value, json};

pub struct Session {
    pub http: reqwest::Client,
    pub base: String,
    pub access_token: String,
}

async fn post(
    http: &reqwest::Client,
    url: String,
    body: Value,
    token: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    let mut request = http.post(&url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or("no message")
}

impl Session {
    pub async fn login(base: &str, email: &str, password: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let base = base.trim_end_matches('/').to_string();
        let (status, body) = post(
            &http,
            format!("{base}/api/v1/auth/login"),
            json!({"email": email, "password": password}),
            None,
        )
        .await?;
        if status != 200 {
            bail!("login as {email} failed ({status}): {}", message(&body));
        }
        let access_token = body["access_token"]
            .as_str()
            .context("login answer has no access_token")?
            .to_string();
        Ok(Self {
            http,
            base,
            access_token,
        })
    }

    /// Logs in, registering the account first when it does not exist yet.
    pub async fn login_or_register(
        base: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let url = format!("{}/api/v1/auth/register", base.trim_end_matches('/'));
        let (status, body) = post(
            &http,
            url,
            json!({"email": email, "password": password}),
            None,
        )
        .await?;
        if status != 201 && status != 409 {
            bail!("registering {email} failed ({status}): {}", message(&body));
        }
        Self::login(base, email, password).await
    }

    /// The id of the user's device with this name, creating it when missing.
    pub async fn ensure_device(&self, name: &str, device_type: &str) -> anyhow::Result<String> {
        let list: Value = self
            .http
            .get(format!("{}/api/v1/devices", self.base))
            .bearer_auth(&self.access_token)
            .send()
            .await?
            .json()
            .await?;
        let existing = list["devices"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["name"] == name);
        if let Some(id) = existing.and_then(|d| d["id"].as_str()) {
            return Ok(id.to_string());
        }
        let (status, body) = post(
            &self.http,
            format!("{}/api/v1/devices", self.base),
            json!({"type": device_type, "name": name, "firmware_version": "demo-1.0"}),
            Some(&self.access_token),
        )
        .await?;
        if status != 201 {
            bail!(
                "creating device {name} failed ({status}): {}",
                message(&body)
            );
        }
        Ok(body["device_id"]
            .as_str()
            .context("no device_id")?
            .to_string())
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.access_token)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("GET {path} failed ({status}): {}", message(&body));
        }
        Ok(body)
    }

    /// POSTs JSON; returns the status and body, failing only on transport errors.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<(u16, Value)> {
        post(
            &self.http,
            format!("{}/api/v1{path}", self.base),
            body,
            Some(&self.access_token),
        )
        .await
    }
}

//! The one error type of the client.

use reqwest::StatusCode;
use std::io;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error status; `code` and `message` come from its JSON body.
    #[error("server answered {}: {message}", status.as_u16())]
    Http {
        status: StatusCode,
        code: Option<String>,
        message: String,
    },
    #[error("local i/o failed")]
    Io(#[from] io::Error),
    #[error("request failed")]
    Transport(#[from] reqwest::Error),
    /// The server answered in a way tus does not allow (missing or malformed header).
    #[error("protocol violation: {0}")]
    Protocol(String),
    #[error("invalid server url {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
}

impl ClientError {
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Credentials are wrong: every other request would fail the same way.
    pub fn is_auth(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// The upload is unknown or expired on the server.
    pub fn is_gone(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::NOT_FOUND | StatusCode::GONE)
        )
    }

    /// The message with every cause, for one-line reports (`Display` shows only the top).
    pub fn describe(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

//! Which failures are worth another try, and how long to wait before it.

use crate::error::ClientError;
use sightline_core::backoff::RetryPolicy;
use std::future::Future;
use std::time::Duration;

/// About six tries per request, waiting ~1, 2, 4, 8, 16 s (halved at random) in between.
pub(crate) const DEFAULT_POLICY: RetryPolicy = RetryPolicy {
    base: Duration::from_secs(1),
    max: Duration::from_secs(30),
    max_attempts: 6,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Fatal,
    Again {
        /// Ask the server for its offset first: the failed request may have moved it.
        rehead: bool,
        /// Back off first; not needed when the server told us exactly what to fix.
        wait: bool,
    },
}

pub(crate) fn action(err: &ClientError) -> Action {
    match err {
        // The whole file did not match its declared checksum and the server dropped the
        // upload: resending a chunk cannot help.
        ClientError::Http {
            code: Some(code), ..
        } if code == "file_checksum_mismatch" => Action::Fatal,
        ClientError::Http { status, .. } => match status.as_u16() {
            409 => Action::Again {
                rehead: true,
                wait: false,
            },
            460 => Action::Again {
                rehead: false,
                wait: false,
            },
            // 423: another request holds the upload; 408/429: the server wants us slower.
            408 | 423 | 429 | 500..=599 => Action::Again {
                rehead: true,
                wait: true,
            },
            _ => Action::Fatal,
        },
        ClientError::Transport(e)
            if e.is_connect() || e.is_timeout() || e.is_request() || e.is_body() =>
        {
            Action::Again {
                rehead: true,
                wait: true,
            }
        }
        _ => Action::Fatal,
    }
}

/// Counts consecutive failures of one request.
pub(crate) struct Backoff {
    policy: RetryPolicy,
    failures: u32,
}

impl Backoff {
    pub(crate) fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            failures: 0,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// Records a failure; false once the attempts are used up, else sleeps if asked and
    /// returns true.
    pub(crate) async fn failed(&mut self, wait: bool) -> bool {
        self.failures += 1;
        if self.policy.exhausted(self.failures) {
            return false;
        }
        if wait {
            // Random jitter so parallel uploads hitting the same outage do not retry in step.
            let seed = uuid::Uuid::new_v4().as_u64_pair().0;
            tokio::time::sleep(self.policy.delay_after(self.failures, seed)).await;
        }
        true
    }
}

/// Runs `op(attempt)` (a creation or a HEAD) until it succeeds, fails fatally, or the
/// attempts run out. Only transient failures are retried: a 409 here is not an offset to
/// fix but a real conflict (the media id is taken with another length).
pub(crate) async fn with_retry<T, F, Fut>(policy: RetryPolicy, mut op: F) -> Result<T, ClientError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    let mut backoff = Backoff::new(policy);
    let mut attempt = 0;
    loop {
        let err = match op(attempt).await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        match action(&err) {
            Action::Again { wait: true, .. } if backoff.failed(true).await => attempt += 1,
            _ => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn http(code: u16) -> ClientError {
        ClientError::Http {
            status: StatusCode::from_u16(code).unwrap(),
            code: None,
            message: String::new(),
        }
    }

    #[test]
    fn classifies_statuses() {
        assert_eq!(
            action(&http(409)),
            Action::Again {
                rehead: true,
                wait: false
            }
        );
        assert_eq!(
            action(&http(460)),
            Action::Again {
                rehead: false,
                wait: false
            }
        );
        for retried in [423, 429, 500, 503] {
            assert!(matches!(
                action(&http(retried)),
                Action::Again { wait: true, .. }
            ));
        }
        for fatal in [400, 401, 403, 404, 410, 413] {
            assert_eq!(action(&http(fatal)), Action::Fatal, "{fatal}");
        }
        assert_eq!(action(&ClientError::Protocol("x".into())), Action::Fatal);
        let whole_file = ClientError::Http {
            status: StatusCode::from_u16(460).unwrap(),
            code: Some("file_checksum_mismatch".into()),
            message: String::new(),
        };
        assert_eq!(action(&whole_file), Action::Fatal);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts() {
        let policy = RetryPolicy {
            base: Duration::ZERO,
            max: Duration::ZERO,
            max_attempts: 3,
        };
        let mut calls = 0;
        let result: Result<(), _> = with_retry(policy, |_| {
            calls += 1;
            async { Err(http(503)) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 3);

        let mut calls = 0;
        let result = with_retry(policy, |attempt| {
            calls += 1;
            async move {
                if attempt == 0 {
                    Err(http(423))
                } else {
                    Ok(attempt)
                }
            }
        })
        .await;
        assert_eq!(result.unwrap(), 1);
        assert_eq!(calls, 2);

        let mut calls = 0;
        let result: Result<(), _> = with_retry(policy, |_| {
            calls += 1;
            async { Err(http(409)) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 1, "a conflict at creation is final");
    }
}

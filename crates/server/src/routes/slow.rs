//! Names requests that take too long: a request still running after [`SLOW_AFTER`] is logged
//! while it runs (a hung one never finishes, so logging at the end would never say which), and
//! again with its time when it ends. Only the method and path are logged: queries may carry
//! signatures.

use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::time::{Duration, Instant};

/// Longer than any request should take on a healthy server, bar large chunks on slow links.
const SLOW_AFTER: Duration = Duration::from_secs(30);

pub async fn warn_when_slow(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    watch(&method, &path, SLOW_AFTER, next.run(request)).await
}

async fn watch(
    method: &Method,
    path: &str,
    slow_after: Duration,
    answer: impl Future<Output = Response>,
) -> Response {
    let started = Instant::now();
    tokio::pin!(answer);
    tokio::select! {
        response = &mut answer => return response,
        () = tokio::time::sleep(slow_after) => {
            tracing::warn!(%method, path, secs = slow_after.as_secs_f64(), "request still running");
        }
    }
    let response = answer.await;
    tracing::warn!(
        %method,
        path,
        secs = started.elapsed().as_secs_f64(),
        status = response.status().as_u16(),
        "slow request finished"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    #[tokio::test]
    async fn a_slow_request_still_gets_its_answer() {
        let slow = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            (axum::http::StatusCode::CREATED, "done").into_response()
        };
        let response = watch(&Method::PUT, "/x", Duration::from_millis(5), slow).await;
        assert_eq!(response.status(), 201);
        let body = axum::body::to_bytes(response.into_body(), 64)
            .await
            .unwrap();
        assert_eq!(&body[..], b"done");
    }
}

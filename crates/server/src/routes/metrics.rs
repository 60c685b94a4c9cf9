//! `GET /metrics` in the Prometheus text format: the job backlog per bus consumer and the
//! notification latencies (event accepted → delivered) the issue asks to be exported. Figures
//! over all users, never one user's.

use crate::error::{ApiError, ApiResult};
use crate::notifications::latency::{Channel, Summary};
use crate::routes::header_str;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let token = &state.config.metrics_token;
    if !token.is_empty() {
        let given = header_str(&headers, "Authorization").and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.trim().as_bytes(), token.as_bytes())) {
            return Err(ApiError::Unauthorized(
                "GET /metrics needs Authorization: Bearer <metrics_token>".into(),
            ));
        }
    }
    let mut pending = Vec::new();
    for consumer in crate::workers::CONSUMERS {
        pending.push((consumer, state.backends.bus.pending(consumer).await?));
    }
    let latencies = &state.notifications.latency;
    let text = render(&pending, &latencies.summary(None), &latencies.delivered());
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn render(
    pending: &[(&str, u64)],
    recent: &BTreeMap<Channel, Summary>,
    delivered: &BTreeMap<Channel, u64>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP sightline_jobs_pending Bus deliveries not yet handled, per consumer.\n\
         # TYPE sightline_jobs_pending gauge"
    );
    for (consumer, n) in pending {
        let _ = writeln!(out, "sightline_jobs_pending{{consumer=\"{consumer}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP sightline_notifications_delivered_total Notifications delivered since start, per channel.\n\
         # TYPE sightline_notifications_delivered_total counter"
    );
    for channel in Channel::ALL {
        let n = delivered.get(&channel).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "sightline_notifications_delivered_total{{channel=\"{}\"}} {n}",
            channel.as_str()
        );
    }
    let _ = writeln!(
        out,
        "# HELP sightline_notification_latency_ms Event accepted to notification delivered over the last 10 minutes, by channel and quantile.\n\
         # TYPE sightline_notification_latency_ms gauge"
    );
    for (channel, s) in recent {
        for (quantile, value) in [("0.5", s.p50_ms), ("0.99", s.p99_ms), ("1", s.max_ms)] {
            let _ = writeln!(
                out,
                "sightline_notification_latency_ms{{channel=\"{}\",quantile=\"{quantile}\"}} {value}",
                channel.as_str()
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_format_has_one_sample_per_line_under_its_type() {
        let recent = BTreeMap::from([(
            Channel::Webhook,
            Summary {
                count: 3,
                p50_ms: 2.5,
                p99_ms: 30.0,
                max_ms: 31.0,
            },
        )]);
        let delivered = BTreeMap::from([(Channel::Webhook, 7)]);
        let text = render(&[("probe", 2), ("notify-push", 0)], &recent, &delivered);
        for line in [
            "# TYPE sightline_jobs_pending gauge",
            "sightline_jobs_pending{consumer=\"probe\"} 2",
            "sightline_jobs_pending{consumer=\"notify-push\"} 0",
            "sightline_notifications_delivered_total{channel=\"webhook\"} 7",
            "sightline_notifications_delivered_total{channel=\"sse\"} 0",
            "sightline_notification_latency_ms{channel=\"webhook\",quantile=\"0.99\"} 30",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        assert!(
            !text.contains("channel=\"sse\",quantile"),
            "no samples, no quantiles"
        );
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}

//! Event accepted → notification delivered, per channel, over a recent window: what
//! `GET /notifications/stats` reports and what is logged once a minute while events flow.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sightline_core::UserId;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Samples older than this no longer count.
pub const WINDOW: Duration = Duration::from_secs(600);
/// At most this many samples are kept (the oldest go first).
const MAX_SAMPLES: usize = 50_000;
const LOG_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The note was handed to the user's event streams.
    Sse,
    /// The webhook answered 2xx.
    Webhook,
    /// The push service accepted the message.
    WebPush,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Self::Sse, Self::Webhook, Self::WebPush];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sse => "sse",
            Self::Webhook => "webhook",
            Self::WebPush => "web_push",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

struct Sample {
    user: UserId,
    channel: Channel,
    taken: Instant,
    ms: f64,
}

struct Inner {
    samples: VecDeque<Sample>,
    logged: Instant,
    /// Deliveries since the server started, per channel (the metrics' counter).
    delivered: BTreeMap<Channel, u64>,
}

pub struct Latencies {
    inner: Mutex<Inner>,
}

impl Default for Latencies {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                samples: VecDeque::new(),
                logged: Instant::now(),
                delivered: BTreeMap::new(),
            }),
        }
    }
}

/// Nearest rank: the smallest value with at least `q` of the samples at or below it.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn summarise(mut values: Vec<f64>) -> Summary {
    values.sort_by(f64::total_cmp);
    Summary {
        count: values.len(),
        p50_ms: percentile(&values, 0.50),
        p99_ms: percentile(&values, 0.99),
        max_ms: values.last().copied().unwrap_or(0.0),
    }
}

impl Latencies {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding it leaves only samples behind: keep using them.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a delivery of an event accepted at `accepted`; returns its latency in ms.
    pub fn record(&self, user: UserId, channel: Channel, accepted: DateTime<Utc>) -> f64 {
        let ms = ((Utc::now() - accepted)
            .num_microseconds()
            .unwrap_or(i64::MAX) as f64
            / 1000.0)
            .max(0.0);
        let now = Instant::now();
        let mut inner = self.lock();
        *inner.delivered.entry(channel).or_default() += 1;
        inner.samples.push_back(Sample {
            user,
            channel,
            taken: now,
            ms,
        });
        while inner.samples.len() > MAX_SAMPLES
            || inner
                .samples
                .front()
                .is_some_and(|s| now.duration_since(s.taken) > WINDOW)
        {
            inner.samples.pop_front();
        }
        if now.duration_since(inner.logged) >= LOG_EVERY {
            inner.logged = now;
            for (channel, s) in Self::summaries(&inner, None) {
                tracing::info!(
                    ?channel,
                    count = s.count,
                    p50_ms = s.p50_ms,
                    p99_ms = s.p99_ms,
                    max_ms = s.max_ms,
                    "notification latency over the last 10 minutes"
                );
            }
        }
        ms
    }

    fn summaries(inner: &Inner, user: Option<UserId>) -> BTreeMap<Channel, Summary> {
        let cutoff = Instant::now().checked_sub(WINDOW);
        Channel::ALL
            .into_iter()
            .filter_map(|channel| {
                let values: Vec<f64> = inner
                    .samples
                    .iter()
                    .filter(|s| s.channel == channel && user.is_none_or(|u| s.user == u))
                    .filter(|s| cutoff.is_none_or(|c| s.taken >= c))
                    .map(|s| s.ms)
                    .collect();
                (!values.is_empty()).then(|| (channel, summarise(values)))
            })
            .collect()
    }

    /// Per channel with samples: the user's deliveries, or everyone's.
    pub fn summary(&self, user: Option<UserId>) -> BTreeMap<Channel, Summary> {
        Self::summaries(&self.lock(), user)
    }

    /// Deliveries per channel since the server started.
    pub fn delivered(&self) -> BTreeMap<Channel, u64> {
        self.lock().delivered.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = summarise(values.into_iter().rev().collect());
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(summarise(vec![7.0]).p99_ms, 7.0);
        assert_eq!(summarise(vec![]).count, 0);
    }

    #[test]
    fn samples_are_kept_per_user_and_channel() {
        let latencies = Latencies::default();
        let (alice, bob) = (UserId::new_random(), UserId::new_random());
        let accepted = Utc::now() - chrono::Duration::milliseconds(40);
        let ms = latencies.record(alice, Channel::Sse, accepted);
        assert!((40.0..10_000.0).contains(&ms), "{ms}");
        latencies.record(alice, Channel::Webhook, accepted);
        latencies.record(bob, Channel::Sse, accepted);
        let own = latencies.summary(Some(alice));
        assert_eq!(own[&Channel::Sse].count, 1);
        assert_eq!(own[&Channel::Webhook].count, 1);
        assert!(!own.contains_key(&Channel::WebPush));
        assert_eq!(latencies.summary(None)[&Channel::Sse].count, 2);
        assert_eq!(latencies.delivered()[&Channel::Sse], 2);
        // A clock that went backwards is not a negative latency.
        let ahead = Utc::now() + chrono::Duration::seconds(5);
        assert_eq!(latencies.record(bob, Channel::WebPush, ahead), 0.0);
    }
}

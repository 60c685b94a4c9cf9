//! Retry schedule for failed jobs: exponential, capped, with deterministic jitter so that
//! many jobs failing together do not retry together.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
    /// Attempts after which a job is dead-lettered.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            max: Duration::from_secs(600),
            max_attempts: 5,
        }
    }
}

impl RetryPolicy {
    /// Delay before attempt `attempts + 1`, given `attempts` failed ones so far (≥ 1).
    /// `jitter_seed` spreads retries of different jobs over [50 %, 100 %] of the step.
    pub fn delay_after(&self, attempts: u32, jitter_seed: u64) -> Duration {
        let exponent = attempts.saturating_sub(1).min(20);
        let step = self.base.saturating_mul(1u32 << exponent).min(self.max);
        let fraction = 0.5 + (splitmix(jitter_seed) % 1000) as f64 / 2000.0;
        step.mul_f64(fraction)
    }

    pub fn exhausted(&self, attempts: u32) -> bool {
        attempts >= self.max_attempts
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps() {
        let policy = RetryPolicy {
            base: Duration::from_secs(1),
            max: Duration::from_secs(10),
            max_attempts: 3,
        };
        let first = policy.delay_after(1, 7);
        let third = policy.delay_after(3, 7);
        assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
        assert!(third >= Duration::from_secs(2) && third <= Duration::from_secs(4));
        assert!(policy.delay_after(30, 7) <= Duration::from_secs(10));
        assert!(!policy.exhausted(2));
        assert!(policy.exhausted(3));
    }
}

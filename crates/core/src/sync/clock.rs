//! The clock each node keeps: it issues stamps for local events and moves forward past the
//! stamps it receives, so anything a node writes after seeing a stamp sorts after it.

use super::hlc::{DEFAULT_MAX_DRIFT_MS, Hlc, MAX_COUNTER, MAX_WALL_MS, NodeId};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// A device with its clock in 2099 must not drag everyone's stamps there.
    #[error(
        "remote stamp is {ahead_ms} ms ahead of physical time (at most {max_drift_ms} allowed)"
    )]
    TooFarAhead { ahead_ms: u64, max_drift_ms: u64 },
    #[error("remote stamp counter would overflow")]
    CounterOverflow,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    node: NodeId,
    /// Wall time and counter of the last stamp issued or observed.
    last: (u64, u32),
    max_drift_ms: u64,
}

impl Clock {
    pub fn new(node: NodeId) -> Self {
        Self {
            node,
            last: (0, 0),
            max_drift_ms: DEFAULT_MAX_DRIFT_MS,
        }
    }

    /// A clock restarted after `last`, its own latest stamp (persist it to survive restarts).
    pub fn resume(last: &Hlc) -> Self {
        Self {
            last: (last.wall_ms(), last.counter()),
            ..Self::new(last.node().clone())
        }
    }

    pub fn with_max_drift_ms(mut self, max_drift_ms: u64) -> Self {
        self.max_drift_ms = max_drift_ms;
        self
    }

    pub fn node(&self) -> &NodeId {
        &self.node
    }

    /// A stamp for a local event, greater than every stamp issued or observed before, even
    /// when physical time went backwards. When the counter runs out within one millisecond the
    /// wall time moves one millisecond ahead instead. At the end of representable time (year
    /// 33658) stamps stop increasing.
    pub fn tick(&mut self, physical_now_ms: u64) -> Hlc {
        let now = physical_now_ms.min(MAX_WALL_MS);
        let (wall, counter) = self.last;
        self.last = if now > wall {
            (now, 0)
        } else if counter < MAX_COUNTER {
            (wall, counter + 1)
        } else if wall < MAX_WALL_MS {
            (wall + 1, 0)
        } else {
            (wall, counter)
        };
        self.stamp()
    }

    /// Moves past a received stamp and returns a stamp for the receive event. Refuses, leaving
    /// the clock unchanged, a stamp too far in the future or whose counter is exhausted.
    pub fn observe(&mut self, remote: &Hlc, physical_now_ms: u64) -> Result<Hlc, ClockError> {
        let now = physical_now_ms.min(MAX_WALL_MS);
        let ahead_ms = remote.wall_ms().saturating_sub(now);
        if ahead_ms > self.max_drift_ms {
            return Err(ClockError::TooFarAhead {
                ahead_ms,
                max_drift_ms: self.max_drift_ms,
            });
        }
        let (wall, counter) = self.last;
        let (remote_wall, remote_counter) = (remote.wall_ms(), remote.counter());
        let next_wall = wall.max(remote_wall).max(now);
        // The counter continues from whichever clocks are already at the new wall time.
        let base = match (next_wall == wall, next_wall == remote_wall) {
            (true, true) => Some(counter.max(remote_counter)),
            (true, false) => Some(counter),
            (false, true) => Some(remote_counter),
            (false, false) => None,
        };
        self.last = match base {
            None => (next_wall, 0),
            Some(c) if c < MAX_COUNTER => (next_wall, c + 1),
            // Our own exhausted counter is solved like in `tick`; a remote one is refused.
            Some(_) if next_wall == remote_wall && remote_counter == MAX_COUNTER => {
                return Err(ClockError::CounterOverflow);
            }
            Some(_) if next_wall < MAX_WALL_MS => (next_wall + 1, 0),
            Some(_) => return Err(ClockError::CounterOverflow),
        };
        Ok(self.stamp())
    }

    fn stamp(&self) -> Hlc {
        // `last` only ever holds in-range values: `tick` and `observe` clamp them.
        Hlc::in_range(self.last.0, self.last.1, self.node.clone())
    }
}

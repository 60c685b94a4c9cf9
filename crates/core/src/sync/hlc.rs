//! Hybrid logical clocks: stamps that follow physical time when clocks agree and still order
//! causally related events when they do not. Ordered by (wall_ms, counter, node); the string
//! form sorts the same way, so stores can index it as text.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Largest wall time the fixed-width string form can hold (15 digits, about the year 33658).
pub const MAX_WALL_MS: u64 = 999_999_999_999_999;
/// Largest counter the fixed-width string form can hold (6 digits).
pub const MAX_COUNTER: u32 = 999_999;
/// How far ahead of our physical time a remote stamp may be before it is refused.
pub const DEFAULT_MAX_DRIFT_MS: u64 = 5 * 60 * 1000;

/// Who made a stamp: a device id or "server". Part of the order, so ties between nodes are
/// broken the same way everywhere.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeIdError {
    #[error("node id is empty")]
    Empty,
    #[error("node id is longer than 64 characters")]
    TooLong,
    #[error("node id may contain only letters, digits, '_' and '-'")]
    BadChar,
}

impl NodeId {
    pub fn parse(text: &str) -> Result<Self, NodeIdError> {
        if text.is_empty() {
            return Err(NodeIdError::Empty);
        }
        if text.len() > 64 {
            return Err(NodeIdError::TooLong);
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(NodeIdError::BadChar);
        }
        Ok(Self(text.to_owned()))
    }

    /// The node id the server stamps its own edits with.
    pub fn server() -> Self {
        Self("server".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for NodeId {
    type Error = NodeIdError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<NodeId> for String {
    fn from(node: NodeId) -> Self {
        node.0
    }
}

/// A hybrid logical clock stamp. Fields are private so every stamp fits the string form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hlc {
    wall_ms: u64,
    counter: u32,
    node: NodeId,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HlcError {
    #[error("stamp must look like 000000000000000-000000-node")]
    Format,
    #[error("stamp wall time is out of range")]
    WallOutOfRange,
    #[error("stamp counter is out of range")]
    CounterOutOfRange,
    #[error("stamp node: {0}")]
    Node(#[from] NodeIdError),
}

impl Hlc {
    pub fn new(wall_ms: u64, counter: u32, node: NodeId) -> Result<Self, HlcError> {
        if wall_ms > MAX_WALL_MS {
            return Err(HlcError::WallOutOfRange);
        }
        if counter > MAX_COUNTER {
            return Err(HlcError::CounterOutOfRange);
        }
        Ok(Self {
            wall_ms,
            counter,
            node,
        })
    }

    /// For the clock, whose values are in range by construction.
    pub(super) fn in_range(wall_ms: u64, counter: u32, node: NodeId) -> Self {
        debug_assert!(wall_ms <= MAX_WALL_MS && counter <= MAX_COUNTER);
        Self {
            wall_ms,
            counter,
            node,
        }
    }

    pub fn wall_ms(&self) -> u64 {
        self.wall_ms
    }
    pub fn counter(&self) -> u32 {
        self.counter
    }
    pub fn node(&self) -> &NodeId {
        &self.node
    }

    pub fn parse(text: &str) -> Result<Self, HlcError> {
        let bytes = text.as_bytes();
        // Exact widths only, so that one stamp has one spelling and text order is the order.
        if bytes.len() < 24 || bytes[15] != b'-' || bytes[22] != b'-' {
            return Err(HlcError::Format);
        }
        let digits = |range: std::ops::Range<usize>| {
            let part = &text[range];
            match part.bytes().all(|b| b.is_ascii_digit()) {
                true => part.parse::<u64>().map_err(|_| HlcError::Format),
                false => Err(HlcError::Format),
            }
        };
        let wall_ms = digits(0..15)?;
        let counter = u32::try_from(digits(16..22)?).map_err(|_| HlcError::Format)?;
        Self::new(wall_ms, counter, NodeId::parse(&text[23..])?)
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:015}-{:06}-{}", self.wall_ms, self.counter, self.node)
    }
}

impl FromStr for Hlc {
    type Err = HlcError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<String> for Hlc {
    type Error = HlcError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Hlc> for String {
    fn from(stamp: Hlc) -> Self {
        stamp.to_string()
    }
}

#[cfg(test)]
#[path = "hlc_tests.rs"]
mod tests;

//! Last-writer-wins register. Besides the winning write it keeps each node's latest write, so
//! the writes the winner overrode without having seen them can be listed as conflicts, and the
//! list depends only on which writes arrived, not on their order. Memory is bounded by the
//! number of nodes that ever wrote the field (a user's few devices and the server).

use super::hlc::{Hlc, NodeId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// One write to a register. `seen` is the stamp of the value the writer had when it wrote
/// (its own copy of the register); writes at or below it were superseded knowingly.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Write<T> {
    pub stamp: Hlc,
    pub value: T,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<Hlc>,
}

/// The register. Its value is that of the write with the greatest stamp; a write with an equal
/// stamp is the same write replayed. Two different writes with one stamp can only come from a
/// misbehaving client; the greater value wins so that every replica still agrees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lww<T> {
    /// Each node's latest write: the winner is the greatest of them.
    latest: BTreeMap<NodeId, Write<T>>,
}

impl<T> Default for Lww<T> {
    fn default() -> Self {
        Self {
            latest: BTreeMap::new(),
        }
    }
}

impl<T: Ord + Clone + Default> Lww<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current value: the default (no title, not a favourite) until someone writes.
    pub fn get(&self) -> T {
        self.winner().map(|w| w.value.clone()).unwrap_or_default()
    }

    pub fn stamp(&self) -> Option<&Hlc> {
        self.winner().map(|w| &w.stamp)
    }

    pub fn winner(&self) -> Option<&Write<T>> {
        self.latest.values().max()
    }

    /// A write by someone who had seen nothing of this register.
    pub fn set(&mut self, value: T, stamp: Hlc) -> bool {
        self.write(Write {
            stamp,
            value,
            seen: None,
        })
    }

    /// Records a write; true when it is now the winner (also for a replay of the winner).
    pub fn write(&mut self, write: Write<T>) -> bool {
        let node = write.stamp.node().clone();
        match self.latest.get(&node) {
            Some(old) if *old >= write => {}
            _ => {
                self.latest.insert(node, write.clone());
            }
        }
        self.winner() == Some(&write)
    }

    /// State-based join: per node the greater write. Commutative, associative, idempotent.
    pub fn merge(&mut self, other: &Lww<T>) {
        for write in other.latest.values() {
            self.write(write.clone());
        }
    }

    /// Pairs (kept, discarded): the winner and each other node's latest write that differs in
    /// value and that the winner had not seen (its stamp is above the winner's `seen`). A
    /// node's own later write is not a conflict, and neither is an overwrite of a value the
    /// writer was shown. Writes of nodes that were themselves overridden knowingly are gone.
    pub fn conflicts(&self) -> Vec<(&Write<T>, &Write<T>)> {
        let Some(winner) = self.winner() else {
            return Vec::new();
        };
        self.latest
            .values()
            .filter(|w| w.stamp.node() != winner.stamp.node())
            .filter(|w| w.value != winner.value)
            .filter(|w| winner.seen.as_ref().is_none_or(|seen| w.stamp > *seen))
            .map(|w| (winner, w))
            .collect()
    }
}

impl<T: Serialize> Serialize for Lww<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.latest.values())
    }
}

impl<'de, T: Deserialize<'de> + Ord + Clone + Default> Deserialize<'de> for Lww<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut register = Self::new();
        for write in Vec::<Write<T>>::deserialize(deserializer)? {
            register.write(write);
        }
        Ok(register)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(wall: u64, node: &str) -> Hlc {
        Hlc::new(wall, 0, NodeId::parse(node).unwrap()).unwrap()
    }

    #[test]
    fn greater_stamp_wins_in_any_order() {
        let (a, b) = (stamp(1, "a"), stamp(2, "b"));
        let mut one = Lww::new();
        one.set(Some("x"), a.clone());
        one.set(Some("y"), b.clone());
        let mut two = Lww::new();
        assert!(two.set(Some("y"), b.clone()));
        assert!(!two.set(Some("x"), a));
        assert_eq!(one, two);
        assert_eq!(one.get(), Some("y"));
        assert_eq!(one.stamp(), Some(&b));
    }

    #[test]
    fn replay_is_idempotent_and_equal_stamps_tie_break_on_value() {
        let s = stamp(5, "a");
        let mut reg = Lww::new();
        reg.set(1, s.clone());
        let once = reg.clone();
        reg.set(1, s.clone());
        assert_eq!(reg, once);
        let mut other = Lww::new();
        other.set(2, s.clone());
        other.set(1, s.clone());
        reg.set(2, s);
        assert_eq!(reg, other);
        assert_eq!(reg.get(), 2);
    }

    #[test]
    fn unwritten_register_is_default() {
        let reg: Lww<bool> = Lww::new();
        assert!(!reg.get());
        assert_eq!(reg.stamp(), None);
        assert!(reg.conflicts().is_empty());
    }

    #[test]
    fn conflicts_respect_seen_and_own_node() {
        let mut reg = Lww::new();
        reg.set(1, stamp(1, "a"));
        reg.write(Write {
            stamp: stamp(2, "a"),
            value: 2,
            seen: None,
        });
        assert!(reg.conflicts().is_empty(), "own overwrite");
        reg.write(Write {
            stamp: stamp(3, "b"),
            value: 3,
            seen: Some(stamp(2, "a")),
        });
        assert!(reg.conflicts().is_empty(), "b had seen a's write");
        reg.set(4, stamp(4, "c"));
        let pairs = reg.conflicts();
        assert_eq!(pairs.len(), 2, "c saw neither a nor b: {pairs:?}");
    }

    #[test]
    fn serde_round_trip() {
        let mut reg = Lww::new();
        reg.set(Some("x".to_owned()), stamp(1, "a"));
        reg.set(Some("y".to_owned()), stamp(2, "b"));
        let json = serde_json::to_string(&reg).unwrap();
        assert_eq!(
            serde_json::from_str::<Lww<Option<String>>>(&json).unwrap(),
            reg
        );
    }
}

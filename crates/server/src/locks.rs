//! In-process locks keyed by string, for "one request at a time per upload / per media id".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Default)]
pub struct KeyedLocks {
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

pub struct KeyGuard<'a> {
    owner: &'a KeyedLocks,
    key: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    fn entry(&self, key: &str) -> Arc<AsyncMutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(key.to_string()).or_default().clone()
    }

    /// `None` when another holder has the key.
    pub fn try_lock(&self, key: &str) -> Option<KeyGuard<'_>> {
        let guard = self.entry(key).try_lock_owned().ok()?;
        Some(KeyGuard {
            owner: self,
            key: key.to_string(),
            guard: Some(guard),
        })
    }

    pub async fn lock(&self, key: &str) -> KeyGuard<'_> {
        let guard = self.entry(key).lock_owned().await;
        KeyGuard {
            owner: self,
            key: key.to_string(),
            guard: Some(guard),
        }
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        // Forget the entry when nobody else holds or waits on it, so the map does not grow.
        let mut locks = self.owner.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn excludes_and_forgets() {
        let locks = KeyedLocks::default();
        let held = locks.try_lock("a").unwrap();
        assert!(locks.try_lock("a").is_none());
        assert!(locks.try_lock("b").is_some());
        drop(held);
        assert!(locks.try_lock("a").is_some());
        assert!(locks.locks.lock().unwrap().is_empty());
    }
}

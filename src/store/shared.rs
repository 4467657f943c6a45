//! A [`Store`] shared by async tasks: each call runs on tokio's blocking pool, so an fsync on
//! a slow SD card never stalls the runtime's workers; only work that never waits on the card
//! may run on the caller's thread ([`SharedStore::call_brief`]).

use std::sync::{Arc, Mutex, TryLockError};

use super::Store;

/// A cloneable handle to one buffer connection.
#[derive(Debug, Clone)]
pub struct SharedStore(Arc<Mutex<Store>>);

impl SharedStore {
    /// Wraps a store.
    pub fn new(store: Store) -> SharedStore {
        SharedStore(Arc::new(Mutex::new(store)))
    }

    /// Runs `work` on the store, off the async workers, and returns its result.
    pub async fn call<T, F>(&self, work: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> T + Send + 'static,
    {
        let store = Arc::clone(&self.0);
        let joined = tokio::task::spawn_blocking(move || {
            // A panic while holding the lock is a bug that already aborted its own call; the
            // connection itself is still consistent (SQLite rolled the transaction back).
            let mut store = store
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut store)
        })
        .await;
        match joined {
            Ok(value) => value,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }

    /// Runs `work` on the caller's thread if the store is free, or else as [`SharedStore::call`]
    /// does. Only for work that never waits on the card, such as a journal append (a write into
    /// the page cache, no fsync): for that, the hop to the pool and back (two thread switches)
    /// costs more than the work itself.
    pub async fn call_brief<T, F>(&self, work: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> T + Send + 'static,
    {
        let work = match self.0.try_lock() {
            Ok(mut store) => return work(&mut store),
            Err(TryLockError::Poisoned(poisoned)) => return work(&mut poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => work,
        };
        self.call(work).await
    }
}

#[cfg(test)]
mod tests {
    use std::thread::ThreadId;

    use super::*;

    fn shared() -> (tempfile::TempDir, SharedStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("readings.db")).unwrap();
        (dir, SharedStore::new(store))
    }

    fn thread_of_call(_: &mut Store) -> ThreadId {
        std::thread::current().id()
    }

    #[tokio::test]
    async fn brief_work_runs_on_the_callers_thread_and_other_work_on_the_pool() {
        let (_dir, store) = shared();
        let caller = std::thread::current().id();
        assert_eq!(store.call_brief(thread_of_call).await, caller);
        assert_ne!(store.call(thread_of_call).await, caller);
    }

    #[tokio::test]
    #[expect(
        clippy::await_holding_lock,
        reason = "the lock is held to make the store busy"
    )]
    async fn brief_work_waits_for_the_pool_when_the_store_is_busy() {
        let (_dir, store) = shared();
        let caller = std::thread::current().id();
        let held = store.0.lock().unwrap();
        let brief = tokio::spawn({
            let store = store.clone();
            async move { store.call_brief(thread_of_call).await }
        });
        // The call went to the pool, where it waits for the lock: the runtime is not blocked.
        tokio::task::yield_now().await;
        assert!(!brief.is_finished());
        drop(held);
        assert_ne!(brief.await.unwrap(), caller);
    }
}

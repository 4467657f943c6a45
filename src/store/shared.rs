//! A [`Store`] shared by async tasks: each call runs on tokio's blocking pool, so an fsync on
//! a slow SD card never stalls the runtime's workers.

use std::sync::{Arc, Mutex};

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
}

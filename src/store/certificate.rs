//! The EAGLE's https certificate fingerprint, trusted on first use and kept here so that a
//! restart (or a swap of the device answering at the EAGLE's address) cannot slip in another.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::error::{SqlResultExt, StoreError};
use super::Store;
use crate::eagle::Fingerprint;

impl Store {
    /// The fingerprint kept by [`Store::keep_eagle_certificate`], if any.
    pub fn eagle_certificate(&self) -> Result<Option<Fingerprint>, StoreError> {
        let path = self.path.as_path();
        let text: Option<String> = self
            .conn
            .query_row("SELECT sha256 FROM eagle_certificate", [], |row| row.get(0))
            .optional()
            .at(path)?;
        text.map(|text| {
            text.parse().map_err(|_| StoreError::Damaged {
                path: path.to_path_buf(),
                detail: format!("the kept EAGLE certificate fingerprint {text:?} is not a SHA-256"),
            })
        })
        .transpose()
    }

    /// Keeps `fingerprint` as the EAGLE's certificate, replacing any kept before.
    pub fn keep_eagle_certificate(
        &self,
        fingerprint: &Fingerprint,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO eagle_certificate (id, sha256, trusted_at_ms) VALUES (1, ?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, \
                 trusted_at_ms = excluded.trusted_at_ms",
                params![fingerprint.to_string(), at.timestamp_millis()],
            )
            .at(&self.path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_fingerprint_survives_reopening_and_is_replaced_by_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readings.db");
        let first = Fingerprint::of(b"first");
        let second = Fingerprint::of(b"second");
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.eagle_certificate().unwrap(), None);
            store.keep_eagle_certificate(&first, Utc::now()).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.eagle_certificate().unwrap(), Some(first));
        store.keep_eagle_certificate(&second, Utc::now()).unwrap();
        assert_eq!(store.eagle_certificate().unwrap(), Some(second));
    }
}

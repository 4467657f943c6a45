//! The household page beside the logger: optional, and never a reason to stop logging.

use std::sync::Arc;

use tokio::sync::watch;

use super::indicator::Indicator;
use crate::clock::Clock;
use crate::config::Settings;
use crate::daemon::{Daemon, MeterSource};
use crate::store::{SharedStore, Store};
use crate::upload::UploadStatus;
use crate::web::{self, PageSources, WebHandle};

/// Starts the household page when `web.enable` is set. A page that cannot listen (the port is
/// taken) or read the buffer is logged and left out: it must never stop the logging.
pub(super) async fn household_page<S: MeterSource>(
    settings: &Settings,
    daemon: &Daemon<S>,
    indicator: &Indicator,
    upload: watch::Receiver<UploadStatus>,
    clock: Arc<dyn Clock>,
) -> Option<WebHandle> {
    if !settings.web.enable {
        return None;
    }
    let store = match Store::open_with_journal_dir(
        &settings.storage.path,
        settings.storage.journal_dir.as_deref(),
    ) {
        Ok(store) => SharedStore::new(store),
        Err(error) => {
            log::error!("household page not served: {error}");
            return None;
        }
    };
    let sources = PageSources {
        events: daemon.subscribe(),
        led: indicator.subscribe(),
        upload,
        store,
        clock,
    };
    match web::start(settings.web.listen, sources).await {
        Ok(page) => Some(page),
        Err(error) => {
            log::error!(
                "household page not served: cannot listen on {} (web.listen in {}): {error}",
                settings.web.listen,
                settings.source.display()
            );
            None
        }
    }
}

//! The daily automatic sync (R10, R18): while the app runs and the setting
//! is on, every few minutes it syncs the connections that had no sync in the
//! last 24 hours — unattended, never prompting (a bank that wants SCA leaves
//! the connection needing a reconnect, which the overview offers). The
//! decision of what is due is the core's, shared with `saldo sync --due`.
//! A day with a successful sync also writes the day's backup.

use std::time::Duration;

use saldo_core::sync::Selection;
use tauri::{AppHandle, Manager};

use crate::commands::sync::run;
use crate::state::{AppFile, AppState};

/// How often the app looks for due connections.
const CHECK_EVERY: Duration = Duration::from_secs(10 * 60);
/// The first look, a moment after start (the window first).
const FIRST_CHECK: Duration = Duration::from_secs(30);

/// How often to look: [`CHECK_EVERY`] after [`FIRST_CHECK`]; in debug builds
/// `SALDO_DAILY_CHECK_SECS` sets both (the desktop tests' seam).
fn cadence() -> (Duration, Duration) {
    let seam = if cfg!(debug_assertions) { std::env::var("SALDO_DAILY_CHECK_SECS").ok() } else { None };
    match seam.and_then(|v| v.parse::<u64>().ok()) {
        Some(secs) => (Duration::from_secs(secs.max(1)), Duration::from_secs(secs.max(1))),
        None => (FIRST_CHECK, CHECK_EVERY),
    }
}

/// Starts the background loop.
pub fn start(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let (first, every) = cadence();
        tokio::time::sleep(first).await;
        loop {
            check(&app).await;
            tokio::time::sleep(every).await;
        }
    });
}

async fn check(app: &AppHandle) {
    let state = app.state::<AppState>();
    let enabled = AppFile::load(&state.data_dir).map(|f| f.settings.auto_sync).unwrap_or(false);
    if state.session.lock().await.is_none() {
        return;
    }
    if !enabled {
        // No sync, but an ending access is still worth a word.
        crate::notify::check(app).await;
        return;
    }
    match run(app, &state, Selection::Due, true).await {
        Ok(done) if !done.is_empty() => {
            tracing::info!("daily sync: {} connection(s) synced", done.len());
            backup_after_sync(&state).await;
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("daily sync skipped: {}", e.message),
    }
}

/// The automatic backup of a successful sync day (at most one a day, kept
/// 7 daily, 4 weekly, 12 monthly), on a connection of its own and off the
/// async runtime: the window's commands never wait for it. Its failure
/// never fails the sync and is logged without the path's contents.
async fn backup_after_sync(state: &AppState) {
    let source = {
        let guard = state.session.lock().await;
        let Some(unlocked) = guard.as_ref() else { return };
        let s = &unlocked.session;
        s.reopen_store().map(|store| (store, s.data_dir().to_path_buf(), s.protection()))
    };
    let done = match source {
        Ok((store, data_dir, protection)) => tauri::async_runtime::spawn_blocking(move || {
            let src = saldo_core::backup::Source { store: &store, data_dir: &data_dir, protection };
            saldo_core::backup::backup_after_sync_from(&src)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string())),
        Err(e) => Err(e.to_string()),
    };
    match done {
        Ok(Some(info)) => tracing::info!("automatic backup written ({} bytes)", info.bytes),
        Ok(None) => {}
        Err(e) => tracing::warn!("no automatic backup: {e}"),
    }
}

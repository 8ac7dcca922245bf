//! Syncing and disconnecting. A sync runs on its own database connection so
//! the window stays responsive; its progress is pushed as `sync-progress`
//! events. Different connections sync in parallel; one connection never
//! twice at once, even with the CLI running (the core's lock file, R3).

use std::time::Duration;

use saldo_core::sync::{self, Outcome, Scope, Selection, SyncReport};
use tauri::{AppHandle, Emitter};

use super::{detached, ready, State};
use crate::error::IpcResult;
use crate::state::AppState;
use crate::views::SyncProgress;

/// The event that carries sync progress.
pub const SYNC_PROGRESS: &str = "sync-progress";

/// Syncs one connection, or all; returns how each ended.
#[tauri::command]
pub async fn sync_now(app: AppHandle, state: State<'_>, connection_id: Option<i64>) -> IpcResult<Vec<SyncProgress>> {
    let selection = connection_id.map_or(Selection::All, Selection::One);
    run(&app, &state, selection, false).await
}

/// Syncs the connections of a selection in parallel (the daily automatic
/// sync unattended), pushing progress events; returns how each ended.
pub async fn run(app: &AppHandle, state: &AppState, selection: Selection, daily: bool) -> IpcResult<Vec<SyncProgress>> {
    let (stores, client, opts) = {
        let mut guard = state.session.lock().await;
        let s = ready(&mut guard)?;
        let ids = sync::select(&s.store, selection, chrono::Utc::now())?;
        let mut stores = Vec::new();
        for id in ids {
            stores.push((id, s.reopen_store()?, s.reopen_store()?));
        }
        let opts = if daily { s.daily_options() } else { s.sync_options() };
        (stores, s.client()?.clone(), opts)
    };
    let mut tasks = tokio::task::JoinSet::new();
    for (id, mut store, watcher) in stores {
        let (client, opts, app) = (client.clone(), opts.clone(), app.clone());
        let task = tasks.spawn(async move {
            let progress_app = app.clone();
            let poll = AbortOnDrop(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    if let Ok(Some(run)) = watcher.latest_sync_run(id) {
                        let p = SyncProgress {
                            connection_id: id,
                            state: run.state,
                            accounts_done: run.accounts_done,
                            pages_done: run.pages_done,
                            new_transactions: run.new_transactions,
                            message: None,
                        };
                        let _ = progress_app.emit(SYNC_PROGRESS, p);
                    }
                }
            }));
            let result = sync::sync_connection(&mut store, &client, id, Scope::Transactions, &opts).await;
            drop(poll);
            let report = SyncReport::new(id, result);
            let new_transactions = match report.outcome {
                Outcome::Completed { new_transactions, .. } => new_transactions,
                _ => 0,
            };
            let done = SyncProgress {
                connection_id: id,
                state: report.outcome.state(),
                accounts_done: 0,
                pages_done: 0,
                new_transactions,
                message: Some(report.outcome.summary()),
            };
            let _ = app.emit(SYNC_PROGRESS, done.clone());
            done
        });
        state.track(task);
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        if let Ok(p) = r {
            out.push(p);
        }
    }
    out.sort_by_key(|p| p.connection_id);
    // What the person should hear of (a reconnect, an ending access, failures).
    crate::notify::check(app).await;
    Ok(out)
}

/// Stops a task when dropped: a sync stopped by a lock takes its progress
/// watcher (and that watcher's store connection) with it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Revokes the connection's consent at the bank, then deletes it and its
/// data (R14). The bank calls run on their own store connection.
#[tauri::command]
pub async fn disconnect(state: State<'_>, connection_id: i64) -> IpcResult<()> {
    let opts = ready(&mut *state.session.lock().await)?.sync_options();
    let (mut store, client) = detached(&state).await?;
    saldo_core::manage::disconnect(&mut store, &client, connection_id, &opts, false).await?;
    Ok(())
}
